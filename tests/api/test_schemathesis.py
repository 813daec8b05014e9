"""Schemathesis against the live OpenAPI schema, every check, as an API key and as
each role: whatever it sends, the API answers as its schema says (no 500s)."""

from __future__ import annotations

import pytest
import schemathesis
from django.conf import settings as settings_module
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings

from apps.api.keys import api_key_create
from config.wsgi import application

pytestmark = pytest.mark.django_db


# Loaded once at import: generating the schema needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def keep_test_connection(db):
    """As Django's test client does: the WSGI handler must not close the test's
    connection (and with it the test's transaction) after each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["api-key", "viewer", "member", "reviewer", "owner", "compliance_officer"])
def credentials(request, owner, project, member, viewer, reviewer, compliance_officer, draft_route):
    """Headers for one caller: an API key with every scope, or a signed-in person."""
    if request.param == "api-key":
        key = api_key_create(
            actor=owner,
            project=project,
            name="fuzz",
            scopes=["assets:read", "generations:submit", "review"],
        )
        return {"Authorization": f"Bearer {key.token}", "Host": "localhost"}
    client = Client()
    client.force_login(request.getfixturevalue(request.param))
    cookie = client.cookies[settings_module.SESSION_COOKIE_NAME].value
    # Unsafe methods need the CSRF pair for session authentication.
    token = "x" * 32
    return {
        "Cookie": f"{settings_module.SESSION_COOKIE_NAME}={cookie}; "
        f"{settings_module.CSRF_COOKIE_NAME}={token}",
        "X-CSRFToken": token,
        "Host": "localhost",
        "Referer": "https://localhost/",
    }


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema_for_every_caller(case, credentials):
    case.call_and_validate(headers=credentials)
