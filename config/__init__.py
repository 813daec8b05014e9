"""Imprimatur project configuration.

The Celery app is imported here so `@shared_task` functions bind to it
whenever Django starts (web process, shell, or worker).
"""

from .celery import app as celery_app

__all__ = ("celery_app",)
