"""Webhook endpoints (managed by project managers) and their deliveries (sent by the system).

Endpoint changes and re-sends are audited. Deliveries are not: each records
its own outcome in WebhookDelivery, and one audit event per attempt would
only flood the chain.

Delivery life: `webhook_emit` creates one pending delivery per subscribed
active endpoint and publishes `send_delivery` after commit. Each attempt
claims the delivery with a compare-and-set (so two copies of the task never
send at once), re-checks the URL (DNS changes), POSTs to the checked address
and records the outcome: 2xx succeeds; anything else is `failed` with the
next attempt after WEBHOOK_RETRY_DELAYS, or `gave_up` after
WEBHOOK_MAX_ATTEMPTS. Short delays are scheduled with a Celery countdown;
longer ones (and any task lost on the way) are published by the periodic
`dispatch_due_deliveries`, since brokers handle hours-long ETA messages badly
(RabbitMQ's consumer timeout, Redis' visibility timeout).
"""

from __future__ import annotations

import http.client
import json
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.exceptions import ApplicationError, PermissionDenied
from apps.projects.models import Perm, Project

from .models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
)
from .signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    canonical_body,
    signature_header,
)
from .ssrf import UnsafeTarget, post_pinned, resolve_target

logger = logging.getLogger(__name__)

SECRET_BYTES = 32
USER_AGENT = "Imprimatur-Webhooks/1"
# An attempt holds its delivery this long; the task's hard time limit is shorter.
ATTEMPT_LEASE = timedelta(minutes=5)
# A due delivery whose message has not run this long after it was due is published again.
REQUEUE_AFTER = timedelta(minutes=5)
# Clocks of the publisher and the worker may differ a little.
CLOCK_SLACK = timedelta(seconds=2)
REDIRECT_REASON = "Redirects are not followed"


@dataclass(frozen=True)
class NewWebhookEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once, when the endpoint is created


def _require_manager(actor: User, project: Project) -> None:
    if not actor.has_perm(Perm.MANAGE, project):
        raise PermissionDenied("Only project managers can manage webhooks.")


def _clean_events(events: Iterable[str], errors: dict[str, list[str]]) -> list[str]:
    chosen = {str(event) for event in events}
    unknown = sorted(chosen - set(Event.values))
    if unknown:
        errors.setdefault("events", []).append(f"Unknown events: {', '.join(unknown)}.")
    elif not chosen:
        errors.setdefault("events", []).append("Choose at least one event.")
    return [event for event in Event.values if event in chosen]


def webhook_endpoint_create(
    *,
    actor: User,
    project: Project,
    url: str,
    events: Iterable[str],
    description: str = "",
) -> NewWebhookEndpoint:
    """A new endpoint and its signing secret, which only this return value carries.

    The URL is checked (and resolved) before the transaction opens: no row or
    lock is held while DNS answers.
    """
    _require_manager(actor, project)
    errors: dict[str, list[str]] = {}
    chosen = _clean_events(events, errors)
    allowed_private = False
    try:
        allowed_private = resolve_target(url).allow_listed
    except UnsafeTarget as exc:
        errors.setdefault("url", []).append(exc.message)
    if errors:
        raise ValidationError(errors)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            project=project,
            url=url.strip(),
            description=description.strip()[:200],
            events=chosen,
            secret=secret,
            allowed_private=allowed_private,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="webhook.create",
            target=endpoint,
            project=project,
            # The origin only: a path or query may carry the CMS's own token.
            payload={
                "origin": endpoint.origin,
                "events": chosen,
                "allowed_private": allowed_private,
            },
        )
    return NewWebhookEndpoint(endpoint, secret)


@transaction.atomic
def webhook_endpoint_deactivate(*, actor: User, endpoint: WebhookEndpoint) -> bool:
    """Stop sending to the endpoint; False when it was already inactive.

    Deliveries still waiting for an attempt give up at once.
    """
    _require_manager(actor, endpoint.project)
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(is_active=False)
    endpoint.is_active = False
    if not changed:
        return False
    abandoned = endpoint.deliveries.filter(status__in=OPEN_STATUSES).update(
        status=DeliveryStatus.GAVE_UP,
        last_error="The endpoint was deactivated.",
        next_attempt_at=None,
    )
    audit_record(
        actor=actor,
        action="webhook.deactivate",
        target=endpoint,
        project=endpoint.project,
        payload={"origin": endpoint.origin, "abandoned_deliveries": abandoned},
    )
    return True


