from django.db import models


class Dashboard(models.Model):
    """No table: it gives the admin a place for the dashboard and a permission for it.

    `view_all_metrics` lets compliance officers (and administrators) read the
    figures of every project; project managers read their own projects' in
    the portal without it.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_all_metrics", "Can view the metrics of every project")]
        verbose_name = "metrics dashboard"
        verbose_name_plural = "metrics dashboard"

    def __str__(self) -> str:
        return "Metrics dashboard"
