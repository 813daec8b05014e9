"""Every kind of tampering is found, at the right (first) sequence number."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from apps.audit import chain
from apps.audit.checkpoints import checkpoint_write
from apps.audit.models import AuditEvent
from apps.audit.verify import Problem, verify_chain

from .conftest import new_key_b64, record_events, tampering

pytestmark = pytest.mark.django_db


def _assert_tampered(kind: Problem, sequence: int | None) -> None:
    result = verify_chain()
    assert not result.ok
    assert (result.kind, result.first_bad_sequence) == (kind, sequence), result.summary()


def test_changed_payload_is_found_at_its_sequence():
    record_events(10)
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET payload = %s WHERE sequence = 5",
            [json.dumps({"n": 4, "allowed": False})],
        )
    _assert_tampered(Problem.CHANGED, 5)


def test_changed_actor_name_is_found_at_its_sequence():
    record_events(10)
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_username = 'nobody' WHERE sequence = 8")
    _assert_tampered(Problem.CHANGED, 8)


def test_row_rewritten_with_a_recomputed_hash_breaks_the_link_after_it():
    events = record_events(10)
    original = events[4]
    fields = {
        "sequence": 5,
        "created_at": chain.format_timestamp(original.created_at),
        "actor_id": None,
        "actor_username": "system",
        "action": original.action,
        "target_type": "",
        "target_id": "",
        "target_label": "",
        "project_id": None,
        "project_slug": "",
        "request_id": "",
        "ip": None,
        "user_agent": "",
        "payload": {"n": 4, "allowed": False},
        "prev_hash": original.prev_hash,
    }
    forged = chain.compute_hash(original.prev_hash, fields)
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET payload = %s, hash = %s WHERE sequence = 5",
            [json.dumps(fields["payload"]), forged],
        )
    result = verify_chain()
    assert (result.kind, result.first_bad_sequence) == (Problem.BROKEN_LINK, 5), result.summary()


def test_deleted_middle_row_is_found_as_a_gap():
    record_events(10)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 6")
    _assert_tampered(Problem.MISSING, 6)


def test_several_deleted_rows_name_the_first_missing_sequence():
    record_events(10)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence IN (3, 4, 7)")
    _assert_tampered(Problem.MISSING, 3)


def test_deleted_first_row_is_found():
    record_events(3)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 1")
    _assert_tampered(Problem.MISSING, 1)


def test_deleted_tail_is_found_against_a_checkpoint():
    record_events(10)
    checkpoint = checkpoint_write()
    assert checkpoint is not None and checkpoint.sequence == 10
    with tampering() as cursor:
        # The tail, including the checkpoint's own event (11).
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence >= 8")
    _assert_tampered(Problem.TRUNCATED, 8)


def test_whole_chain_deleted_is_found_against_a_checkpoint():
    record_events(4)
    checkpoint_write()
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    _assert_tampered(Problem.TRUNCATED, 1)


def test_tail_deleted_after_the_newest_checkpoint_goes_unnoticed():
    """The documented limit: what came after the newest checkpoint can be cut off."""
    record_events(10)
    checkpoint_write()  # covers 10; its own event is 11
    record_events(5)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence > 12")
    assert verify_chain().ok


def _swap(cursor: object, a: int, b: int) -> None:
    cursor.execute("UPDATE audit_auditevent SET sequence = -1 WHERE sequence = %s", [a])  # type: ignore[attr-defined]
    cursor.execute("UPDATE audit_auditevent SET sequence = %s WHERE sequence = %s", [a, b])  # type: ignore[attr-defined]
    cursor.execute("UPDATE audit_auditevent SET sequence = %s WHERE sequence = -1", [b])  # type: ignore[attr-defined]


def test_swapped_rows_are_found_as_reordered_at_the_earlier_sequence():
    record_events(10)
    with tampering() as cursor:
        _swap(cursor, 3, 7)
    _assert_tampered(Problem.REORDERED, 3)


def test_swapped_neighbours_are_found_as_reordered():
    record_events(10)
    with tampering() as cursor:
        _swap(cursor, 1, 2)
    _assert_tampered(Problem.REORDERED, 1)


def test_repointed_actor_foreign_key_is_found(owner, member):
    from apps.audit.models import Action
    from apps.audit.services import audit_record

    record_events(2)
    audit_record(actor=owner, action=Action.SETTING_EDIT)
    record_events(2)
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_id = %s WHERE sequence = 3", [member.pk])
    _assert_tampered(Problem.CHANGED, 3)


def test_chain_rebuilt_after_an_edit_is_found_at_the_checkpoint():
    """Whoever recomputes every hash after changing a row still cannot re-sign the checkpoint."""
    record_events(10)
    checkpoint_write()  # pins 10
    record_events(3)
    rows = list(AuditEvent.objects.order_by("sequence"))
    prev = chain.GENESIS_HASH
    with tampering() as cursor:
        for event in rows:
            payload = {"n": 99, "allowed": True} if event.sequence == 4 else event.payload
            fields = {
                "sequence": event.sequence,
                "created_at": chain.format_timestamp(event.created_at),
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
                "payload": payload,
                "prev_hash": prev,
            }
            new_hash = chain.compute_hash(prev, fields)
            cursor.execute(
                "UPDATE audit_auditevent SET payload = %s, prev_hash = %s, hash = %s "
                "WHERE sequence = %s",
                [json.dumps(payload), prev, new_hash, event.sequence],
            )
            prev = new_hash
    _assert_tampered(Problem.CHECKPOINT_MISMATCH, 10)


def _checkpoint_document() -> tuple[dict[str, object], object]:
    checkpoint = checkpoint_write()
    assert checkpoint is not None and checkpoint.path is not None
    return json.loads(checkpoint.path.read_text()), checkpoint.path


def _rewrite(path: object, document: dict[str, object]) -> None:
    path.chmod(0o644)  # type: ignore[attr-defined]
    path.write_text(json.dumps(document))  # type: ignore[attr-defined]


def test_checkpoint_with_an_edited_hash_is_found_as_forged():
    record_events(6)
    document, path = _checkpoint_document()
    document["hash"] = "f" * 64
    _rewrite(path, document)
    _assert_tampered(Problem.BAD_CHECKPOINT, 6)


def test_checkpoint_signed_with_another_key_in_our_name_is_found_as_forged():
    record_events(6)
    document, path = _checkpoint_document()
    document["sequence"] = 9  # claims more events than there are
    message = chain.canonical_json({k: v for k, v in document.items() if k != "signature"})
    forged = Ed25519PrivateKey.generate().sign(message.encode())
    document["signature"] = base64.b64encode(forged).decode()
    _rewrite(path, document)
    result = verify_chain()
    assert (result.kind, result.first_bad_sequence) == (Problem.BAD_CHECKPOINT, 9)
    assert "signature does not verify" in result.problem


def test_checkpoint_signed_with_an_untrusted_key_is_found(settings):
    record_events(6)
    checkpoint_write()
    settings.AUDIT_SIGNING_KEY = new_key_b64()  # the old key is neither current nor trusted
    result = verify_chain()
    assert (result.kind, result.first_bad_sequence) == (Problem.BAD_CHECKPOINT, 6)
    assert "not trusted" in result.problem


def test_unreadable_checkpoint_file_is_reported():
    record_events(2)
    directory = settings.AUDIT_CHECKPOINT_DIR
    directory.mkdir(parents=True)
    (directory / "checkpoint-000000000002-x.json").write_text("{not json")
    result = verify_chain()
    assert not result.ok and result.kind == Problem.BAD_CHECKPOINT


def test_earliest_problem_wins_when_there_are_several():
    record_events(10)
    document, path = _checkpoint_document()  # sequence 10
    document["hash"] = "0" * 64
    _rewrite(path, document)
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'setting.edit' WHERE sequence = 4")
    _assert_tampered(Problem.CHANGED, 4)
