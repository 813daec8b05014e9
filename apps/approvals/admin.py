from django.contrib import admin

from apps.audit.admin_mixins import AuditedModelAdmin

from .models import Decision


@admin.register(Decision)
class DecisionAdmin(AuditedModelAdmin):
    """Read-only: decisions are made in the portal, through the approvals service."""

    list_display = ["asset", "verdict", "decided_by_username", "created_at"]
    list_filter = ["verdict"]
    readonly_fields = [f.name for f in Decision._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
