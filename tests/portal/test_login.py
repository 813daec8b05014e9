import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_repeated_failures_lock_the_account_from_that_address(client, member, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "member", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "member", "password": "pw-for-tests"})
    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content
    assert "_auth_user_id" not in client.session


def test_other_users_are_not_locked_out(client, member, viewer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "member", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "viewer", "password": "pw-for-tests"})
    assert response.status_code == 302


def test_logout_needs_a_post_with_csrf(client, member):
    client.force_login(member)
    assert client.get(reverse("logout")).status_code == 405
