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
