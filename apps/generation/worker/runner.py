"""Run one claimed job on this worker's pre-loaded pipeline."""

from __future__ import annotations

import io
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone
from PIL import Image

from apps.generation import services
from apps.generation.models import GenerationJob, JobStage
from apps.policies import gate
from apps.policies.gate import Verdict

from .pipelines import LoadedPipeline, WeightsUnavailable, registry
from .stage_timing import measure_stages
from .watchdog import JobLost, Watchdog

logger = logging.getLogger(__name__)


def _runtime_fields(loaded: LoadedPipeline) -> dict[str, object]:
    import diffusers
    import torch

    return {
        "model_name": loaded.weights_name,
        "weights_revision": loaded.revision,
        "weights_hash": loaded.content_hash,
        "torch_version": torch.__version__,
        "diffusers_version": diffusers.__version__,
        "device": _device_label(loaded.device),
        "dtype": loaded.dtype,
        "pipeline_loaded_at": loaded.loaded_at,
    }


def _device_label(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        return f"{device} ({torch.cuda.get_device_name(torch.device(device))})"
    return device


def _generate(
    loaded: LoadedPipeline, job: GenerationJob, attempt: int, watchdog: Watchdog
) -> Image.Image:
    import torch

    last_report = 0.0
    soft_deadline = time.monotonic() + settings.GENERATION_SOFT_TIME_LIMIT

    def on_step_end(pipe, step: int, timestep, callback_kwargs):  # type: ignore[no-untyped-def]
        nonlocal last_report
        done = step + 1
        now = time.monotonic()
        if now > soft_deadline:
            raise SoftTimeLimitExceeded()
        if watchdog.lost:
            raise JobLost(str(job.pk))
        last = done >= job.steps
        if last or now - last_report >= settings.GENERATION_PROGRESS_MIN_INTERVAL:
            last_report = now
            watchdog.report(JobStage.DECODING if last else JobStage.DENOISING, done)
        return callback_kwargs

    # A CPU generator makes the seed mean the same noise on every device.
    generator = torch.Generator(device="cpu").manual_seed(job.seed)
    result = loaded.pipe(
        prompt=job.prompt,
        negative_prompt=job.negative_prompt or None,
        height=job.height,
        width=job.width,
        num_inference_steps=job.steps,
        guidance_scale=job.guidance,
        generator=generator,
        max_sequence_length=job.route.max_sequence_length,
        callback_on_step_end=on_step_end,
    )
    image: Image.Image = result.images[0]
    return image


def _png(image: Image.Image) -> bytes:
    """Lossless, at zlib level 1: the stored original is re-encoded for every
    delivery anyway, and level 6 costs 5-8x the time (160 ms at 512 px on CPU)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


_encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="png")


def _filter_and_encode(
    route: object, image: Image.Image
) -> tuple[Verdict, bytes, dict[str, float]]:
    """The image filter and the PNG encoding side by side (both release the GIL):
    the filter must judge before anything is stored, but the bytes can be ready."""
    started = time.perf_counter()
    encoding = _encoder.submit(_png, image)
    verdict = gate.evaluate_image(route=route, image=image)  # type: ignore[arg-type]
    filtered = time.perf_counter()
    png = encoding.result()
    return verdict, png, {"image_filter": filtered - started, "png": time.perf_counter() - started}


def _gate_before_pipeline(job: GenerationJob) -> Verdict:
    """Policy may have changed since the request: judge the job again, as it is now."""
    from apps.policies.models import Decision, Outcome, Stage

    request_versions = (
        Decision.objects.filter(job=job, stage=Stage.REQUEST, outcome=Outcome.ALLOWED)
        .values_list("policy_versions", flat=True)
        .first()
    )
    verdict = gate.evaluate_generation(
        text_cleared_under=(request_versions or {}).get("filters"),
        project=job.project,
        route=job.route,
        prompt=job.prompt,
        negative_prompt=job.negative_prompt,
        width=job.width,
        height=job.height,
        steps=job.steps,
        guard=True,
    )
    gate.check_image_filter_ready(job.route, verdict)
    return verdict


def run_job(*, job_id: str, attempt: int) -> None:
    started = time.perf_counter()
    job = GenerationJob.objects.select_related("route__weights", "project").get(pk=job_id)
    verdict = _gate_before_pipeline(job)
    gated = time.perf_counter()
    if not verdict.allowed:
        services.generation_refuse(job_id=job_id, attempt=attempt, verdict=verdict)
        return
    try:
        loaded = registry.get(job.route.weights)
    except WeightsUnavailable as exc:
        services.generation_fail(job_id=job_id, attempt=attempt, reason=str(exc))
        return
    if not services.generation_record_runtime(
        job_id=job_id, attempt=attempt, runtime=_runtime_fields(loaded)
    ):
        return
    watchdog = Watchdog(job_id, attempt)
    watchdog.start()
    try:
        # Stage times go on the job: metrics and the benchmark split a job's
        # run into text encoding, denoising and decoding with them.
        ready = time.perf_counter()
        with measure_stages(loaded.pipe) as stages:
            image = _generate(loaded, job, attempt, watchdog)
        first_image_at = timezone.now()
        if watchdog.lost:
            raise JobLost(job_id)
        watchdog.report(JobStage.STORING)
        # Nothing is visible before the image filter has judged it; a refusal
        # (or a filter that cannot run) sends the output to quarantine.
        image_verdict, png, after = _filter_and_encode(job.route, image)
        timings = {
            "gate": gated - started,
            "setup": ready - gated,
            "encode": stages.encode_s,
            "denoise": stages.denoise_s,
            "decode": stages.decode_s,
            **after,
        }
        timings = {name: round(seconds, 6) for name, seconds in timings.items()}
        if image_verdict.allowed:
            services.generation_complete(
                job_id=job_id,
                attempt=attempt,
                png=png,
                first_image_at=first_image_at,
                image_verdict=image_verdict,
                timings=timings,
            )
        else:
            services.generation_quarantine(
                job_id=job_id,
                attempt=attempt,
                png=png,
                first_image_at=first_image_at,
                verdict=image_verdict,
                timings=timings,
            )
    except JobLost:
        logger.warning("Job %s attempt %d was taken over; dropping its result", job_id, attempt)
    except SoftTimeLimitExceeded:
        services.generation_fail(
            job_id=job_id,
            attempt=attempt,
            reason=f"Generation took longer than {settings.GENERATION_SOFT_TIME_LIMIT} seconds "
            "and was stopped.",
        )
    except Exception as exc:
        logger.exception("Job %s failed", job_id)
        services.generation_fail(
            job_id=job_id, attempt=attempt, reason=f"Generation failed: {type(exc).__name__}: {exc}"
        )
    finally:
        watchdog.stop()
