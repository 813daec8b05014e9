"""Worker start-up: find the routes this worker serves and load their pipelines once."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connections

logger = logging.getLogger(__name__)


def consumed_queues() -> set[str]:
    """The queues given with -Q (set on the app before the pool starts)."""
    from config.celery import app

    return set(app.amqp.queues.consume_from or {})


def warm_pipelines_in_thread_pool(sender: Any = None, **kwargs: Any) -> None:
    """worker_ready, for `--pool=threads`, which sends no worker_process_init.

    Tasks run in this process's threads; nothing is dispatched until this
    returns, so the first job still finds its pipeline loaded and warm.
    """
    pool = getattr(sender, "pool", None)
    if pool is not None and type(pool).__module__ == "celery.concurrency.thread":
        warm_pipelines()


def warm_pipelines(**kwargs: Any) -> None:
    """worker_process_init (solo, prefork children), or worker_ready for the thread pool."""
    from apps.generation.models import ModelRoute

    from .pipelines import registry

    queues = consumed_queues()
    routes = list(
        ModelRoute.objects.filter(queue__in=queues, enabled=True).select_related("weights")
    )
    if not routes:
        logger.info("No generation routes on queues %s; no pipeline loaded", sorted(queues))
        return
    logger.info(
        "Serving routes %s on queues %s",
        ", ".join(r.name for r in routes),
        ", ".join(sorted(queues)),
    )
    unique = {r.weights.name: r.weights for r in routes}
    registry.warm(list(unique.values()))
    from apps.policies.gate import warm_filters

    warm_filters()
    connections.close_all()
