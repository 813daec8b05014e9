"""Celery tasks: ids in, claim, call the runner or a service. No logic of their own."""

from __future__ import annotations

import os
import socket

from celery import Task, shared_task
from django.conf import settings

from . import services
from .services import Claim


@shared_task(
    bind=True,
    name="apps.generation.tasks.generate_image",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=int(settings.GENERATION_HARD_TIME_LIMIT / settings.GENERATION_STALE_AFTER_SECONDS)
    + 2,
)
def generate_image(self: Task, job_id: str) -> str:
    """Time limits are enforced by the runner's watchdog: the thread pool ignores Celery's."""
    from .worker.runner import run_job

    worker = f"{self.request.hostname or socket.gethostname()} pid {os.getpid()}"
    claim = services.generation_claim(job_id=job_id, worker=worker)
    if claim.outcome is Claim.BUSY:
        # Redelivered while the previous worker's heartbeat is still fresh:
        # look again once it would have gone stale.
        raise self.retry(countdown=settings.GENERATION_STALE_AFTER_SECONDS)
    if claim.outcome is Claim.GONE:
        return "gone"
    run_job(job_id=job_id, attempt=claim.attempt)
    return "ran"


@shared_task(name="apps.generation.tasks.sweep_stuck_jobs")
def sweep_stuck_jobs() -> int:
    return services.generation_sweep_stuck()
