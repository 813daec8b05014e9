from django.contrib import admin

from apps.audit.admin_mixins import AuditedModelAdmin

from .models import PromptTemplate, PromptTemplateVersion


class VersionInline(admin.TabularInline):
    model = PromptTemplateVersion
    extra = 0
    can_delete = False
    readonly_fields = ["number", "body", "negative_prompt", "variables", "created_by", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PromptTemplate)
class PromptTemplateAdmin(AuditedModelAdmin):
    list_display = ["name", "project", "created_at"]
    list_filter = ["project"]
    search_fields = ["name"]
    inlines = [VersionInline]


@admin.register(PromptTemplateVersion)
class PromptTemplateVersionAdmin(AuditedModelAdmin):
    """Read-only: versions are immutable, a change is a new version made in the portal."""

    list_display = ["template", "number", "created_by", "created_at"]
    readonly_fields = ["template", "number", "body", "negative_prompt", "variables", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
