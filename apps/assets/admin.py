from django.contrib import admin

from apps.audit.admin_mixins import AuditedModelAdmin

from .models import Asset


@admin.register(Asset)
class AssetAdmin(AuditedModelAdmin):
    list_display = ["id", "project", "format", "width", "height", "size_bytes", "created_at"]
    list_filter = ["project", "format"]
    readonly_fields = [f.name for f in Asset._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
