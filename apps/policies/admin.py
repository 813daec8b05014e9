"""Policy administration for compliance officers.

Edits are saved through `services.policy_save`, which versions them and
writes a `policy.edit` audit event with before/after, so these admins do not
also write the generic admin events. Decisions and versions are read-only;
quarantined outputs are released or purged through their own form.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from apps.core.admin import ReadOnlyAdmin
from apps.core.exceptions import ApplicationError
from apps.generation.models import ModelRoute

from . import gate
from .lexicon_io import lexicon_export, lexicon_parse
from .models import (
    Decision,
    FilterCategory,
    FilterRegister,
    FilterSettings,
    FilterTermList,
    ImageLabelThreshold,
    ModelLicense,
    OrganisationProfile,
    PolicyVersion,
    QuarantinedOutput,
    QuarantineStatus,
    UsagePolicy,
)
from .quarantine import RESOLVE_PERM, quarantine_purge, quarantine_release
from .services import filter_lexicon_import, policy_save


class VersionedPolicyAdmin(admin.ModelAdmin):
    """Saves through the versioning service once the form's many-to-many values are known."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Deferred to save_related, where the many-to-many values are available."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        m2m = {
            f.name: form.cleaned_data[f.name]
            for f in form.instance._meta.many_to_many
            if f.name in form.cleaned_data
        }
        policy_save(actor=request.user, instance=form.instance, m2m=m2m)  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        policy_save(actor=request.user, instance=obj, delete=True)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def log_addition(self, *args: Any, **kwargs: Any) -> Any:
        return None  # audited (and versioned) by policy_save

    log_change = log_addition

    def log_deletions(self, *args: Any, **kwargs: Any) -> Any:
        return None


class SingletonAdmin(VersionedPolicyAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return not self.model._default_manager.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _enabled_routes_needing(flag: str, weights: Any = None) -> list[str]:
    routes = ModelRoute.objects.filter(enabled=True).select_related("weights")
    if weights is not None:
        routes = routes.filter(weights__in=weights)
    names = []
    for route in routes:
        lic = gate.license_for(route)
        if lic is not None and getattr(lic, flag):
            names.append(route.name)
    return names


class FilterSettingsForm(forms.ModelForm):
    """Admin supplies the model and fields (ModelAdmin.get_form)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field, flag in (
            ("prompt_filter_enabled", "requires_prompt_filter"),
            ("image_filter_enabled", "requires_image_filter"),
        ):
            if field in data and not data[field]:
                needing = _enabled_routes_needing(flag)
                if needing:
                    self.add_error(
                        field,
                        f"Enabled routes ({', '.join(needing)}) run under a license that "
                        "requires this filter. Disable those routes first.",
                    )
        return data


@admin.register(FilterSettings)
class FilterSettingsAdmin(SingletonAdmin):
    form = FilterSettingsForm
    list_display = ["__str__", "prompt_filter_enabled", "image_filter_enabled", "version"]
    readonly_fields = ["version", "updated_at"]


class ModelLicenseForm(forms.ModelForm):
    """Admin supplies the model and fields (ModelAdmin.get_form)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        flt = gate.filter_settings()
        weights = data.get("weights")
        for flag, on in (
            ("requires_prompt_filter", flt.prompt_filter_enabled),
            ("requires_image_filter", flt.image_filter_enabled),
        ):
            if data.get(flag) and not on and weights:
                routes = ModelRoute.objects.filter(enabled=True, weights__in=weights)
                if routes.exists():
                    self.add_error(
                        flag,
                        "That filter is switched off while routes using these weights are "
                        "enabled; switch it on or disable the routes first.",
                    )
        return data


@admin.register(ModelLicense)
class ModelLicenseAdmin(VersionedPolicyAdmin):
    form = ModelLicenseForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "__str__",
        "commercial_use",
        "max_annual_revenue_usd",
        "max_employees",
        "enterprise_license_on_file",
        "enterprise_license_expires",
        "requires_prompt_filter",
        "requires_image_filter",
        "version",
    ]
    filter_horizontal = ["weights"]
    readonly_fields = ["text_sha256", "version", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "license_version", "url", "weights", "attribution"]}),
        ("Text", {"fields": ["text", "text_sha256"], "classes": ["collapse"]}),
        (
            "Commercial use",
            {
                "fields": [
                    "commercial_use",
                    "max_annual_revenue_usd",
                    "max_employees",
                    "enterprise_license_on_file",
                    "enterprise_license_reference",
                    "enterprise_license_expires",
                ]
            },
        ),
        (
            "Safeguards and prohibited uses",
            {"fields": ["requires_prompt_filter", "requires_image_filter", "prohibited_uses"]},
        ),
        (None, {"fields": ["version", "updated_at"]}),
    ]


@admin.register(OrganisationProfile)
class OrganisationProfileAdmin(SingletonAdmin):
    list_display = ["__str__", "annual_revenue_usd", "employees", "version"]
    readonly_fields = ["version", "updated_at"]


@admin.register(UsagePolicy)
class UsagePolicyAdmin(VersionedPolicyAdmin):
    list_display = [
        "__str__",
        "intended_use",
        "max_width",
        "max_height",
        "max_steps",
        "prompt_retention_days",
        "legal_hold",
        "version",
    ]
    list_filter = ["intended_use", "legal_hold"]
    filter_horizontal = ["allowed_routes"]
    readonly_fields = ["version", "updated_at"]
    fieldsets = [
        (None, {"fields": ["project", "intended_use", "allowed_routes"]}),
        ("Limits", {"fields": ["max_width", "max_height", "max_steps", "finals_need_approval"]}),
        (
            "Data handling",
            {
                "fields": [
                    "prompt_retention_days",
                    "quarantine_retention_days",
                    "rejected_retention_days",
                    "legal_hold",
                    "legal_hold_reason",
                ]
            },
        ),
        (None, {"fields": ["version", "updated_at"]}),
    ]


