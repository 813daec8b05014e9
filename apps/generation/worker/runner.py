"""Run one claimed job on this worker's pre-loaded pipeline."""

from __future__ import annotations

import io
import logging
import os
import threading
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection
from django.utils import timezone
from PIL import Image

from apps.generation import services
from apps.generation.models import GenerationJob, JobStage
from apps.policies import gate
from apps.policies.gate import Verdict

from .pipelines import LoadedPipeline, WeightsUnavailable, registry
from .stage_timing import measure_stages

logger = logging.getLogger(__name__)


class JobLost(Exception):
    """Another attempt took the job over (or it was swept); stop without writing."""


class Watchdog(threading.Thread):
    """Keeps `heartbeat_at` fresh while the pipeline runs, and enforces the hard time limit.

    Celery's time limits are not applied by the solo pool GPU workers must use,
    so the limits live here: the soft one is checked between denoising steps,
    the hard one ends the process (after failing the job with a reason) when
    a step itself hangs. The process supervisor starts a fresh worker.
    """

    def __init__(self, job_id: str, attempt: int) -> None:
        super().__init__(name=f"watchdog-{job_id}", daemon=True)
        self.job_id, self.attempt = job_id, attempt
        self.hard_deadline = time.monotonic() + settings.GENERATION_HARD_TIME_LIMIT
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop_event.wait(settings.GENERATION_HEARTBEAT_SECONDS):
                if time.monotonic() > self.hard_deadline:
                    self._hard_stop()
                services.generation_heartbeat(job_id=self.job_id, attempt=self.attempt)
        finally:
            connection.close()

    def _hard_stop(self) -> None:
        limit = settings.GENERATION_HARD_TIME_LIMIT
        logger.critical("Job %s passed the hard time limit (%ss); exiting", self.job_id, limit)
        services.generation_fail(
            job_id=self.job_id,
            attempt=self.attempt,
            reason=f"Generation did not finish within the hard limit of {limit} seconds; "
            "the GPU worker was restarted.",
        )
        os._exit(70)  # EX_SOFTWARE: a stuck CUDA call cannot be interrupted any other way

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


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


def _generate(loaded: LoadedPipeline, job: GenerationJob, attempt: int) -> Image.Image:
    import torch

    job_id = str(job.pk)
    last_report = 0.0
    soft_deadline = time.monotonic() + settings.GENERATION_SOFT_TIME_LIMIT

    def on_step_end(pipe, step: int, timestep, callback_kwargs):  # type: ignore[no-untyped-def]
        nonlocal last_report
        done = step + 1
        now = time.monotonic()
        if now > soft_deadline:
            raise SoftTimeLimitExceeded()
        last = done >= job.steps
        if last or now - last_report >= settings.GENERATION_PROGRESS_MIN_INTERVAL:
            last_report = now
            stage = JobStage.DECODING if last else JobStage.DENOISING
            if not services.generation_progress(
                job_id=job_id, attempt=attempt, stage=stage, step=done
            ):
                raise JobLost(job_id)
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
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _gate_before_pipeline(job: GenerationJob) -> Verdict:
    """Policy may have changed since the request: judge the job again, as it is now."""
    verdict = gate.evaluate_generation(
        project=job.project,
        route=job.route,
        prompt=job.prompt,
        negative_prompt=job.negative_prompt,
        width=job.width,
        height=job.height,
        steps=job.steps,
    )
    gate.check_image_filter_ready(job.route, verdict)
    return verdict


def run_job(*, job_id: str, attempt: int) -> None:
    job = GenerationJob.objects.select_related("route__weights", "project").get(pk=job_id)
    verdict = _gate_before_pipeline(job)
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
        with measure_stages(loaded.pipe) as stages:
            image = _generate(loaded, job, attempt)
        first_image_at = timezone.now()
        if not services.generation_progress(job_id=job_id, attempt=attempt, stage=JobStage.STORING):
            raise JobLost(job_id)
        # Nothing is visible before the image filter has judged it; a refusal
        # (or a filter that cannot run) sends the output to quarantine.
        filter_started = time.perf_counter()
        image_verdict = gate.evaluate_image(route=job.route, image=image)
        filtered = time.perf_counter()
        png = _png(image)
        timings = {
            "encode": stages.encode_s,
            "denoise": stages.denoise_s,
            "decode": stages.decode_s,
            "image_filter": filtered - filter_started,
            "png": time.perf_counter() - filtered,
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
