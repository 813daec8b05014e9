"""Read-only view of webhook endpoints and deliveries for administrators and
compliance officers; managers change endpoints in the portal, through services.
The signing secret is never shown here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import WebhookDelivery, WebhookEndpoint


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnly):
    list_display = ["project", "url", "is_active", "created_at"]
    list_filter = ["is_active", "project"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ["created_at", "endpoint", "event", "status", "attempts", "last_status_code"]
    list_filter = ["status", "event"]
    date_hierarchy = "created_at"
