"""Who is acting, from where: set once per request (or task) and copied into audit events."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "audit_request_context",
    default=RequestContext(),  # noqa: B039 - frozen, so sharing it is safe
)


def current() -> RequestContext:
    return _current.get()


def bind(context: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(context)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)
