"""Read-only view of webhook endpoints and deliveries for administrators and
compliance officers; managers change endpoints in the portal, through services.
The signing secret is never shown here."""

from __future__ import annotations

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["project", "url", "is_active", "created_at"]
    list_filter = ["is_active", "project"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "endpoint", "event", "status", "attempts", "last_status_code"]
    list_filter = ["status", "event"]
    date_hierarchy = "created_at"
