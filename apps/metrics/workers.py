"""Worker presence for /metrics: each worker writes a short-lived beat to Redis.

A beat says which queues the worker consumes, whether it is running a task,
and (where NVML answers) its GPUs' memory and utilisation. Beats expire, so a
worker that died stops being counted within a few seconds, whatever host it
ran on. "Busy" is exact for GPU workers (one task thread: tasks run in the process
that beats); for a prefork worker it reflects only the parent process.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import redis
from django.conf import settings

from .gpu import gpu_stats

logger = logging.getLogger(__name__)
KEY_PREFIX = "imprimatur:worker:"
_state: dict[str, Any] = {"busy": 0, "hostname": "", "queues": [], "started": 0.0}


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.METRICS_REDIS_URL, socket_timeout=1)


def beat_once() -> None:
    interval = settings.METRICS_WORKER_BEAT_SECONDS
    body = {
        "hostname": _state["hostname"],
        "queues": _state["queues"],
        "busy": _state["busy"] > 0,
        "started": _state["started"],
        "gpus": gpu_stats(),
    }
    _client().set(KEY_PREFIX + _state["hostname"], json.dumps(body), ex=int(interval * 3) + 1)


def _beat_forever() -> None:
    while not _state.get("stopping"):
        try:
            beat_once()
        except Exception as exc:  # noqa: BLE001 - metrics must never take a worker down
            logger.warning("Worker beat not written: %s", exc)
        time.sleep(settings.METRICS_WORKER_BEAT_SECONDS)


def read_beats() -> list[dict[str, Any]]:
    client = _client()
    keys = list(client.scan_iter(match=KEY_PREFIX + "*", count=500))
    beats = []
    for raw in client.mget(keys) if keys else []:
        if raw:
            beats.append(json.loads(raw))
    return beats


def _on_worker_ready(sender: Any = None, **kwargs: Any) -> None:
    from config.celery import app

    _state["hostname"] = getattr(sender, "hostname", "") or "worker"
    _state["queues"] = sorted(app.amqp.queues.consume_from or {})
    _state["started"] = time.time()
    threading.Thread(target=_beat_forever, name="metrics-beat", daemon=True).start()


def _on_worker_shutdown(**kwargs: Any) -> None:
    """A clean stop says so at once; a crashed worker's beat expires instead."""
    _state["stopping"] = True
    if _state["hostname"]:
        try:
            _client().delete(KEY_PREFIX + _state["hostname"])
        except Exception as exc:  # noqa: BLE001
            logger.warning("Worker beat not removed: %s", exc)


def _on_task_prerun(**kwargs: Any) -> None:
    _state["busy"] += 1


def _on_task_postrun(**kwargs: Any) -> None:
    _state["busy"] = max(0, _state["busy"] - 1)


def connect_signals() -> None:
    from celery.signals import task_postrun, task_prerun, worker_ready, worker_shutdown

    worker_ready.connect(_on_worker_ready, dispatch_uid="metrics.worker_ready", weak=False)
    worker_shutdown.connect(_on_worker_shutdown, dispatch_uid="metrics.shutdown", weak=False)
    task_prerun.connect(_on_task_prerun, dispatch_uid="metrics.task_prerun", weak=False)
    task_postrun.connect(_on_task_postrun, dispatch_uid="metrics.task_postrun", weak=False)
