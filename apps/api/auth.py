"""DRF authentication and throttling for API keys."""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from .keys import api_key_authenticate


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer imp_<prefix>_<secret>`; a revoked key fails on its next request."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send exactly one API key after 'Bearer'.")
        key = api_key_authenticate(header[1].decode(errors="replace"))
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is unknown, expired or revoked.")
        return key.principal, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "imp_<prefix>_<secret>"}


_redis: redis.Redis | None = None


def _client() -> redis.Redis:
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.API_RATE_LIMIT_REDIS_URL)
    return _redis


class RedisRateThrottle(BaseThrottle):
    """A fixed-window counter per API key (or user) in Redis: INCR is atomic, so
    concurrent requests on any number of web processes cannot exceed the limit."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return True
        key = request.auth
        # The key's random prefix, not its row id: ids restart with a fresh database.
        ident = (
            f"key:{key.prefix}"
            if key is not None and hasattr(key, "prefix")
            else (f"user:{request.user.pk}")
        )
        limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW_SECONDS
        bucket = int(time.time() // window)
        name = f"imprimatur:rate:{ident}:{bucket}"
        pipe = _client().pipeline()
        pipe.incr(name)
        pipe.expire(name, window * 2)
        count, _ = pipe.execute()
        self._wait = window - (time.time() % window)
        return int(count) <= limit

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