@transaction.atomic
def webhook_endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery history; the audit event keeps its label."""
    _require_manager(actor, endpoint.project)
    audit_record(
        actor=actor,
        action="webhook.delete",
        target=endpoint,
        project=endpoint.project,
        payload={
            "origin": endpoint.origin,
            "events": endpoint.events,
            "deliveries": endpoint.deliveries.count(),
        },
    )
    endpoint.delete()


# --- Deliveries ---------------------------------------------------------------


def delivery_publish(*, delivery_id: uuid.UUID | str, countdown: float | None = None) -> None:
    """Queue an attempt on the delivery queue (after commit, by the caller)."""
    from .tasks import send_delivery

    send_delivery.apply_async(
        args=[str(delivery_id)], queue=settings.DELIVERY_QUEUE, countdown=countdown
    )


def _publish_on_commit(delivery_id: uuid.UUID, countdown: float | None = None) -> None:
    # robust: a broker failure is logged, never raised into the request or job
    # that emitted the event; the periodic dispatcher publishes it later.
    # A plain function, not functools.partial: Django names it by __qualname__ in the log.
    def publish() -> None:
        delivery_publish(delivery_id=delivery_id, countdown=countdown)

    transaction.on_commit(publish, robust=True)


@transaction.atomic
def webhook_emit(*, project: Project, event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """Deliver `event` with `payload` (its `data`) to the project's subscribed active endpoints.

    Call it inside the transaction that makes the change: the deliveries
    commit or roll back with it, and sending starts only after commit.
    `payload` is stored as JSON (UUIDs, datetimes and decimals become strings).
    One event id is shared by all the endpoints' deliveries.
    """
    if event not in Event.values:
        raise ValueError(f"Unknown webhook event {event!r}: add it to apps.webhooks.models.Event.")
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    if not isinstance(data, dict):
        raise TypeError("A webhook payload is a dict.")
    # Filtered here rather than with a JSON lookup, which SQLite (the demo) lacks.
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(project=project, is_active=True)
        if event in endpoint.events
    ]
    if not endpoints:
        return []
    now = timezone.now()
    event_id = uuid.uuid4()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event=event,
            event_id=event_id,
            event_created_at=now,
            payload=data,
            next_attempt_at=now,
            queued_at=now,
        )
        for endpoint in endpoints
    )
    for delivery in deliveries:
        _publish_on_commit(delivery.pk)
    return deliveries


@transaction.atomic
def webhook_delivery_resend(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a finished delivery's event again, as a new delivery with the same event id."""
    endpoint = delivery.endpoint
    _require_manager(actor, endpoint.project)
    if not endpoint.is_active:
        raise ApplicationError("This endpoint is deactivated: nothing is sent to it.")
    if delivery.status not in FINAL_STATUSES:
        raise ApplicationError("This delivery is still being tried; re-send it once it is done.")
    now = timezone.now()
    again = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=delivery.event,
        event_id=delivery.event_id,
        event_created_at=delivery.event_created_at,
        payload=delivery.payload,
        resent_from=delivery,
        next_attempt_at=now,
        queued_at=now,
    )
    audit_record(
        actor=actor,
        action="webhook.resend",
        target=again,
        project=endpoint.project,
        payload={
            "origin": endpoint.origin,
            "event": delivery.event,
            "event_id": str(delivery.event_id),
            "resent_from": str(delivery.pk),
        },
    )
    _publish_on_commit(again.pk)
    return again


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent and signed; the same for every attempt and re-send."""
    return canonical_body(
        {
            "id": str(delivery.event_id),
            "event": delivery.event,
            "created_at": delivery.event_created_at.isoformat(),
            "project": delivery.endpoint.project.slug,
            "data": delivery.payload,
        }
    )


def retry_delay(attempts_made: int) -> int:
    """Seconds before the next attempt after `attempts_made` attempts (the last delay repeats)."""
    delays = settings.WEBHOOK_RETRY_DELAYS or [60]
    return int(delays[min(max(attempts_made, 1), len(delays)) - 1])


def _claim(delivery_id: uuid.UUID | str) -> WebhookDelivery | None:
    """Take a due delivery for one attempt: counts it and leases it, or None if not due."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status__in=OPEN_STATUSES, next_attempt_at__lte=now + CLOCK_SLACK
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + ATTEMPT_LEASE, last_attempt_at=now)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint", "endpoint__project").get(
        pk=delivery_id
    )


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"Could not deliver: {type(exc).__name__}: {text}"


