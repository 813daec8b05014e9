"""Asset pipeline tasks on the `cpu` queue; ids in, services do the work."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from apps.core.exceptions import ApplicationError

from .delivery import renditions_make


def publish_renditions(asset_id: str) -> None:
    """Queue delivery on the CPU queue (after commit, by the caller)."""
    make_renditions.apply_async(args=[asset_id], queue=settings.DELIVERY_QUEUE)


@shared_task(name="apps.assets.tasks.make_renditions", acks_late=True)
def make_renditions(asset_id: str) -> list[str]:
    try:
        return renditions_make(asset_id=asset_id)
    except ApplicationError:
        return []  # withdrawn or changed since it was queued: nothing to deliver
