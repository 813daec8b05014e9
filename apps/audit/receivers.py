"""Sign-in, sign-out and failed sign-in events from Django's auth signals.

These are the only audit events written from signals: Django's login and
logout views are not ours to put a service call in. The signals may fire
outside a request (a shell, a test client's force_login); the request
context is then simply empty.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from .models import Action
from .services import audit_record

_DISPATCH_UID = "apps.audit.receivers"


def record_login(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    if user is None or not getattr(user, "pk", None):
        return
    audit_record(actor=user, action=Action.AUTH_LOGIN, target=user)


def record_logout(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    # Django sends the signal with user=None when an anonymous visitor logs out.
    if user is None or not getattr(user, "pk", None):
        return
    audit_record(actor=user, action=Action.AUTH_LOGOUT, target=user)


def record_login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: Any = None, **kwargs: Any
) -> None:
    """Records the attempted username only; the credentials' other values are never read."""
    field = get_user_model().USERNAME_FIELD
    attempted = (credentials or {}).get(field) or (credentials or {}).get("username") or ""
    attempted = str(attempted)[:150]
    audit_record(
        actor=None,
        actor_username=attempted,
        action=Action.AUTH_LOGIN_FAILED,
        payload={"username": attempted},
    )


def connect() -> None:
    user_logged_in.connect(record_login, dispatch_uid=f"{_DISPATCH_UID}.login")
    user_logged_out.connect(record_logout, dispatch_uid=f"{_DISPATCH_UID}.logout")
    user_login_failed.connect(record_login_failed, dispatch_uid=f"{_DISPATCH_UID}.login_failed")
