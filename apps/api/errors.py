"""RFC 9457 problem details for every API error.

Domain errors from the services map to statuses here, at the edge: field
validation 400 with `errors`, policy refusals 422 with the rules (never the
refused text), business-rule conflicts 409, permission 403, unknown 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.core.exceptions import ApplicationError, PermissionDenied, PolicyRefused

PROBLEM = "application/problem+json"
BASE = "https://imprimatur.example/problems/"


def _problem(status_code: int, title: str, detail: str, kind: str, **extra: Any) -> Response:
    body = {"type": BASE + kind, "title": title, "status": status_code, "detail": detail, **extra}
    response = Response(body, status=status_code)
    response.content_type = PROBLEM
    return response


class IdempotencyMismatch(Exception):
    """An Idempotency-Key reused with a different request body."""


def problem_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, IdempotencyMismatch):
        return _problem(
            422,
            "Idempotency key reused",
            "This Idempotency-Key was used with a "
            "different request body; use a new key for a new request.",
            "idempotency-mismatch",
        )
    if isinstance(exc, PolicyRefused):
        return _problem(
            422,
            "Refused by policy",
            exc.message,
            "policy-refused",
            rules=exc.rules,
            decision=exc.decision_id,
        )
    if isinstance(exc, PermissionDenied):
        return _problem(403, "Not allowed", exc.message, "forbidden")
    if isinstance(exc, ApplicationError):
        return _problem(409, "Not possible now", exc.message, "conflict")
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        return _problem(
            400, "Invalid request", "Some fields are invalid.", "validation", errors=errors
        )
    if isinstance(exc, Http404):
        return _problem(404, "Not found", "No such object.", "not-found")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"": exc.detail}
        problem = _problem(
            400, "Invalid request", "Some fields are invalid.", "validation", errors=detail
        )
    else:
        detail_text = str(getattr(exc, "detail", "")) or response.status_text
        kind = {
            401: "unauthenticated",
            403: "forbidden",
            404: "not-found",
            405: "method-not-allowed",
            429: "rate-limited",
        }.get(response.status_code, "error")
        problem = _problem(response.status_code, response.status_text, detail_text, kind)
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            problem[header] = response[header]
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and "Retry-After" not in problem:
        problem["Retry-After"] = "1"
    return problem
