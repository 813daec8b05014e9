"""Writing audit events.

Every service that changes something calls `audit_record` inside its own
transaction, so the change and its event commit or roll back together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.utils import timezone

from . import chain, context
from .models import Action, AuditEvent

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.projects.models import Project

# pg_advisory_xact_lock key that serialises appends ("audit" in ASCII).
CHAIN_LOCK_KEY = 0x6175646974
_ACTIONS = frozenset(Action.values)
_HEAD_SQL = "SELECT sequence, hash FROM audit_auditevent ORDER BY sequence DESC LIMIT 1"
_MAX_LENGTHS = {
    field.name: field.max_length
    for field in AuditEvent._meta.concrete_fields
    if isinstance(field, models.CharField) and field.max_length
}


def _limit(value: str, field: str) -> str:
    """Cut to the column's length before hashing, so the stored value is the hashed one."""
    max_length = _MAX_LENGTHS.get(field)
    return value[:max_length] if max_length else value


def _lock_and_read_head() -> tuple[int, str]:
    """Take the chain and return its head: (sequence, hash), or (0, genesis).

    The lock is transaction-scoped: it is held until the surrounding
    transaction commits or rolls back, so the next writer reads this writer's
    event as its head, or the same head again if this one rolled back; the
    chain can neither fork nor gap. A caller that audits early in a long
    transaction holds up every other auditor until it ends: keep audited
    transactions short. The head is read in a second statement because a
    statement's snapshot is taken before the lock is granted.

    On SQLite (the demo) a writing transaction already excludes every other
    writer, and the unique sequence is the backstop. Plain SQL rather than the
    ORM: this runs while every other auditor waits, and the ORM's query
    building was a measurable share of that time.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        cursor.execute(_HEAD_SQL)
        head = cursor.fetchone()
    return (int(head[0]), str(head[1])) if head else (0, chain.GENESIS_HASH)


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    target_label: str | None = None,
    project: Project | None = None,
    payload: dict[str, Any] | None = None,
    actor_username: str | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction if there is one.

    `action` must be one of `Action`'s values, so a typo fails loudly instead
    of writing an event no filter will ever find.

    `actor_username` names an actor without an account row, such as the
    attempted username of a failed login. Request id, IP and user agent come
    from the request context bound by the middleware (empty outside requests).
    """
    if action not in _ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}: add it to apps.audit.models.Action.")
    ctx = context.current()
    if actor_username is None:
        actor_username = actor.get_username() if actor is not None else ""
    if target is not None:
        target_type = f"{target._meta.app_label}.{target._meta.model_name}"
        target_id = "" if target.pk is None else str(target.pk)
        if target_label is None:
            target_label = str(target)
    else:
        target_type = target_id = ""
    actor_pk = actor.pk if actor is not None else None
    project_pk = project.pk if project is not None else None
    fields: dict[str, Any] = {
        "actor_id": actor_pk,
        "actor_username": _limit(actor_username, "actor_username"),
        "action": _limit(str(action), "action"),
        "target_type": _limit(target_type, "target_type"),
        "target_id": _limit(target_id, "target_id"),
        "target_label": _limit(target_label or "", "target_label"),
        "project_id": project_pk,
        "project_slug": _limit(project.slug if project is not None else "", "project_slug"),
        "request_id": _limit(ctx.request_id, "request_id"),
        "ip": chain.normalise_ip(ctx.ip),
        "user_agent": _limit(ctx.user_agent, "user_agent"),
        "payload": chain.json_safe(payload or {}),
    }
    with transaction.atomic():
        head_sequence, prev_hash = _lock_and_read_head()
        sequence = head_sequence + 1
        # Taken under the lock, so timestamps never run backwards along the chain
        # (unless the clock itself does).
        created_at = timezone.now()
        fields |= {
            "sequence": sequence,
            "created_at": chain.format_timestamp(created_at),
            "prev_hash": prev_hash,
        }
        return AuditEvent.objects.create(
            sequence=sequence,
            created_at=created_at,
            actor=actor,
            recorded_actor_id=actor_pk,
            actor_username=fields["actor_username"],
            action=fields["action"],
            target_type=fields["target_type"],
            target_id=fields["target_id"],
            target_label=fields["target_label"],
            project=project,
            recorded_project_id=project_pk,
            project_slug=fields["project_slug"],
            request_id=fields["request_id"],
            ip=fields["ip"],
            user_agent=fields["user_agent"],
            payload=fields["payload"],
            prev_hash=prev_hash,
            hash=chain.compute_hash(prev_hash, fields),
        )
