"""Webhook tasks on the delivery (`cpu`) queue; ids in, services do the work."""

from __future__ import annotations

from celery import shared_task

from .services import webhook_delivery_attempt, webhook_dispatch_due


# Time limits well inside the services' attempt lease (5 minutes).
@shared_task(
    name="apps.webhooks.tasks.send_delivery", acks_late=True, soft_time_limit=60, time_limit=90
)
def send_delivery(delivery_id: str) -> str | None:
    """One attempt; retries are scheduled by the service, not by Celery's retry."""
    delivery = webhook_delivery_attempt(delivery_id=delivery_id)
    return None if delivery is None else str(delivery.status)


@shared_task(name="apps.webhooks.tasks.dispatch_due_deliveries", acks_late=True)
def dispatch_due_deliveries() -> int:
    return webhook_dispatch_due()
