"""Recompute the chain from the first event and check it against the signed checkpoints.

Used by `manage.py audit_verify` and the admin's "Verify chain" page. It
stops at the first broken link, because everything after it is unanchored,
and names the first sequence number that is wrong and how.

What it can and cannot see: any changed, removed, inserted or reordered row
before the newest event; events cut off the end only up to the newest signed
checkpoint (what was appended after it can be removed without a trace), and a
chain rebuilt from scratch only at the first checkpoint it disagrees with.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Any

from . import chain
from .checkpoints import Checkpoint, checkpoints_load
from .models import AuditEvent

CHUNK_SIZE = 5000
# How far from its place a moved row is looked for, to tell "reordered" from "changed".
REORDER_SEARCH = 1000

_ROW_FIELDS = (
    "sequence",
    "created_at",
    "recorded_actor_id",
    "actor_id",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "recorded_project_id",
    "project_id",
    "project_slug",
    "request_id",
    "ip",
    "user_agent",
    "payload",
    "prev_hash",
    "hash",
)


class Problem(enum.StrEnum):
    CHANGED = "changed row"  # the row's content no longer matches its hash
    MISSING = "missing row"  # a gap in the sequence: rows deleted from the middle
    REORDERED = "reordered rows"  # an intact row sits at another row's sequence
    BROKEN_LINK = "broken link"  # self-consistent rows that do not follow each other
    TRUNCATED = "deleted tail"  # the chain ends before a signed checkpoint
    CHECKPOINT_MISMATCH = "checkpoint mismatch"  # the chain differs from a signed checkpoint
    BAD_CHECKPOINT = "bad checkpoint"  # a checkpoint file whose signature does not verify


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_sequence: int | None
    problem: str
    seconds: float
    kind: Problem | None = None
    checkpoints: int = 0
    head_sequence: int = 0

    def summary(self) -> str:
        if self.ok:
            return (
                f"OK: {self.checked} events verified against {self.checkpoints} checkpoint(s) "
                f"in {self.seconds:.2f} s."
            )
        where = "" if self.first_bad_sequence is None else f" at sequence {self.first_bad_sequence}"
        return (
            f"TAMPERED{where}: {self.kind}: {self.problem} "
            f"({self.checked} events checked in {self.seconds:.2f} s)."
        )


@dataclass(frozen=True)
class _Finding:
    sequence: int | None
    kind: Problem
    detail: str


def _hash_row(row: tuple[Any, ...], sequence: int | None = None) -> str:
    """The hash the row should carry; `sequence` overrides the stored one (reorder check)."""
    (
        seq,
        created_at,
        recorded_actor_id,
        _actor_id,
        actor_username,
        action,
        target_type,
        target_id,
        target_label,
        recorded_project_id,
        _project_id,
        project_slug,
        request_id,
        ip,
        user_agent,
        payload,
        prev_hash,
        _hash,
    ) = row
    fields = {
        "action": action,
        "actor_id": recorded_actor_id,
        "actor_username": actor_username,
        "created_at": chain.format_timestamp(created_at),
        "ip": ip,
        "payload": payload,
        "prev_hash": prev_hash,
        "project_id": recorded_project_id,
        "project_slug": project_slug,
        "request_id": request_id,
        "sequence": seq if sequence is None else sequence,
        "target_id": target_id,
        "target_label": target_label,
        "target_type": target_type,
        "user_agent": user_agent,
    }
    return chain.compute_hash(prev_hash, fields)


def _original_sequence(row: tuple[Any, ...]) -> int | None:
    """The sequence an intact row was written at, if it can be found (a reordered row).

    Candidates: after its predecessor and before its successor in the hash links
    (where those rows sit now, which may have moved too), then nearby positions.
    """
    sequence, prev_hash, stored_hash = row[0], row[16], row[17]
    linked = AuditEvent.objects.values_list("sequence", flat=True)
    candidates: list[int] = []
    if prev_hash == chain.GENESIS_HASH:
        candidates.append(1)
    else:
        predecessor = linked.filter(hash=prev_hash).first()
        if predecessor is not None:
            candidates.append(predecessor + 1)
    successor = linked.filter(prev_hash=stored_hash).first()
    if successor is not None:
        candidates.append(successor - 1)
    for distance in range(1, REORDER_SEARCH + 1):
        candidates += [sequence - distance, sequence + distance]
    for candidate in candidates:
        if candidate >= 1 and candidate != sequence and _hash_row(row, candidate) == stored_hash:
            return candidate
    return None


def _classify_hash_mismatch(row: tuple[Any, ...]) -> _Finding:
    sequence = row[0]
    original = _original_sequence(row)
    if original is not None:
        return _Finding(
            sequence,
            Problem.REORDERED,
            f"the event at sequence {sequence} was written as sequence {original}",
        )
    return _Finding(
        sequence, Problem.CHANGED, f"the event at sequence {sequence} does not match its hash"
    )


@dataclass
class _Scan:
    checked: int = 0  # rows read
    last: int = 0  # last sequence that checked out
    finding: _Finding | None = None


def _check_row(
    row: tuple[Any, ...], expected: int, previous_hash: str, by_sequence: dict[int, Checkpoint]
) -> _Finding | None:
    sequence, stored_hash = row[0], row[17]
    if sequence > expected:
        missing = (
            f"sequence {expected} is missing"
            if sequence == expected + 1
            else f"sequences {expected} to {sequence - 1} are missing"
        )
        return _Finding(expected, Problem.MISSING, missing)
    if sequence < expected:
        return _Finding(sequence, Problem.CHANGED, f"unexpected sequence number {sequence}")
    if _hash_row(row) != stored_hash:
        return _classify_hash_mismatch(row)
    if row[16] != previous_hash:
        # Both rows match their own hashes, so one of them was replaced by a
        # self-consistent forgery; usually the earlier one, rewritten with a
        # recomputed hash. Name the earlier: it is the first that may be bad.
        return _Finding(
            max(sequence - 1, 1),
            Problem.BROKEN_LINK,
            f"the event at sequence {sequence} does not follow the one at {sequence - 1}: "
            f"{sequence - 1} was rewritten with a recomputed hash (or {sequence} forged)",
        )
    for fk, recorded, name in ((row[3], row[2], "actor"), (row[10], row[9], "project")):
        if fk is not None and fk != recorded:
            return _Finding(
                sequence,
                Problem.CHANGED,
                f"the event's {name} was changed from #{recorded} to #{fk}",
            )
    checkpoint = by_sequence.get(sequence)
    if checkpoint is not None and checkpoint.hash != stored_hash:
        return _Finding(
            sequence,
            Problem.CHECKPOINT_MISMATCH,
            f"the chain at sequence {sequence} differs from the checkpoint signed at "
            f"{checkpoint.created_at}; events up to it were rewritten",
        )
    return None


def _scan_rows(by_sequence: dict[int, Checkpoint]) -> _Scan:
    """Stream the chain in sequence order, stopping at the first problem."""
    rows = (
        AuditEvent.objects.order_by("sequence")
        .values_list(*_ROW_FIELDS)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    scan, previous_hash = _Scan(), chain.GENESIS_HASH
    for row in rows:
        scan.checked += 1
        scan.finding = _check_row(row, scan.last + 1, previous_hash, by_sequence)
        if scan.finding is not None:
            break
        scan.last, previous_hash = row[0], row[17]
    return scan


def verify_chain() -> VerifyResult:
    started = time.perf_counter()
    good, bad = checkpoints_load()
    by_sequence = {c.sequence: c for c in good}
    scan = _scan_rows(by_sequence)
    checked, last, finding = scan.checked, scan.last, scan.finding
    findings = [
        _Finding(p.sequence, Problem.BAD_CHECKPOINT, f"{p.path.name}: {p.reason}") for p in bad
    ]
    if finding is not None:
        findings.append(finding)
    else:
        newest = max(good, key=lambda c: c.sequence, default=None)
        if newest is not None and newest.sequence > last:
            findings.append(
                _Finding(
                    last + 1,
                    Problem.TRUNCATED,
                    f"the chain ends at sequence {last} but a checkpoint was signed at "
                    f"sequence {newest.sequence} ({newest.path.name if newest.path else ''})",
                )
            )
        for c in good:
            if c.sequence == 0 and c.hash != chain.GENESIS_HASH:
                findings.append(
                    _Finding(0, Problem.CHECKPOINT_MISMATCH, "checkpoint 0 is not the genesis hash")
                )
    seconds = time.perf_counter() - started
    if not findings:
        return VerifyResult(True, checked, None, "", seconds, None, len(good), last)
    first = min(findings, key=lambda f: -1 if f.sequence is None else f.sequence)
    return VerifyResult(
        False, checked, first.sequence, first.detail, seconds, first.kind, len(good), last
    )