@admin.register(FilterCategory)
class FilterCategoryAdmin(VersionedPolicyAdmin):
    list_display = ["label", "slug", "enabled", "semantic_threshold", "check_negative"]
    list_filter = ["enabled"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 12})}}


class LexiconImportForm(forms.Form):
    file = forms.FileField(
        label="Term-list file (JSON)",
        help_text="A file exported here, or the same shape. Named lists are replaced; "
        "lists the file does not name stay as they are.",
    )


@admin.register(FilterTermList)
class FilterTermListAdmin(VersionedPolicyAdmin):
    """Per-language lists; the category's own fields are its English list."""

    list_display = ["category", "language", "term_count"]
    list_filter = ["language", "category"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 12})}}
    change_list_template = "admin/policies/filtertermlist/change_list.html"

    @admin.display(description="Terms")
    def term_count(self, obj: FilterTermList) -> int:
        return len([line for line in obj.terms.splitlines() if line.strip()])

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="policies_lexicon_export"),
            path("import/", view(self.import_view), name="policies_lexicon_import"),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        body = json.dumps(lexicon_export(), ensure_ascii=False, indent=1)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="imprimatur-term-lists.json"'
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request) or not self.has_add_permission(request):
            raise DjangoPermissionDenied
        form = LexiconImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > 5 * 1024 * 1024:
                    raise ValidationError("The file is larger than 5 MB.")
                data = json.loads(upload.read().decode("utf-8"))
                lexicon = lexicon_parse(data)
                version = filter_lexicon_import(actor=request.user, lexicon=lexicon)  # type: ignore[arg-type]
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                form.add_error("file", "The file is not valid UTF-8 JSON.")
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                self.message_user(request, f"Imported as filters version {version.version}.")
                return HttpResponseRedirect(reverse("admin:policies_filtertermlist_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import term lists",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/policies/lexicon_import.html", context)


@admin.register(FilterRegister)
class FilterRegisterAdmin(VersionedPolicyAdmin):
    """Real people and protected marks, referred to from lists as <register:slug>."""

    list_display = ["label", "slug", "entry_count"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 24})}}

    @admin.display(description="Entries")
    def entry_count(self, obj: FilterRegister) -> int:
        return len([line for line in obj.entries.splitlines() if line.strip()])


@admin.register(ImageLabelThreshold)
class ImageLabelThresholdAdmin(VersionedPolicyAdmin):
    list_display = ["label", "threshold"]
    list_editable = ["threshold"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ["key", "version", "kind", "created_by_username", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "stage", "outcome", "project", "route", "actor_username", "job"]
    list_filter = ["outcome", "stage", "route", "project"]
    search_fields = ["id", "job__id", "actor_username"]
    date_hierarchy = "created_at"


class ResolveForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("release", "Release into the project (still needs review)"), ("purge", "Purge")],
        widget=forms.RadioSelect,
    )
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))


@admin.register(QuarantinedOutput)
class QuarantinedOutputAdmin(ReadOnlyAdmin):
    """Only compliance officers see held images, and only here."""

    list_display = ["created_at", "project", "status", "categories", "job", "resolved_at"]
    list_filter = ["status", "project"]
    readonly_fields = ["preview", "resolve_link"]
    exclude = ["file"]

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<uuid:pk>/image/", view(self.image_view), name="policies_quarantine_image"),
            path("<uuid:pk>/resolve/", view(self.resolve_view), name="policies_quarantine_resolve"),
            *super().get_urls(),
        ]

    @admin.display(description="Image")
    def preview(self, obj: QuarantinedOutput) -> str:
        if obj.status != QuarantineStatus.HELD:
            return "(no longer held)"
        url = reverse("admin:policies_quarantine_image", args=[obj.pk])
        return format_html('<img src="{}" style="max-width:512px" alt="held output">', url)

    @admin.display(description="Release or purge")
    def resolve_link(self, obj: QuarantinedOutput) -> str:
        if obj.status != QuarantineStatus.HELD:
            return f"{obj.get_status_display()}: {obj.justification}"
        url = reverse("admin:policies_quarantine_resolve", args=[obj.pk])
        return format_html('<a class="button" href="{}">Release or purge…</a>', url)

    def _held(self, request: HttpRequest, pk: Any) -> QuarantinedOutput:
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        return get_object_or_404(QuarantinedOutput, pk=pk)

    def image_view(self, request: HttpRequest, pk: Any) -> HttpResponseBase:
        held = self._held(request, pk)
        if held.status != QuarantineStatus.HELD or not held.file:
            return HttpResponse(status=410)
        response = FileResponse(held.file.open("rb"), content_type="image/png")
        response["Cache-Control"] = "private, no-store"
        return response

    def resolve_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        held = self._held(request, pk)
        if not request.user.has_perm(RESOLVE_PERM):
            raise DjangoPermissionDenied
        form = ResolveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            actor: Any = request.user
            text = form.cleaned_data["justification"]
            try:
                if form.cleaned_data["action"] == "release":
                    quarantine_release(actor=actor, held=held, justification=text)
                    self.message_user(request, "Released into the project as an unreviewed asset.")
                else:
                    quarantine_purge(actor=actor, held=held, justification=text)
                    self.message_user(request, "Purged.")
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("justification", message)
            except ApplicationError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
            else:
                change = reverse("admin:policies_quarantinedoutput_change", args=[held.pk])
                return HttpResponseRedirect(change)
        context = {
            **self.admin_site.each_context(request),
            "title": "Release or purge a quarantined output",
            "held": held,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/policies/quarantine_resolve.html", context)
