"""Periodic audit work (Celery beat, "cpu" queue)."""

from __future__ import annotations

from celery import shared_task

from .checkpoints import checkpoint_write


@shared_task(name="apps.audit.tasks.write_checkpoint")
def write_checkpoint() -> int | None:
    """Returns the sequence the new checkpoint covers, or None if nothing changed since the last."""
    checkpoint = checkpoint_write(actor=None)
    return None if checkpoint is None else checkpoint.sequence
