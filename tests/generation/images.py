import io

from django.utils import timezone
from PIL import Image

from apps.generation.models import GenerationJob
from apps.generation.services import generation_complete
from apps.policies import gate


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def complete(*, job_id, attempt, png, first_image_at=None):
    """Finish a claimed job as the worker does: the real image filter judges the PNG first."""
    route = GenerationJob.objects.select_related("route").get(pk=job_id).route
    verdict = gate.evaluate_image(route=route, image=Image.open(io.BytesIO(png)))
    assert verdict.allowed, verdict.rules
    return generation_complete(
        job_id=job_id,
        attempt=attempt,
        png=png,
        first_image_at=first_image_at or timezone.now(),
        image_verdict=verdict,
    )


def picture_png(size: int = 256) -> bytes:
    """A small picture with shapes: enough structure for watermarks and QA."""
    from PIL import ImageDraw

    image = Image.new("RGB", (size, size), (236, 232, 220))
    draw = ImageDraw.Draw(image)
    draw.ellipse((size // 4, size // 4, size * 3 // 4, size * 3 // 4), fill=(200, 60, 40))
    draw.rectangle((size // 8, size // 16, size * 7 // 8, size // 5), fill=(30, 60, 120))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def deliver(asset):
    """Make the approved asset's delivered files, as the cpu worker does after approval."""
    from apps.assets.delivery import renditions_make

    renditions_make(asset_id=str(asset.pk))
    return asset
