"""The webhook pages: managers only, the secret shown exactly once, clear URL errors, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.webhooks.models import DeliveryStatus, WebhookEndpoint
from apps.webhooks.services import webhook_delivery_attempt, webhook_emit

pytestmark = pytest.mark.django_db

ROLES = ["manager", "reviewer", "creator", "viewer", "outsider", "compliance"]
EXPECTED = [200, 403, 403, 403, 404, 404]


@pytest.fixture
def users(owner, reviewer, member, viewer, outsider, compliance_officer):
    return dict(
        zip(ROLES, [owner, reviewer, member, viewer, outsider, compliance_officer], strict=True)
    )


@pytest.fixture
def endpoint(loopback_allowed, make_endpoint):
    return make_endpoint("http://127.0.0.1:9/hook", events=["job.completed"]).endpoint


def _urls(endpoint):
    return {
        "list": reverse("projects:webhooks:list", args=["spring"]),
        "detail": reverse("projects:webhooks:detail", args=["spring", endpoint.pk]),
    }


@pytest.mark.parametrize("page", ["list", "detail"])
@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, EXPECTED, strict=True)))
def test_pages_are_for_managers(client, users, endpoint, page, role, expected):
    client.force_login(users[role])
    response = client.get(_urls(endpoint)[page])
    assert response.status_code == expected
    if expected == 404:
        assert b"Spring launch" not in response.content


@pytest.mark.parametrize(
    ("role", "expected"), list(zip(ROLES, [200, 403, 403, 403, 404, 404], strict=True))
)
def test_only_managers_can_add_endpoints(client, users, loopback_allowed, role, expected):
    client.force_login(users[role])
    response = client.post(
        reverse("projects:webhooks:list", args=["spring"]),
        {"url": "http://127.0.0.1:9/in", "events": ["job.completed"]},
    )
    assert response.status_code == expected
    assert WebhookEndpoint.objects.exists() == (expected == 200)


@pytest.mark.parametrize("action", ["deactivate", "delete"])
@pytest.mark.parametrize(
    ("role", "expected"), list(zip(ROLES, [302, 403, 403, 403, 404, 404], strict=True))
)
def test_only_managers_can_deactivate_or_delete(client, users, endpoint, action, role, expected):
    client.force_login(users[role])
    response = client.post(reverse(f"projects:webhooks:{action}", args=["spring", endpoint.pk]))
    assert response.status_code == expected
    changed = not WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).exists()
    assert changed == (expected == 302)
    assert AuditEvent.objects.filter(action=f"webhook.{action}").exists() == (expected == 302)


def test_the_secret_is_shown_once(client, owner, project, loopback_allowed):
    client.force_login(owner)
    response = client.post(
        reverse("projects:webhooks:list", args=["spring"]),
        {"url": "http://127.0.0.1:9/in", "description": "Main CMS", "events": ["asset.approved"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200
    assert endpoint.secret in response.content.decode()
    assert len(endpoint.secret) == 43  # 32 random bytes, base64url
    assert "no-store" in response["Cache-Control"]
    assert endpoint.events == ["asset.approved"]
    assert endpoint.created_by == owner
    assert endpoint.allowed_private  # admitted only by the allow-list

    for url in (
        reverse("projects:webhooks:list", args=["spring"]),
        reverse("projects:webhooks:detail", args=["spring", endpoint.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200
        assert endpoint.secret not in page.content.decode()
    event = AuditEvent.objects.get(action="webhook.create")
    assert endpoint.secret not in str(event.payload)
    assert event.payload["origin"] == "http://127.0.0.1:9"


def test_an_internal_url_gets_a_clear_form_error(client, owner, project):
    client.force_login(owner)
    response = client.post(
        reverse("projects:webhooks:list", args=["spring"]),
        {"url": "http://localhost:8000/admin/", "events": ["job.completed"]},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["url"]
    assert any("loopback address (127.0.0.1)" in e for e in errors)
    assert "WEBHOOK_ALLOWED_HOSTS" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_allowed_private_flag_cannot_be_posted(client, owner, project, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    client.force_login(owner)
    client.post(
        reverse("projects:webhooks:list", args=["spring"]),
        {"url": "http://93.184.216.34/in", "events": ["job.completed"], "allowed_private": "on"},
    )
    assert WebhookEndpoint.objects.get().allowed_private is False


def test_events_are_required(client, owner, project, loopback_allowed):
    client.force_login(owner)
    response = client.post(
        reverse("projects:webhooks:list", args=["spring"]), {"url": "http://127.0.0.1:9/"}
    )
    assert response.status_code == 400
    assert "events" in response.context["form"].errors


def test_deliveries_show_status_code_and_error_and_can_be_resent(
    client, owner, receiver, loopback_allowed, make_endpoint, project
):
    receiver.status, receiver.body = 500, b"CMS exploded"
    endpoint = make_endpoint(receiver.url(), events=["job.completed"]).endpoint
    (delivery,) = webhook_emit(project=project, event="job.completed", payload={})
    webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    delivery.status = DeliveryStatus.GAVE_UP
    delivery.save(update_fields=["status"])
    client.force_login(owner)

    page = client.get(reverse("projects:webhooks:detail", args=["spring", endpoint.pk]))
    text = page.content.decode()
    assert "500" in text
    assert "The receiver answered HTTP 500." in text
    assert "CMS exploded" in text
    assert "Re-send" in text

    response = client.post(reverse("projects:webhooks:resend", args=["spring", delivery.pk]))
    assert response.status_code == 302
    assert endpoint.deliveries.count() == 2
    assert AuditEvent.objects.filter(action="webhook.resend").count() == 1


def test_another_projects_endpoint_is_not_found(client, outsider, owner, project, loopback_allowed):
    from apps.projects.models import Project
    from apps.webhooks.services import webhook_endpoint_create

    theirs = webhook_endpoint_create(
        actor=outsider,
        project=Project.objects.get(slug="other"),
        url="http://127.0.0.1:9/x",
        events=["job.completed"],
    ).endpoint
    client.force_login(owner)
    assert (
        client.get(reverse("projects:webhooks:detail", args=["spring", theirs.pk])).status_code
        == 404
    )
    assert (
        client.post(reverse("projects:webhooks:delete", args=["spring", theirs.pk])).status_code
        == 404
    )
    assert WebhookEndpoint.objects.filter(pk=theirs.pk).exists()
