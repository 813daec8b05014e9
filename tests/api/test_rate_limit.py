"""The per-key rate limit holds under concurrency: counted atomically in Redis."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.urls import reverse
from rest_framework.test import APIClient

from apps.api.keys import api_key_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_concurrent_requests_never_pass_the_limit(owner, project, settings):
    settings.API_RATE_LIMIT = 10
    settings.API_RATE_WINDOW_SECONDS = 3600  # one window for the whole burst
    token = api_key_create(actor=owner, project=project, name="CMS", scopes=["assets:read"]).token
    url = reverse("api-assets", args=[project.slug])

    def call(_: int) -> tuple[int, str | None]:
        try:
            response = APIClient().get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
            return response.status_code, response.headers.get("Retry-After")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(call, range(50)))

    codes = [code for code, _ in results]
    assert codes.count(200) == 10 and codes.count(429) == 40
    assert all(int(after) > 0 for code, after in results if code == 429)
