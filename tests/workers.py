"""Start real Celery worker processes against the test database and the real broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from apps.generation.models import GenerationJob
from config.celery import app

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class WorkerProcess:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no ack, exactly like a crashed GPU host."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def worker_env() -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def start_worker(
    queues: list[str],
    name: str,
    log_dir: Path,
    *,
    env: dict[str, str] | None = None,
    ready_timeout: float = 120,
) -> WorkerProcess:
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                ",".join(queues),
                "--pool=threads",
                "--concurrency=1",
                "-n",
                f"{name}@%h",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=worker_env() | (env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = WorkerProcess(name, proc, log_path)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if " ready." in worker.log:
            return worker
        if proc.poll() is not None:
            raise RuntimeError(f"worker {name} exited:\n{worker.log}")
        time.sleep(0.2)
    worker.stop()
    raise TimeoutError(f"worker {name} not ready in {ready_timeout}s:\n{worker.log}")


def wait_for_job(
    job_id: object,
    until: Callable[[GenerationJob], bool] = lambda j: j.is_final,
    timeout: float = 90,
) -> GenerationJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = GenerationJob.objects.get(pk=job_id)
        if until(job):
            return job
        time.sleep(0.1)
    raise TimeoutError(f"job {job_id} still {GenerationJob.objects.get(pk=job_id).status}")


def delete_queues(queues: list[str]) -> None:
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in queues:
            try:
                channel.queue_delete(queue)
            except Exception:  # noqa: S110 - best effort: the queue may never have been declared
                pass
