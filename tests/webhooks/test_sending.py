"""Sending: signed POSTs to a real loopback receiver, retries with backoff, giving up, re-sends.

Attempts are made by calling the service directly; what would go to the
broker is captured instead of published.
"""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.exceptions import ApplicationError, PermissionDenied
from apps.webhooks.models import DeliveryStatus, WebhookDelivery
from apps.webhooks.services import (
    webhook_delivery_attempt,
    webhook_delivery_resend,
    webhook_dispatch_due,
    webhook_emit,
    webhook_endpoint_deactivate,
)
from apps.webhooks.signing import verify_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """send_delivery messages that would have gone to the broker: (delivery id, countdown)."""
    from apps.webhooks.tasks import send_delivery

    calls: list[tuple[str, float | None]] = []

    def record(*, args, queue, countdown):
        assert queue == "cpu"
        calls.append((args[0], countdown))

    monkeypatch.setattr(send_delivery, "apply_async", record)
    return calls


def _due_now(delivery):
    """Let time pass until the next attempt is due (a second ago)."""
    row = WebhookDelivery.objects.get(pk=delivery.pk)
    passed = row.next_attempt_at - timezone.now() + timedelta(seconds=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=F("next_attempt_at") - passed,
        queued_at=F("queued_at") - passed,
        last_attempt_at=F("last_attempt_at") - passed,
    )


def test_a_delivery_reaches_the_receiver_signed(loopback_allowed, receiver, make_endpoint, project):
    new = make_endpoint(receiver.url("/cms/hook?src=imp"), events=["asset.approved"])
    (delivery,) = webhook_emit(
        project=project, event="asset.approved", payload={"asset": "a1", "state": "approved"}
    )

    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.response_excerpt == "ok"
    assert delivery.delivered_at is not None
    (request,) = receiver.requests
    assert request.method == "POST"
    assert request.path == "/cms/hook?src=imp"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Imprimatur-Event"] == "asset.approved"
    assert request.headers["Imprimatur-Delivery"] == str(delivery.pk)
    assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
    # The receiver's check, with the secret shown at creation:
    assert verify_signature(new.secret, request.headers["Imprimatur-Signature"], request.body)
    assert not verify_signature("wrong", request.headers["Imprimatur-Signature"], request.body)
    body = json.loads(request.body)
    assert body == {
        "id": str(delivery.event_id),
        "event": "asset.approved",
        "created_at": delivery.event_created_at.isoformat(),
        "project": "spring",
        "data": {"asset": "a1", "state": "approved"},
    }


def test_failures_retry_with_backoff_then_give_up(
    settings,
    loopback_allowed,
    receiver,
    make_endpoint,
    project,
    published,
    django_capture_on_commit_callbacks,
):
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_RETRY_DELAYS = [30, 120, 600]
    receiver.status, receiver.body = 503, b"maintenance \x00" + b"x" * 2000
    make_endpoint(receiver.url(), events=["job.completed"])
    (delivery,) = webhook_emit(project=project, event="job.completed", payload={"job": "j"})

    seen = []
    for expected_delay in (30, 120, 600):
        with django_capture_on_commit_callbacks(execute=True):
            before = timezone.now()
            delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.last_status_code == 503
        assert delivery.last_error == "The receiver answered HTTP 503."
        assert delivery.response_excerpt.startswith("maintenance \ufffd")
        assert len(delivery.response_excerpt) == 500
        wait = (delivery.next_attempt_at - before).total_seconds()
        assert expected_delay <= wait < expected_delay + 5
        seen.append(published[-1])
        # Not due yet: a second copy of the task does nothing.
        assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
        _due_now(delivery)

    assert seen == [(str(delivery.pk), 30), (str(delivery.pk), 120), (str(delivery.pk), 600)]
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == DeliveryStatus.GAVE_UP
    assert delivery.attempts == 4
    assert delivery.next_attempt_at is None
    assert len(published) == 3  # no fifth attempt scheduled
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 4
    assert len({r.body for r in receiver.requests}) == 1  # the same event every time


def test_retries_further_off_than_a_countdown_are_published_by_the_dispatcher(
    settings,
    loopback_allowed,
    receiver,
    make_endpoint,
    project,
    published,
    django_capture_on_commit_callbacks,
):
    settings.WEBHOOK_RETRY_DELAYS = [3600]
    settings.WEBHOOK_MAX_COUNTDOWN_SECONDS = 900
    receiver.status = 500
    make_endpoint(receiver.url(), events=["job.completed"])
    (delivery,) = webhook_emit(project=project, event="job.completed", payload={})
    assert webhook_dispatch_due() == 0  # queued on commit by emit itself

    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == DeliveryStatus.FAILED
    assert published == []  # an hour is too long for a broker ETA
    assert webhook_dispatch_due() == 0  # not due yet

    _due_now(delivery)
    assert webhook_dispatch_due() == 1
    assert published == [(str(delivery.pk), None)]
    assert webhook_dispatch_due() == 0  # covered by that message now

    receiver.status = 204
    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 2


