"""Audit fixtures: a real signing key and checkpoint folder per test, and a way to tamper."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.db import connection

from apps.audit.models import Action, AuditEvent
from apps.audit.services import audit_record


def new_key_b64() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return base64.b64encode(raw).decode()


@pytest.fixture(autouse=True)
def audit_keys(settings, tmp_path):
    """Every test signs with its own key into its own folder: nothing leaks between tests."""
    settings.AUDIT_SIGNING_KEY = new_key_b64()
    settings.AUDIT_TRUSTED_PUBLIC_KEYS = []
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    return settings


@contextmanager
def tampering() -> Iterator[object]:
    """A raw cursor with the append-only triggers switched off, as a database superuser
    could do it; the role is put back afterwards."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def record_events(count: int, **kwargs: object) -> list[AuditEvent]:
    return [
        audit_record(
            actor=None,
            actor_username="system",
            action=Action.POLICY_DECISION,
            payload={"n": i, "allowed": i % 2 == 0},
            **kwargs,  # type: ignore[arg-type]
        )
        for i in range(count)
    ]
