"""Public share-link pages: no login, one approved asset, nothing else."""

from __future__ import annotations

from typing import TypeVar

from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.approvals.models import Verdict

from .delivery import delivered_original
from .provenance import c2pa
from .sharing import ShareLinkRefused, share_link_use

R = TypeVar("R", bound=HttpResponseBase)


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "share/unavailable.html", status=404)


def _secure(response: R) -> R:
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_GET
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = share_link_use(token=token, download=False)
    except ShareLinkRefused:
        return _secure(_unavailable(request))
    asset = link.asset
    approval = asset.decisions.filter(verdict=Verdict.APPROVE).order_by("-created_at").first()
    left = None if link.max_downloads is None else max(0, link.max_downloads - link.downloads)
    delivered = delivered_original(asset)
    credentials = None
    if delivered is not None:
        with delivered.file.open("rb") as fh:
            credentials = c2pa.read(
                fh.read(), "image/png", trust_anchors_pem=c2pa.trust_anchors_from_settings()
            )
    context = {
        "credentials": credentials,
        "link": link,
        "asset": asset,
        "token": token,
        "approval": approval,
        "downloads_left": left,
    }
    return _secure(render(request, "share/page.html", context))


@never_cache
@require_GET
def share_file(request: HttpRequest, token: str) -> HttpResponseBase:
    """The image inline (a view) or as an attachment (a counted download)."""
    download = request.GET.get("download") == "1"
    try:
        link = share_link_use(token=token, download=download)
    except ShareLinkRefused:
        return _secure(_unavailable(request))
    asset = link.asset
    delivered = delivered_original(asset)
    if delivered is None:  # removed since share_link_use looked
        return _secure(_unavailable(request))
    extension = delivered.format.lower()
    response = FileResponse(
        delivered.file.open("rb"),
        content_type=f"image/{extension}",
        as_attachment=download,
        # Built from the id, never from user text: safe in Content-Disposition.
        filename=f"{asset.project.slug}-{asset.pk}.{extension}",
    )
    return _secure(response)
