"""webhook_emit: one delivery per subscribed, active endpoint of the project, sent after commit."""

from __future__ import annotations

import uuid

import pytest

from apps.webhooks.models import DeliveryStatus, WebhookDelivery
from apps.webhooks.services import webhook_emit, webhook_endpoint_deactivate
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """What would have gone to the broker: (args, kwargs) of send_delivery.apply_async."""
    from apps.webhooks.tasks import send_delivery

    calls: list[tuple] = []
    monkeypatch.setattr(send_delivery, "apply_async", lambda *a, **kw: calls.append((a, kw)))
    return calls


def test_only_subscribed_active_endpoints_of_the_project_get_a_delivery(
    loopback_allowed, make_endpoint, owner, outsider
):
    subscribed = make_endpoint("http://127.0.0.1:9/a", events=["job.completed"]).endpoint
    also = make_endpoint("http://127.0.0.1:9/b", events=["job.completed", "job.failed"]).endpoint
    make_endpoint("http://127.0.0.1:9/c", events=["asset.approved"])
    inactive = make_endpoint("http://127.0.0.1:9/d", events=["job.completed"]).endpoint
    webhook_endpoint_deactivate(actor=owner, endpoint=inactive)
    other = ProjectFactory(owner=outsider, slug="elsewhere")
    make_endpoint("http://127.0.0.1:9/e", events=["job.completed"], project=other, actor=outsider)

    from apps.projects.models import Project

    deliveries = webhook_emit(
        project=Project.objects.get(slug="spring"),
        event="job.completed",
        payload={"job": uuid.UUID(int=7), "images": 1},
    )

    assert {d.endpoint_id for d in deliveries} == {subscribed.pk, also.pk}
    assert WebhookDelivery.objects.count() == 2
    assert len({d.event_id for d in deliveries}) == 1  # one event, two deliveries
    for delivery in WebhookDelivery.objects.all():
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.attempts == 0
        assert delivery.event == "job.completed"
        assert delivery.payload == {"job": str(uuid.UUID(int=7)), "images": 1}


def test_no_endpoint_no_delivery(project):
    assert webhook_emit(project=project, event="asset.approved", payload={}) == []
    assert not WebhookDelivery.objects.exists()


def test_an_unknown_event_is_a_programming_error(project):
    with pytest.raises(ValueError, match="Unknown webhook event"):
        webhook_emit(project=project, event="job.exploded", payload={})


def test_sending_is_published_after_commit_on_the_delivery_queue(
    settings,
    loopback_allowed,
    make_endpoint,
    project,
    published,
    django_capture_on_commit_callbacks,
):
    settings.DELIVERY_QUEUE = "cpu-webhooks-test"
    make_endpoint("http://127.0.0.1:9/a", events=["asset.rejected"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (delivery,) = webhook_emit(project=project, event="asset.rejected", payload={"asset": "x"})
    assert published == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert published == [
        ((), {"args": [str(delivery.pk)], "queue": "cpu-webhooks-test", "countdown": None})
    ]


def test_a_broker_failure_does_not_break_the_emitting_transaction(
    monkeypatch, loopback_allowed, make_endpoint, project, django_capture_on_commit_callbacks
):
    from apps.webhooks.tasks import send_delivery

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(send_delivery, "apply_async", broker_down)
    make_endpoint("http://127.0.0.1:9/a", events=["share_link.revoked"])
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(project=project, event="share_link.revoked", payload={})
    # Still pending: the periodic dispatcher publishes it once the broker is back.
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
