"""Reads for the webhook pages; the views have already checked Perm.MANAGE."""

from __future__ import annotations

import uuid

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from apps.projects.models import Project

from .models import WebhookDelivery, WebhookEndpoint

RECENT_DELIVERIES = 50


def endpoint_list(*, project: Project) -> QuerySet[WebhookEndpoint]:
    return (
        WebhookEndpoint.objects.filter(project=project)
        .select_related("created_by")
        .annotate(delivery_count=Count("deliveries"))
    )


def endpoint_get(*, project: Project, endpoint_id: int) -> WebhookEndpoint:
    """The project's endpoint, or 404 (another project's id reveals nothing)."""
    return get_object_or_404(
        WebhookEndpoint.objects.select_related("project"), pk=endpoint_id, project=project
    )


def delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return endpoint.deliveries.order_by("-created_at")[:RECENT_DELIVERIES]


def delivery_get(*, project: Project, delivery_id: uuid.UUID) -> WebhookDelivery:
    return get_object_or_404(
        WebhookDelivery.objects.select_related("endpoint", "endpoint__project"),
        pk=delivery_id,
        endpoint__project=project,
    )
