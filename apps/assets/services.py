from __future__ import annotations

import hashlib
import io

from django.core.files.base import ContentFile
from PIL import Image

from apps.generation.models import GenerationJob

from .models import Asset


def asset_create_from_png(*, job: GenerationJob, png: bytes) -> Asset:
    """Store a worker's PNG for `job`. Runs inside the caller's transaction.

    If that transaction rolls back the row disappears; the file is removed by
    the caller's cleanup so no orphan is served.
    """
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
        fmt = image.format or "PNG"
    asset = Asset(
        project=job.project,
        job=job,
        sha256=hashlib.sha256(png).hexdigest(),
        size_bytes=len(png),
        format=fmt,
        width=width,
        height=height,
    )
    asset.file.save(f"{asset.pk}.png", ContentFile(png), save=False)
    asset.save()
    return asset
