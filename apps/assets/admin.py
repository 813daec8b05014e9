from django.contrib import admin

from .models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "format", "width", "height", "size_bytes", "created_at"]
    list_filter = ["project", "format"]
    readonly_fields = [f.name for f in Asset._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
