"""Delivered files: the signed original and each preset's rendition.

Runs on the `cpu` queue (never on a web request) when an asset is approved,
and on demand. Every delivered file is made from the approved bytes, carries
an invisible watermark naming the asset, and a C2PA manifest: the original
says it was created by a trained model (which model, which weights); each
rendition signs its own manifest with the signed original as ingredient.
Without a usable signing certificate nothing is delivered (fail closed).
"""

from __future__ import annotations

import hashlib
import io
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from apps.audit.services import audit_record
from apps.core.exceptions import ApplicationError
from apps.projects.models import Project

from .models import Asset, Rendition, RenditionPreset
from .provenance import stamp, watermark
from .renditions import Preset, render_all

logger = logging.getLogger(__name__)

ORIGINAL = "original"
SYSTEM_ACTOR = "system"

# Used by projects that define no presets of their own.
DEFAULT_PRESETS = (
    Preset("social-landscape", 1200, 628, "crop", "JPEG", quality=85),
    Preset("social-square", 1080, 1080, "crop", "WEBP", quality=85),
    Preset("web-tile", 512, 512, "crop", "AVIF", quality=60),
    Preset("thumbnail", 256, 256, "crop", "JPEG", quality=80),
)


def presets_for(project: Project) -> list[Preset]:
    rows = RenditionPreset.objects.filter(project=project)
    if not rows.exists():
        return list(DEFAULT_PRESETS)
    return [
        Preset(
            r.name,
            r.width,
            r.height,
            r.mode,
            r.format,
            quality=r.quality,
            ssim_target=r.ssim_target,
            focal_x=r.focal_x,
            focal_y=r.focal_y,
        )
        for r in rows
    ]


def _store(asset: Asset, name: str, spec: dict[str, object], data: bytes, **fields: object) -> None:
    Rendition.objects.filter(asset=asset, name=name).delete()
    extension = str(fields["format"]).lower()
    rendition = Rendition(
        asset=asset,
        name=name,
        spec=spec,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        source_sha256=asset.sha256,
        **fields,
    )
    rendition.file.save(f"{name}.{extension}", ContentFile(data), save=False)
    rendition.save()


def renditions_make(*, asset_id: str) -> list[str]:
    """Make the signed original and every preset's rendition of an approved asset."""
    from apps.approvals.services import approval_holds

    asset = Asset.objects.select_related("project", "job", "job__route__weights").get(pk=asset_id)
    if not approval_holds(asset):
        raise ApplicationError("Only approved assets (with their approved bytes) are delivered.")
    with asset.file.open("rb") as fh, Image.open(fh) as image:
        image.load()
        # Marked once at full size; renditions are made from the marked pixels,
        # so the mark survives into each without a second lossy encode.
        marked = watermark.embed(image.convert("RGB"), asset.pk)
    # Renditions are made from the marked pixels; the mark lives on a grid over
    # the whole frame, so it survives scaling but not a crop to another shape.
    # Those renditions are marked again after resizing (about 25 ms each).
    source_ratio = marked.width / marked.height

    def mark_if_cropped(resized: Image.Image) -> Image.Image:
        ratio = resized.width / resized.height
        if abs(ratio - source_ratio) / source_ratio > 0.02:
            return watermark.embed(resized, asset.pk)
        return resized

    def signed_png() -> tuple[bytes, dict[str, Any]]:
        buffer = io.BytesIO()
        marked.save(buffer, format="PNG", compress_level=1)
        return stamp.sign_delivery(
            data=buffer.getvalue(),
            fmt="PNG",
            asset=asset,
            title=f"{asset.project.slug}-{asset.pk}.png",
        )

    # The original's PNG encode and the renditions' encodes release the GIL:
    # run them side by side (this is most of the delivery's time).
    with ThreadPoolExecutor(max_workers=2) as pool:
        original_future = pool.submit(signed_png)
        results = render_all(marked, presets_for(asset.project), before_encode=mark_if_cropped)
        signed_original, original_report = original_future.result()
    made: list[tuple[str, dict[str, object], bytes, dict[str, object]]] = []
    for preset in presets_for(asset.project):
        result = results[preset.name]
        data, report = stamp.sign_delivery(
            data=result.data,
            fmt=result.format,
            asset=asset,
            title=f"{asset.project.slug}-{asset.pk}-{preset.name}.{result.format.lower()}",
            ingredient=signed_original,
        )
        fields = {
            "format": result.format,
            "width": result.width,
            "height": result.height,
            "quality": result.quality,
            "ssim": result.ssim,
            "provenance": report,
        }
        made.append((preset.name, asdict(preset), data, fields))
    with transaction.atomic():
        _store(
            asset,
            ORIGINAL,
            {"name": ORIGINAL},
            signed_original,
            format="PNG",
            width=asset.width,
            height=asset.height,
            provenance=original_report,
        )
        for name, spec, data, fields in made:
            _store(asset, name, spec, data, **fields)
        audit_record(
            actor=None,
            actor_username=SYSTEM_ACTOR,
            action="rendition.create",
            target=asset,
            project=asset.project,
            payload={"renditions": [ORIGINAL, *(m[0] for m in made)], "source": asset.sha256},
        )
    logger.info("Delivered %d renditions of asset %s", len(made) + 1, asset.pk)
    return [ORIGINAL, *(m[0] for m in made)]


def delivered_original(asset: Asset) -> Rendition | None:
    """The signed, watermarked original made from the asset's current approved bytes."""
    return (
        Rendition.objects.filter(asset=asset, name=ORIGINAL, source_sha256=asset.sha256)
        .order_by("-created_at")
        .first()
    )


def delivery_configured() -> bool:
    return bool(settings.C2PA_SIGNING_CERT_CHAIN and settings.C2PA_SIGNING_KEY)
