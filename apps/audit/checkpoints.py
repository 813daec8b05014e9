"""Signed checkpoints of the chain's head, kept outside the database.

The hash chain shows that rows were changed, removed or reordered, but
someone who can write the database could rebuild the whole chain, or simply
cut off its newest events. A checkpoint -- sequence and head hash, signed with
an Ed25519 key the database never sees, written as a file where the database
cannot write -- pins the chain up to that point: `audit_verify` checks the
chain against every checkpoint it finds.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from . import chain
from .models import Action, AuditEvent
from .services import audit_record

if TYPE_CHECKING:
    from apps.accounts.models import User

FORMAT = "imprimatur-audit-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    hash: str
    created_at: str
    public_key: str
    signature: str
    path: Path | None = None


@dataclass(frozen=True)
class CheckpointProblem:
    """A checkpoint file that cannot be trusted; `sequence` is what it claims, if readable."""

    path: Path
    sequence: int | None
    reason: str


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def signing_key() -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(settings.AUDIT_SIGNING_KEY, validate=True)
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(
            "AUDIT_SIGNING_KEY must be the base64 of a raw 32-byte Ed25519 private key "
            "(make one with `python manage.py audit_keygen`)."
        ) from exc


def public_key_b64(key: Ed25519PrivateKey | None = None) -> str:
    return _b64(_raw_public((key or signing_key()).public_key()))


def require_production_key() -> None:
    """Refuse to sign with the development key outside development.

    The dev key is published in config/settings/base.py, so anyone could
    forge checkpoints signed with it. Rather than making every non-production
    settings module carry a real key, signing with it is allowed when DEBUG is
    on (local/demo) or when AUDIT_ALLOW_DEV_KEY is set explicitly, and refused
    everywhere else -- which includes production, where DEBUG is always off.
    """
    if settings.AUDIT_SIGNING_KEY != settings.AUDIT_DEV_SIGNING_KEY:
        return
    if settings.DEBUG or settings.AUDIT_ALLOW_DEV_KEY:
        return
    raise ImproperlyConfigured(
        "AUDIT_SIGNING_KEY is the published development key. Set a real key "
        "(`python manage.py audit_keygen`), or AUDIT_ALLOW_DEV_KEY=1 outside production."
    )


def _message(sequence: int, head_hash: str, created_at: str, public_key: str) -> bytes:
    document = {
        "format": FORMAT,
        "sequence": sequence,
        "hash": head_hash,
        "created_at": created_at,
        "public_key": public_key,
    }
    return chain.canonical_json(document).encode("utf-8")


def _directory() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def _write_file(checkpoint: Checkpoint) -> Path:
    directory = _directory()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = checkpoint.created_at.replace("-", "").replace(":", "").replace(".", "")
    path = directory / f"checkpoint-{checkpoint.sequence:012d}-{stamp}.json"
    document = {
        "format": FORMAT,
        "sequence": checkpoint.sequence,
        "hash": checkpoint.hash,
        "created_at": checkpoint.created_at,
        "public_key": checkpoint.public_key,
        "signature": checkpoint.signature,
    }
    # Written aside and renamed, so a reader never sees half a file.
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.chmod(partial, 0o444)
    os.replace(partial, path)
    return path


def checkpoints_load() -> tuple[list[Checkpoint], list[CheckpointProblem]]:
    """Every checkpoint in the directory whose signature verifies with a trusted key.

    Trusted keys: the configured signing key's public half and
    AUDIT_TRUSTED_PUBLIC_KEYS (earlier keys, after a rotation). A verifier
    that should not hold the private key can set AUDIT_SIGNING_KEY to empty
    and list the public keys only.
    """
    trusted: dict[str, Ed25519PublicKey] = {}
    own = [public_key_b64()] if settings.AUDIT_SIGNING_KEY else []
    for text in [*own, *settings.AUDIT_TRUSTED_PUBLIC_KEYS]:
        try:
            raw = base64.b64decode(text, validate=True)
            trusted[_b64(raw)] = Ed25519PublicKey.from_public_bytes(raw)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"Bad key in AUDIT_TRUSTED_PUBLIC_KEYS: {text!r}") from exc
    good: list[Checkpoint] = []
    bad: list[CheckpointProblem] = []
    directory = _directory()
    paths = sorted(directory.glob("checkpoint-*.json")) if directory.is_dir() else []
    for path in paths:
        claimed: int | None = None
        try:
            document: Any = json.loads(path.read_text(encoding="utf-8"))
            claimed = document.get("sequence") if isinstance(document, dict) else None
            if document.get("format") != FORMAT:
                raise ValueError(f"unknown format {document.get('format')!r}")
            sequence, head_hash = int(document["sequence"]), str(document["hash"])
            created_at, key = str(document["created_at"]), str(document["public_key"])
            signature = base64.b64decode(document["signature"], validate=True)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            bad.append(CheckpointProblem(path, _int_or_none(claimed), f"unreadable: {exc}"))
            continue
        public_key = trusted.get(key)
        if public_key is None:
            bad.append(CheckpointProblem(path, sequence, "signed by a key that is not trusted"))
            continue
        try:
            public_key.verify(signature, _message(sequence, head_hash, created_at, key))
        except InvalidSignature:
            bad.append(CheckpointProblem(path, sequence, "signature does not verify"))
            continue
        good.append(Checkpoint(sequence, head_hash, created_at, key, _b64(signature), path))
    good.sort(key=lambda c: c.sequence)
    return good, bad


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def checkpoint_write(*, actor: User | None = None, force: bool = False) -> Checkpoint | None:
    """Sign the committed head of the chain, write it to AUDIT_CHECKPOINT_DIR, then audit that.

    The checkpoint covers the head as read; its own "audit.checkpoint" event
    comes after it and is covered by the next one. When nothing but that
    event was appended since the newest checkpoint, none is written (unless
    `force`), so an idle system does not grow its trail every ten minutes.
    Returns None when skipped.
    """
    require_production_key()
    key = signing_key()
    head = (
        AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash", "action").first()
    )
    sequence, head_hash, head_action = head if head else (0, chain.GENESIS_HASH, "")
    if not force:
        existing, _ = checkpoints_load()
        latest = existing[-1] if existing else None
        if latest is not None and (
            latest.sequence == sequence
            or (latest.sequence == sequence - 1 and head_action == Action.AUDIT_CHECKPOINT)
        ):
            return None
    created_at = chain.format_timestamp(timezone.now().astimezone(dt.UTC))
    public_key = public_key_b64(key)
    signature = key.sign(_message(sequence, head_hash, created_at, public_key))
    checkpoint = Checkpoint(sequence, head_hash, created_at, public_key, _b64(signature))
    path = _write_file(checkpoint)
    audit_record(
        actor=actor,
        actor_username=None if actor is not None else "system",
        action=Action.AUDIT_CHECKPOINT,
        target_label=path.name,
        payload={"sequence": sequence, "hash": head_hash, "file": path.name},
    )
    return Checkpoint(sequence, head_hash, created_at, public_key, checkpoint.signature, path)
