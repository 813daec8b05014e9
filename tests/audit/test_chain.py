"""Writing events: what is copied, what is hashed, and that it reads back exactly as hashed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal

import pytest

from apps.audit import context
from apps.audit.models import Action, AuditEvent
from apps.audit.services import audit_record
from apps.audit.verify import verify_chain
from apps.projects.models import Project

from ..factories import UserFactory
from .conftest import record_events

pytestmark = pytest.mark.django_db


def _spec_hash(event: AuditEvent) -> str:
    """The hash exactly as the documentation defines it, written out independently."""
    document = {
        "sequence": event.sequence,
        "created_at": event.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": event.recorded_actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "project_id": event.recorded_project_id,
        "project_slug": event.project_slug,
        "request_id": event.request_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((event.prev_hash + canonical).encode()).hexdigest()


def test_first_event_links_to_genesis_and_sequences_count_from_one():
    first, second, third = record_events(3)
    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash


def test_stored_hash_is_sha256_of_prev_hash_and_canonical_json_as_read_back():
    record_events(3)
    for event in AuditEvent.objects.order_by("sequence"):
        assert len(event.hash) == 64
        assert event.hash == _spec_hash(event)


def test_event_copies_actor_target_and_project(project, owner):
    event = audit_record(
        actor=owner,
        action=Action.PROJECT_EDIT,
        target=project,
        project=project,
        payload={"before": {"name": "Old"}, "after": {"name": "Spring launch"}},
    )
    event.refresh_from_db()
    assert event.actor == owner
    assert event.recorded_actor_id == owner.pk
    assert event.actor_username == "owner"
    assert event.target_type == "projects.project"
    assert event.target_id == str(project.pk)
    assert event.target_label == "Spring launch"
    assert event.project == project
    assert event.project_slug == "spring"
    assert event.payload["after"] == {"name": "Spring launch"}
    assert event.created_at.tzinfo is not None


def test_failed_login_style_event_names_an_actor_without_an_account():
    event = audit_record(actor=None, action=Action.AUTH_LOGIN_FAILED, actor_username="mallory")
    assert event.actor is None
    assert event.actor_username == "mallory"


def test_request_context_is_copied_into_the_event():
    token = context.bind(
        context.RequestContext(request_id="req-12345678", ip="10.1.2.3", user_agent="pytest/1")
    )
    try:
        event = audit_record(actor=None, action=Action.SETTING_EDIT)
    finally:
        context.reset(token)
    event.refresh_from_db()
    assert (event.request_id, event.ip, event.user_agent) == (
        "req-12345678",
        "10.1.2.3",
        "pytest/1",
    )
    outside = audit_record(actor=None, action=Action.SETTING_EDIT)
    assert (outside.request_id, outside.ip, outside.user_agent) == ("", None, "")


def test_payload_reads_back_exactly_as_it_was_hashed():
    job_id = uuid.uuid4()
    payload = {
        "job": job_id,
        "at": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
        "price": Decimal("12.50"),
        "huge_float": 1.5e20,
        "tiny_float": 1e-7,
        "negative_zero": -0.0,
        "third": 1 / 3,
        "big_int": 2**70,
        "nul": "a\x00b",
        "unicode": "café ✓ \u2028",
        "nested": {"b": [1, 2.0, None, True], "a": {}},
        3: "int key",
    }
    event = audit_record(actor=None, action=Action.POLICY_DECISION, payload=payload)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.payload == event.payload
    assert stored.payload["job"] == str(job_id)
    assert stored.payload["price"] == "12.50"
    assert stored.payload["nul"] == "a\ufffdb"
    assert stored.payload["3"] == "int key"
    assert stored.hash == _spec_hash(stored)
    assert verify_chain().ok


def test_payload_that_is_not_json_is_refused():
    with pytest.raises(ValueError):
        audit_record(actor=None, action=Action.POLICY_DECISION, payload={"x": float("nan")})
    with pytest.raises(TypeError):
        audit_record(actor=None, action=Action.POLICY_DECISION, payload={"x": object()})


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::1", "::1"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("not an address", None),
        ("fe80::1%eth0", None),
    ],
)
def test_ip_addresses_read_back_as_hashed(raw, stored):
    token = context.bind(context.RequestContext(request_id="r" * 8, ip=raw))
    try:
        event = audit_record(actor=None, action=Action.SETTING_EDIT)
    finally:
        context.reset(token)
    event.refresh_from_db()
    assert event.ip == stored
    assert verify_chain().ok


def test_unknown_action_is_refused():
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit_record(actor=None, action="project.explode")
    assert not AuditEvent.objects.exists()


def test_overlong_values_are_cut_to_their_column_before_hashing(project, owner):
    event = audit_record(
        actor=owner, action=Action.PROJECT_EDIT, target=project, target_label="x" * 1000
    )
    event.refresh_from_db()
    assert len(event.target_label) == 255
    assert verify_chain().ok


def test_deleting_the_actor_and_project_keeps_the_event_and_a_valid_chain(project, owner):
    record_events(2)
    event = audit_record(actor=owner, action=Action.PROJECT_EDIT, target=project, project=project)
    record_events(2)
    Project.objects.filter(pk=project.pk).delete()
    owner.delete()
    event.refresh_from_db()
    assert event.actor is None and event.project is None
    assert event.actor_username == "owner"
    assert event.project_slug == "spring"
    assert event.target_label == "Spring launch"
    assert event.recorded_actor_id is not None
    result = verify_chain()
    assert result.ok, result.summary()


def test_clean_chain_of_varied_events_raises_no_false_alarm(project, owner, member):
    from apps.audit.checkpoints import checkpoint_write

    users = [UserFactory(username=f"u{i}") for i in range(3)]
    for i in range(60):
        token = context.bind(
            context.RequestContext(
                request_id=f"request-{i:04d}", ip=f"192.0.2.{i}", user_agent="Mozilla/5.0 ✓"
            )
        )
        try:
            audit_record(
                actor=users[i % 3],
                action=Action.values[i % len(Action.values)],
                target=project if i % 2 else users[0],
                project=project if i % 3 else None,
                payload={"i": i, "ratio": i / 7, "tags": ["a", "é"], "when": dt.date(2026, 1, 1)},
            )
        finally:
            context.reset(token)
        if i % 20 == 19:
            checkpoint_write(force=True)
    result = verify_chain()
    assert result.ok, result.summary()
    assert result.first_bad_sequence is None
    assert result.checkpoints == 3
    assert result.checked == AuditEvent.objects.count()
