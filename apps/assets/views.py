import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.approvals.services import approval_holds
from apps.audit.services import audit_record
from apps.core.exceptions import ApplicationError
from apps.projects.access import has_perm, project_for_request
from apps.projects.models import Perm

from .delivery import delivered_original, presets_for
from .export import assets_export
from .filters import GalleryFilter
from .models import AssetState, Rendition, ShareLink
from .selectors import asset_get_for_user, asset_list_for_user
from .sharing import share_link_create, share_link_revoke
from .tasks import publish_renditions


@login_required
def gallery(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_request(request, slug)
    assets = asset_list_for_user(user=request.user, project=project)  # type: ignore[arg-type]
    selection = GalleryFilter(request.GET or None, queryset=assets, project=project)
    return render(
        request,
        "assets/gallery.html",
        {
            "project": project,
            "assets": selection.qs,
            "filter": selection,
            "rendition_names": ["original", *(p.name for p in presets_for(project))],
        },
    )


@login_required
def review_queue(request: HttpRequest, slug: str) -> HttpResponse:
    """What waits for this reviewer: assets in review that someone else generated."""
    project = project_for_request(request, slug, perm=Perm.REVIEW)
    user: Any = request.user
    waiting = (
        asset_list_for_user(user=user, project=project)
        .filter(state=AssetState.IN_REVIEW)
        .exclude(job__created_by=user)
        .order_by("created_at")
    )
    return render(request, "assets/review_queue.html", {"project": project, "assets": waiting})


@login_required
def compare(request: HttpRequest, slug: str) -> HttpResponse:
    """Two versions side by side (?a=<id>&b=<id>), with what differs in how they were made."""
    project = project_for_request(request, slug)
    visible = asset_list_for_user(user=request.user, project=project)  # type: ignore[arg-type]
    try:
        ids = [uuid.UUID(request.GET.get(k, "")) for k in ("a", "b")]
    except ValueError:
        raise Http404("Choose two assets of this project.") from None
    pair = [visible.filter(pk=pk).first() for pk in ids]
    if not all(pair):
        raise Http404("Choose two assets of this project.")
    rows = []
    for label, attr in COMPARED:
        values = [getattr(a.job, attr) for a in pair]  # type: ignore[union-attr]
        rows.append((label, values, values[0] != values[1]))
    return render(request, "assets/compare.html", {"project": project, "pair": pair, "rows": rows})


COMPARED = [
    ("Route", "route"),
    ("Prompt", "prompt"),
    ("Negative prompt", "negative_prompt"),
    ("Seed", "seed"),
    ("Steps", "steps"),
    ("Guidance", "guidance"),
    ("Size", "width"),
    ("Model", "model_name"),
]


@login_required
def asset_file(request: HttpRequest, slug: str, pk: str) -> FileResponse:
    """Files are private: served only here, after the permission check.

    Inline previews (gallery, job page) are not audited; `?download=1` is a
    download: sent as an attachment and recorded in the audit trail.
    """
    project = project_for_request(request, slug)
    asset = asset_get_for_user(user=request.user, project=project, asset_id=pk)  # type: ignore[arg-type]
    stored = asset.file
    if not has_perm(request, Perm.VIEW_DRAFTS, project):
        # Viewers receive deliveries: the signed, watermarked original made from
        # the approved bytes; nothing while the approval does not hold.
        delivered = delivered_original(asset) if approval_holds(asset) else None
        if delivered is None:
            raise Http404("No such asset.")
        stored = delivered.file
    download = request.GET.get("download") == "1"
    if download:
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action="asset.download",
            target=asset,
            project=project,
            payload={"sha256": asset.sha256, "state": asset.state},
        )
    response = FileResponse(
        stored.open("rb"),
        content_type=f"image/{asset.format.lower()}",
        as_attachment=download,
        filename=f"{project.slug}-{asset.pk}.{asset.format.lower()}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


class ShareForm(forms.Form):
    label = forms.CharField(required=False, max_length=120, help_text="Who it is for (optional).")
    expires_in_days = forms.IntegerField(initial=7, min_value=1, label="Expires after (days)")
    max_downloads = forms.IntegerField(required=False, min_value=1, help_text="Empty: no limit.")


@login_required
@require_POST
def share_create(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.VIEW_DRAFTS)
    asset = asset_get_for_user(user=request.user, project=project, asset_id=pk)  # type: ignore[arg-type]
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Check the share link settings.")
    else:
        try:
            new = share_link_create(actor=request.user, asset=asset, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            url = request.build_absolute_uri(reverse("share-page", args=[new.token]))
            messages.success(request, f"Share link (shown once, copy it now): {url}")
    return redirect("projects:job-detail", slug=project.slug, pk=asset.job_id)


@login_required
@require_POST
def share_revoke(request: HttpRequest, slug: str, pk: str, link_id: int) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.VIEW_DRAFTS)
    asset = asset_get_for_user(user=request.user, project=project, asset_id=pk)  # type: ignore[arg-type]
    link = get_object_or_404(ShareLink, pk=link_id, asset=asset)
    if share_link_revoke(actor=request.user, link=link, reason="Revoked in the portal."):  # type: ignore[arg-type]
        messages.success(request, f"Share link {link.prefix}… revoked.")
    return redirect("projects:job-detail", slug=project.slug, pk=asset.job_id)


@login_required
def rendition_file(request: HttpRequest, slug: str, pk: str, name: str) -> FileResponse:
    """A delivered file; the same visibility as the asset, and only while approval holds."""
    project = project_for_request(request, slug)
    asset = asset_get_for_user(user=request.user, project=project, asset_id=pk)  # type: ignore[arg-type]
    rendition = get_object_or_404(Rendition, asset=asset, name=name)
    if not approval_holds(asset) or rendition.source_sha256 != asset.sha256:
        raise Http404("No such rendition.")
    audit_record(
        actor=request.user,  # type: ignore[arg-type]
        action="asset.download",
        target=asset,
        project=project,
        payload={"rendition": name, "sha256": rendition.sha256},
    )
    extension = rendition.format.lower()
    response = FileResponse(
        rendition.file.open("rb"),
        content_type=f"image/{extension}",
        as_attachment=True,
        filename=f"{project.slug}-{asset.pk}-{name}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def renditions_request(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    """Make (or remake) the delivered files on the cpu queue; never on this request."""
    project = project_for_request(request, slug, perm=Perm.VIEW_DRAFTS)
    asset = asset_get_for_user(user=request.user, project=project, asset_id=pk)  # type: ignore[arg-type]
    if not approval_holds(asset):
        messages.error(request, "Only approved assets get renditions.")
    else:
        publish_renditions(str(asset.pk))
        messages.success(request, "Renditions are being made; reload in a moment.")
    return redirect("projects:job-detail", slug=project.slug, pk=asset.job_id)


@login_required
@require_POST
def export(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_request(request, slug)
    try:
        data = assets_export(
            actor=request.user,  # type: ignore[arg-type]
            project=project,
            asset_ids=request.POST.getlist("asset"),
            renditions=request.POST.getlist("rendition"),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("projects:gallery", slug=project.slug)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-export.zip"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
