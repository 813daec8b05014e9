"""The thread beside a running job: heartbeats, progress, and the hard time limit."""

from __future__ import annotations

import logging
import os
import threading
import time

from django.conf import settings
from django.db import connection

from apps.generation import services

logger = logging.getLogger(__name__)


class JobLost(Exception):
    """Another attempt took the job over (or it was swept); stop without writing."""


class Watchdog(threading.Thread):
    """Keeps `heartbeat_at` fresh, writes progress, and enforces the hard time limit.

    Progress is handed over (`report`) and written from this thread, so the
    pipeline never waits on the database between steps; a write that finds
    the job no longer owned sets `lost`, which the pipeline checks at its next
    step. Celery's time limits are not applied by the thread pool GPU workers
    must use, so the limits live here: the soft one is checked between
    denoising steps, the hard one ends the process (after failing the job with
    a reason) when a step itself hangs. The process supervisor starts a fresh
    worker.
    """

    def __init__(self, job_id: str, attempt: int) -> None:
        super().__init__(name=f"watchdog-{job_id}", daemon=True)
        self.job_id, self.attempt = job_id, attempt
        self.hard_deadline = time.monotonic() + settings.GENERATION_HARD_TIME_LIMIT
        self.lost = False
        self._stop_event = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pending: tuple[str, int | None] | None = None

    def report(self, stage: str, step: int | None = None) -> None:
        with self._lock:
            self._pending = (stage, step)
        self._wake.set()

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                self._wake.wait(settings.GENERATION_HEARTBEAT_SECONDS)
                self._wake.clear()
                if self._stop_event.is_set():
                    break
                if time.monotonic() > self.hard_deadline:
                    self._hard_stop()
                self._write()
        finally:
            connection.close()

    def _write(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is None:
            owned = services.generation_heartbeat(job_id=self.job_id, attempt=self.attempt)
        else:
            stage, step = pending
            owned = services.generation_progress(
                job_id=self.job_id, attempt=self.attempt, stage=stage, step=step
            )
        if not owned:
            self.lost = True

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
        self._wake.set()
        self.join(timeout=5)
