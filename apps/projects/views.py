from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.assets.delivery import DEFAULT_PRESETS
from apps.assets.models import RenditionPreset
from apps.assets.services import preset_delete, preset_save
from apps.core.exceptions import ApplicationError
from apps.generation.selectors import job_list_for_project

from .access import has_perm, project_for_request
from .forms import MemberForm, RoleForm
from .models import Perm
from .selectors import member_list, membership_get, project_list_for_user
from .services import (
    membership_remove,
    membership_set,
    project_public_contacts_update,
    project_review_settings_update,
)


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = project_list_for_user(user=request.user)  # type: ignore[arg-type]
    return render(request, "projects/list.html", {"projects": projects})


@login_required
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_request(request, slug)
    can_see_drafts = has_perm(request, Perm.VIEW_DRAFTS, project)
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            "membership": membership_get(user=request.user, project=project),  # type: ignore[arg-type]
            "can_create": has_perm(request, Perm.GENERATE, project),
            "can_manage": has_perm(request, Perm.MANAGE, project),
            "can_review": has_perm(request, Perm.REVIEW, project),
            "templates": project.templates.prefetch_related("versions"),
            "jobs": job_list_for_project(project=project)[:10] if can_see_drafts else None,
        },
    )


@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(username=form.cleaned_data["username"]).first()
        if user is None:
            form.add_error("username", "There is no user with that name.")
        else:
            try:
                membership_set(
                    actor=request.user,  # type: ignore[arg-type]
                    project=project,
                    user=user,
                    role=form.cleaned_data["role"],
                )
            except (ApplicationError, ValidationError) as exc:
                form.add_error(None, getattr(exc, "message", str(exc)))
            else:
                messages.success(request, f"{user.get_username()} is now a member.")
                return redirect("projects:members", slug=project.slug)
    return render(
        request,
        "projects/members.html",
        {"project": project, "members": member_list(project=project), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def member_change(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    user = get_object_or_404(User, username=username, memberships__project=project)
    try:
        if request.POST.get("remove"):
            membership_remove(actor=request.user, project=project, user=user)  # type: ignore[arg-type]
            messages.success(request, f"{username} was removed from {project.name}.")
        else:
            form = RoleForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Choose a valid role.")
            else:
                membership_set(
                    actor=request.user,  # type: ignore[arg-type]
                    project=project,
                    user=user,
                    role=form.cleaned_data["role"],
                )
                messages.success(request, f"{username}'s role was changed.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("projects:members", slug=project.slug)


class ReviewSettingsForm(forms.Form):
    brand_colours = forms.CharField(
        required=False, help_text="Hex colours, comma separated, e.g. #FF5733, #1B2A4A."
    )
    min_sharpness = forms.FloatField(
        required=False, min_value=0, help_text="Empty: no sharpness check. 25 suits photos."
    )
    qa_blocks_approval = forms.BooleanField(
        required=False, label="A failed QA check blocks approval"
    )


class ContactsForm(forms.Form):
    public_contacts = forms.CharField(
        required=False,
        label="Company contact details",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Your organisation's published press email or hotline, one per line. Prompts "
            "may contain exactly these; any other email or phone number is refused as "
            "personal data."
        ),
    )


class PresetForm(forms.ModelForm):
    class Meta:
        model = RenditionPreset
        fields = [
            "name",
            "width",
            "height",
            "mode",
            "format",
            "quality",
            "ssim_target",
            "focal_x",
            "focal_y",
        ]


@login_required
def settings_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Managers set what QA checks against and which renditions are delivered."""
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    actor: Any = request.user
    review_form = ReviewSettingsForm(
        request.POST if "review" in request.POST else None,
        initial={
            "brand_colours": ", ".join(project.brand_colours or []),
            "min_sharpness": project.min_sharpness,
            "qa_blocks_approval": project.qa_blocks_approval,
        },
    )
    preset_form = PresetForm(request.POST if "preset" in request.POST else None)
    contacts_form = ContactsForm(
        request.POST if "contacts" in request.POST else None,
        initial={"public_contacts": "\n".join(project.public_contacts or [])},
    )
    if request.method == "POST":
        try:
            if "contacts" in request.POST and contacts_form.is_valid():
                project_public_contacts_update(
                    actor=actor,
                    project=project,
                    contacts=contacts_form.cleaned_data["public_contacts"].splitlines(),
                )
                messages.success(request, "Contact details saved.")
                return redirect("projects:settings", slug=project.slug)
            if "review" in request.POST and review_form.is_valid():
                data = review_form.cleaned_data
                colours = [c.strip() for c in data["brand_colours"].split(",") if c.strip()]
                project_review_settings_update(
                    actor=actor,
                    project=project,
                    brand_colours=colours,
                    min_sharpness=data["min_sharpness"],
                    qa_blocks_approval=data["qa_blocks_approval"],
                )
                messages.success(request, "Review settings saved.")
                return redirect("projects:settings", slug=project.slug)
            if "preset" in request.POST and preset_form.is_valid():
                preset_save(actor=actor, project=project, preset=preset_form.save(commit=False))
                messages.success(request, "Preset added.")
                return redirect("projects:settings", slug=project.slug)
            if "delete_preset" in request.POST:
                preset = project.presets.filter(pk=request.POST["delete_preset"]).first()
                if preset is not None:
                    preset_delete(actor=actor, project=project, preset=preset)
                    messages.success(request, f"Preset {preset.name} removed.")
                return redirect("projects:settings", slug=project.slug)
        except ValidationError as exc:
            target: forms.BaseForm = preset_form
            if "review" in request.POST:
                target = review_form
            elif "contacts" in request.POST:
                target = contacts_form
            for message in exc.messages:
                target.add_error(None, message)
    return render(
        request,
        "projects/settings.html",
        {
            "project": project,
            "review_form": review_form,
            "preset_form": preset_form,
            "contacts_form": contacts_form,
            "presets": project.presets.all(),
            "defaults": DEFAULT_PRESETS,
            "webhooks_url": reverse("projects:webhooks:list", args=[project.slug]),
        },
        status=400 if review_form.errors or preset_form.errors or contacts_form.errors else 200,
    )