def webhook_delivery_attempt(*, delivery_id: uuid.UUID | str) -> WebhookDelivery | None:
    """Make one attempt at a due delivery and record its outcome.

    None when the delivery is not due: finished, not yet time, or being
    attempted by another worker. No transaction is held while sending.
    """
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return _record(delivery, error="The endpoint was deactivated.", final=True)
    body = delivery_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: signature_header(endpoint.secret, body),
    }
    try:
        target = resolve_target(endpoint.url)
        result = post_pinned(
            target, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        )
    except UnsafeTarget as exc:
        return _record(delivery, error=f"Refused: {exc.message}")
    except (OSError, http.client.HTTPException) as exc:
        return _record(delivery, error=_describe(exc))
    except Exception as exc:  # recorded, not lost: the next attempt may fare better
        logger.exception("Webhook delivery %s failed unexpectedly", delivery.pk)
        return _record(delivery, error=_describe(exc))
    error = ""
    if 300 <= result.status < 400:
        error = f"{REDIRECT_REASON} (HTTP {result.status} to {result.location or '?'})."
    elif not 200 <= result.status < 300:
        error = f"The receiver answered HTTP {result.status}."
    return _record(delivery, status_code=result.status, excerpt=result.excerpt, error=error)


def _record(
    delivery: WebhookDelivery,
    *,
    status_code: int | None = None,
    excerpt: str = "",
    error: str = "",
    final: bool = False,
) -> WebhookDelivery:
    now = timezone.now()
    changes: dict[str, Any] = {
        "last_status_code": status_code,
        "response_excerpt": excerpt[:500],
        "last_error": error[:500],
        "next_attempt_at": None,
    }
    delay: int | None = None
    if not error:
        changes |= {"status": DeliveryStatus.SUCCEEDED, "delivered_at": now}
    elif final or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        changes["status"] = DeliveryStatus.GAVE_UP
    else:
        delay = retry_delay(delivery.attempts)
        next_attempt_at = now + timedelta(seconds=delay)
        changes |= {"status": DeliveryStatus.FAILED, "next_attempt_at": next_attempt_at}
        if delay <= settings.WEBHOOK_MAX_COUNTDOWN_SECONDS:
            changes["queued_at"] = changes["next_attempt_at"]
    with transaction.atomic():
        # Only while this attempt's claim holds: a later one (after the lease) wins.
        updated = WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
            **changes
        )
        if updated and "queued_at" in changes:
            _publish_on_commit(delivery.pk, countdown=delay)
    log = logger.info if not error else logger.warning
    log(
        "Webhook delivery %s (%s) attempt %s to %s: %s, HTTP %s, %s; response: %r",
        delivery.pk,
        delivery.event,
        delivery.attempts,
        delivery.endpoint.origin,
        changes["status"],
        status_code if status_code is not None else "-",
        error or "ok",
        excerpt[:200],
    )
    delivery.refresh_from_db()
    return delivery


def webhook_dispatch_due(*, limit: int = 500) -> int:
    """Publish attempts that are due but have no queued message: retries longer
    than a countdown may wait, attempts whose worker died (lease ended), and
    messages lost on the way. Returns how many were published."""
    now = timezone.now()
    uncovered = (
        Q(queued_at__isnull=True)
        | Q(queued_at__lt=F("next_attempt_at"))
        | Q(queued_at__lte=now - REQUEUE_AFTER)
    )
    due = list(
        WebhookDelivery.objects.filter(
            uncovered, status__in=OPEN_STATUSES, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if due:
        WebhookDelivery.objects.filter(pk__in=due).update(queued_at=now)
    for delivery_id in due:
        try:
            delivery_publish(delivery_id=delivery_id)
        except Exception:  # the broker is down: the next run tries again
            logger.exception("Could not publish webhook delivery %s", delivery_id)
            break
    return len(due)
