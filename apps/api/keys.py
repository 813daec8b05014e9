"""API keys: create (shown once), authenticate, revoke, rotate. All audited."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.exceptions import PermissionDenied
from apps.projects.models import Perm, Project, Role
from apps.projects.services import membership_set

from .models import ApiKey, Scope

TOKEN_PREFIX = "imp"  # noqa: S105 - a public marker, not a secret
LAST_USED_RESOLUTION = timedelta(seconds=60)  # at most one write a minute per key
SCOPE_ROLE = {
    Scope.READ_ASSETS: Role.VIEWER,
    Scope.SUBMIT: Role.CREATOR,
    Scope.REVIEW: Role.REVIEWER,
}
_RANK = [Role.VIEWER, Role.CREATOR, Role.REVIEWER]
_AUTH_FIELDS = (
    "id",
    "name",
    "prefix",
    "secret_hmac",
    "scopes",
    "revoked_at",
    "expires_at",
    "last_used_at",
    "project_id",
    "principal",
)


def _hmac(secret: str) -> str:
    return hmac.new(settings.API_KEY_PEPPER.encode(), secret.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    token: str  # shown once


@transaction.atomic
def api_key_create(
    *,
    actor: User,
    project: Project,
    name: str,
    scopes: list[str],
    expires_in_days: int | None = 90,
) -> NewKey:
    """Managers create keys; the key's principal gets the role its scopes need."""
    if not actor.has_perm(Perm.MANAGE, project):
        raise PermissionDenied("Only project managers can create API keys.")
    try:
        chosen = sorted({Scope(s) for s in scopes})
    except ValueError as exc:
        raise ValidationError({"scopes": f"Unknown scope: {exc}"}) from exc
    if not chosen:
        raise ValidationError({"scopes": "Choose at least one scope."})
    if not name.strip():
        raise ValidationError({"name": "Name the key after the system that will use it."})
    if expires_in_days is not None and not 1 <= expires_in_days <= 366:
        raise ValidationError({"expires_in_days": "Between 1 and 366 days, or no expiry."})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    role = max((SCOPE_ROLE[s] for s in chosen), key=_RANK.index)
    principal = User.objects.create(username=f"apikey-{prefix}", first_name=name.strip()[:150])
    principal.set_unusable_password()
    principal.save(update_fields=["password"])
    membership_set(actor=actor, project=project, user=principal, role=role)
    key = ApiKey.objects.create(
        project=project,
        name=name.strip(),
        prefix=prefix,
        secret_hmac=_hmac(secret),
        scopes=[str(s) for s in chosen],
        principal=principal,
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit_record(
        actor=actor,
        action="api_key.create",
        target=key,
        project=project,
        payload={"prefix": prefix, "scopes": key.scopes, "role": str(role)},
    )
    return NewKey(key, f"{TOKEN_PREFIX}_{prefix}_{secret}")


def api_key_authenticate(token: str) -> ApiKey | None:
    """The active key for a token, or None. One indexed query per request."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    # `get` on the unique prefix (no ORDER BY/LIMIT) and only the columns a
    # request reads: the ORM's row building, not the query, dominates this path.
    try:
        key = ApiKey.objects.select_related("principal").only(*_AUTH_FIELDS).get(prefix=parts[1])
    except ApiKey.DoesNotExist:
        return None
    if not hmac.compare_digest(key.secret_hmac, _hmac(parts[2])):
        return None
    now = timezone.now()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


@transaction.atomic
def api_key_revoke(*, actor: User, key: ApiKey) -> bool:
    if not actor.has_perm(Perm.MANAGE, key.project):
        raise PermissionDenied("Only project managers can revoke API keys.")
    revoked = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_record(
            actor=actor,
            action="api_key.revoke",
            target=key,
            project=key.project,
            payload={"prefix": key.prefix},
        )
    return bool(revoked)


@transaction.atomic
def api_key_rotate(*, actor: User, key: ApiKey) -> NewKey:
    """A new key with the same name and scopes; the old one is revoked at once."""
    new = api_key_create(
        actor=actor,
        project=key.project,
        name=key.name,
        scopes=list(key.scopes),
        expires_in_days=90 if key.expires_at else None,
    )
    api_key_revoke(actor=actor, key=key)
    ApiKey.objects.filter(pk=key.pk).update(replaced_by=new.key)
    return new
