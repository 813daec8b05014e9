"""Per-project webhook endpoints and the deliveries made to them.

The signing secret is stored as it was issued, not hashed: signing a body
with HMAC-SHA256 needs the key itself at send time, so a one-way hash (as for
share-link tokens and API keys) cannot work. It is shown once, when the
endpoint is created, and never again: not in the portal, the audit trail or
logs. Whoever can read this table can forge deliveries to the endpoint; to
rotate, create a new endpoint and delete the old one.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from apps.projects.models import Project


class Event(models.TextChoices):
    """What an endpoint can subscribe to."""

    JOB_COMPLETED = "job.completed", "Job completed"
    JOB_FAILED = "job.failed", "Job failed"
    JOB_REFUSED = "job.refused", "Job refused by policy"
    ASSET_APPROVED = "asset.approved", "Asset approved"
    ASSET_REJECTED = "asset.rejected", "Asset rejected"
    ASSET_WITHDRAWN = "asset.withdrawn", "Approval withdrawn"
    SHARE_LINK_REVOKED = "share_link.revoked", "Share link revoked"


class DeliveryStatus(models.TextChoices):
    """`pending`: not tried yet; `failed`: the last try failed and another is scheduled."""

    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed, will retry"
    GAVE_UP = "gave_up", "Gave up"


# Deliveries still to be tried; the others are final.
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
FINAL_STATUSES = (DeliveryStatus.SUCCEEDED, DeliveryStatus.GAVE_UP)


class WebhookEndpoint(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhooks")
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Event names, e.g. ['job.completed']")
    # base64url of 32 random bytes, used as the HMAC key (see the module docstring).
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(default=True)
    # Set by the service, never by a form: at creation the URL reached a
    # non-public address that WEBHOOK_ALLOWED_HOSTS admits (an on-premise
    # CMS). Informational; every send checks the allow-list afresh.
    allowed_private = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.origin} {self.description}".strip()

    @property
    def origin(self) -> str:
        """scheme://host[:port] only: paths and queries may carry a CMS's own tokens."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


class WebhookDelivery(models.Model):
    """One event for one endpoint, with the outcome of its latest attempt.

    A re-send is a new delivery of the same event (same `event_id`, so the
    receiver can deduplicate), linked through `resent_from`.
    """

    Status = DeliveryStatus
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=Event.choices)
    event_id = models.UUIDField(db_index=True)
    event_created_at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    # When the next attempt is due; while an attempt runs, the end of its lease.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the latest published send_delivery message is due to run: an
    # attempt due later than this has no message yet (see webhook_dispatch_due).
    queued_at = models.DateTimeField(null=True, blank=True)
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id} -> {self.endpoint_id}"
