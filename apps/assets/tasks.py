"""Asset pipeline tasks on the `cpu` queue; ids in, services do the work."""

from __future__ import annotations

from celery import shared_task

from apps.core.exceptions import ApplicationError

from .delivery import renditions_make


@shared_task(name="apps.assets.tasks.make_renditions", acks_late=True)
def make_renditions(asset_id: str) -> list[str]:
    try:
        return renditions_make(asset_id=asset_id)
    except ApplicationError:
        return []  # withdrawn or changed since it was queued: nothing to deliver
