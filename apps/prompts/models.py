from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.projects.models import Project


class PromptTemplate(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="uniq_template_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def current_version(self) -> PromptTemplateVersion | None:
        return self.versions.order_by("-number").first()


class PromptTemplateVersion(models.Model):
    """One immutable revision; jobs point at the exact version they rendered."""

    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    negative_prompt = models.TextField(blank=True)
    variables = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="uniq_template_version")
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"