def test_an_attempt_whose_worker_died_is_published_again_after_its_lease(
    loopback_allowed, receiver, make_endpoint, project, published
):
    from apps.webhooks.services import _claim

    make_endpoint(receiver.url(), events=["job.completed"])
    (delivery,) = webhook_emit(project=project, event="job.completed", payload={})
    assert _claim(delivery.pk) is not None  # ...and the worker dies before recording
    assert _claim(delivery.pk) is None  # leased: no second sender meanwhile
    assert webhook_dispatch_due() == 0
    _due_now(delivery)  # the lease ran out
    assert webhook_dispatch_due() == 1
    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 2


def test_connection_errors_and_timeouts_are_recorded(
    settings, loopback_allowed, make_endpoint, project
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    silent = socket.socket()  # accepts connections (backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        closed_port = closed.getsockname()[1]
        closed.close()
        make_endpoint(f"http://127.0.0.1:{closed_port}/", events=["job.failed"])
        make_endpoint(f"http://127.0.0.1:{silent.getsockname()[1]}/", events=["job.refused"])
        (refused,) = webhook_emit(project=project, event="job.failed", payload={})
        (hanging,) = webhook_emit(project=project, event="job.refused", payload={})
        refused = webhook_delivery_attempt(delivery_id=refused.pk)
        hanging = webhook_delivery_attempt(delivery_id=hanging.pk)
    finally:
        silent.close()
    assert refused.status == DeliveryStatus.FAILED
    assert "ConnectionRefusedError" in refused.last_error
    assert hanging.status == DeliveryStatus.FAILED
    assert "timed out" in hanging.last_error
    assert hanging.last_status_code is None


def test_deactivating_an_endpoint_gives_up_its_open_deliveries(
    loopback_allowed, receiver, make_endpoint, project, owner
):
    endpoint = make_endpoint(receiver.url(), events=["job.completed"]).endpoint
    (delivery,) = webhook_emit(project=project, event="job.completed", payload={})
    assert webhook_endpoint_deactivate(actor=owner, endpoint=endpoint)
    assert not webhook_endpoint_deactivate(actor=owner, endpoint=endpoint)
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.GAVE_UP
    assert receiver.requests == []
    assert webhook_emit(project=project, event="job.completed", payload={}) == []
    assert AuditEvent.objects.filter(action="webhook.deactivate").count() == 1


def test_a_resend_is_a_new_delivery_of_the_same_event(
    loopback_allowed, receiver, make_endpoint, project, owner
):
    new = make_endpoint(receiver.url(), events=["share_link.revoked"])
    (first,) = webhook_emit(project=project, event="share_link.revoked", payload={"link": 3})
    with pytest.raises(ApplicationError, match="still being tried"):
        webhook_delivery_resend(actor=owner, delivery=first)
    first = webhook_delivery_attempt(delivery_id=first.pk)

    again = webhook_delivery_resend(actor=owner, delivery=first)
    again = webhook_delivery_attempt(delivery_id=again.pk)

    assert again.pk != first.pk
    assert again.resent_from == first
    assert again.event_id == first.event_id
    assert again.status == DeliveryStatus.SUCCEEDED
    one, two = receiver.requests
    assert one.body == two.body  # same event id, same created_at, same data
    assert one.headers["Imprimatur-Delivery"] != two.headers["Imprimatur-Delivery"]
    assert verify_signature(new.secret, two.headers["Imprimatur-Signature"], two.body)
    event = AuditEvent.objects.get(action="webhook.resend")
    assert event.actor == owner
    assert event.payload["resent_from"] == str(first.pk)
    assert event.payload["event_id"] == str(first.event_id)


def test_only_managers_may_resend(loopback_allowed, receiver, make_endpoint, project, member):
    make_endpoint(receiver.url(), events=["job.completed"])
    (delivery,) = webhook_emit(project=project, event="job.completed", payload={})
    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
    with pytest.raises(PermissionDenied):
        webhook_delivery_resend(actor=member, delivery=delivery)


def test_the_task_is_a_thin_wrapper_around_one_attempt(
    loopback_allowed, receiver, make_endpoint, project
):
    from apps.webhooks.tasks import send_delivery

    make_endpoint(receiver.url(), events=["job.completed"])
    (delivery,) = webhook_emit(project=project, event="job.completed", payload={})
    assert send_delivery.apply(args=[str(delivery.pk)]).get() == "succeeded"
    assert send_delivery.apply(args=[str(delivery.pk)]).get() is None  # done: a no-op
    assert len(receiver.requests) == 1


def test_the_dispatcher_runs_every_minute_on_the_delivery_queue(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["webhook-dispatch-due"]
    assert entry["task"] == "apps.webhooks.tasks.dispatch_due_deliveries"
    assert entry["options"]["queue"] == settings.DELIVERY_QUEUE
