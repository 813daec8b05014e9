from typing import Any

from django import forms
from django.contrib import admin

from apps.audit.admin_mixins import AuditedModelAdmin

from .models import GenerationJob, ModelRoute, ModelWeights


@admin.register(ModelWeights)
class ModelWeightsAdmin(AuditedModelAdmin):
    list_display = ["name", "family", "path", "revision", "short_hash", "created_at"]
    readonly_fields = ["content_hash", "component_hashes", "created_at"]
    search_fields = ["name", "path"]

    @admin.display(description="SHA-256")
    def short_hash(self, obj: ModelWeights) -> str:
        return obj.content_hash[:12]


class ModelRouteForm(forms.ModelForm):
    """Admin supplies the model and fields (ModelAdmin.get_form)."""

    def clean(self) -> dict[str, Any]:
        """A route whose license requires safeguards cannot be enabled while they are off."""
        from apps.policies.services import route_safeguard_errors

        data = super().clean() or {}
        if data.get("enabled") and data.get("weights") is not None:
            probe = ModelRoute(name=data.get("name", ""), weights=data["weights"])
            for error in route_safeguard_errors(probe):
                self.add_error("enabled", error)
        return data


@admin.register(ModelRoute)
class ModelRouteAdmin(AuditedModelAdmin):
    form = ModelRouteForm
    list_display = ["name", "label", "weights", "queue", "steps", "guidance", "enabled"]
    list_filter = ["enabled"]


@admin.register(GenerationJob)
class GenerationJobAdmin(AuditedModelAdmin):
    """Read-only: jobs change only through the generation services."""

    list_display = ["id", "project", "route", "status", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "route", "project"]
    search_fields = ["id", "prompt"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [f.name for f in GenerationJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
