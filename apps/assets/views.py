from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.projects.access import project_for_request

from .selectors import asset_get_in_project, asset_list_for_project


@login_required
def gallery(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = project_for_request(request, slug)
    assets = asset_list_for_project(project=project)
    return render(request, "assets/gallery.html", {"project": project, "assets": assets})


@login_required
def asset_file(request: HttpRequest, slug: str, pk: str) -> FileResponse:
    """Files are private: served only here, after the membership check."""
    project, _ = project_for_request(request, slug)
    asset = asset_get_in_project(project=project, asset_id=pk)
    response = FileResponse(asset.file.open("rb"), content_type=f"image/{asset.format.lower()}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
