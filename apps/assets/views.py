from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.approvals.services import approval_holds
from apps.audit.services import audit_record
from apps.projects.access import has_perm, project_for_request
from apps.projects.models import Perm

from .selectors import asset_get_for_user, asset_list_for_user


@login_required
def gallery(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_request(request, slug)
    assets = asset_list_for_user(user=request.user, project=project)  # type: ignore[arg-type]
    return render(request, "assets/gallery.html", {"project": project, "assets": assets})


@login_required
def asset_file(request: HttpRequest, slug: str, pk: str) -> FileResponse:
    """Files are private: served only here, after the permission check.

    Inline previews (gallery, job page) are not audited; `?download=1` is a
    download: sent as an attachment and recorded in the audit trail.
    """
    project = project_for_request(request, slug)
    asset = asset_get_for_user(user=request.user, project=project, asset_id=pk)  # type: ignore[arg-type]
    if not has_perm(request, Perm.VIEW_DRAFTS, project) and not approval_holds(asset):
        # Viewers get approved bytes only: a file changed since its approval is not delivered.
        raise Http404("No such asset.")
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
        asset.file.open("rb"),
        content_type=f"image/{asset.format.lower()}",
        as_attachment=download,
        filename=f"{project.slug}-{asset.pk}.{asset.format.lower()}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
