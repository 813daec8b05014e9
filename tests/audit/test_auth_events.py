"""Sign-in, failed sign-in and sign-out leave events, through the real login and logout views."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from apps.audit.models import Action, AuditEvent

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def cleo():
    return UserFactory(username="cleo", password=PASSWORD)


def _login(client, username: str, password: str):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        HTTP_USER_AGENT="Browser/1.0",
        REMOTE_ADDR="203.0.113.7",
    )


def test_login_is_recorded_with_who_and_from_where(client, cleo):
    response = _login(client, "cleo", PASSWORD)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=Action.AUTH_LOGIN)
    assert event.actor == cleo
    assert event.actor_username == "cleo"
    assert (event.target_type, event.target_id) == ("accounts.user", str(cleo.pk))
    assert event.ip == "203.0.113.7"
    assert event.user_agent == "Browser/1.0"
    assert event.request_id == response["X-Request-ID"]


def test_failed_login_records_the_attempted_username_never_the_password(client, cleo):
    response = _login(client, "cleo", "wrong password 123")
    assert response.status_code == 200  # the form again, with an error
    event = AuditEvent.objects.get(action=Action.AUTH_LOGIN_FAILED)
    assert event.actor is None
    assert event.actor_username == "cleo"
    assert event.payload == {"username": "cleo"}
    assert event.ip == "203.0.113.7"
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "wrong password" not in stored
    assert not AuditEvent.objects.filter(action=Action.AUTH_LOGIN).exists()


def test_failed_login_for_an_unknown_user_is_recorded(client):
    _login(client, "nobody-here", "whatever")
    event = AuditEvent.objects.get(action=Action.AUTH_LOGIN_FAILED)
    assert event.actor_username == "nobody-here"


def test_logout_is_recorded(client, cleo):
    _login(client, "cleo", PASSWORD)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=Action.AUTH_LOGOUT)
    assert event.actor == cleo
    assert event.sequence > AuditEvent.objects.get(action=Action.AUTH_LOGIN).sequence


def test_anonymous_logout_records_nothing(client):
    client.post(reverse("logout"))
    assert not AuditEvent.objects.exists()


def test_login_outside_a_request_has_an_empty_context(cleo):
    # The receiver itself: django-axes' own receiver needs a request.
    from apps.audit.receivers import record_login

    record_login(sender=type(cleo), request=None, user=cleo)
    event = AuditEvent.objects.get(action=Action.AUTH_LOGIN)
    assert (event.request_id, event.ip, event.user_agent) == ("", None, "")
