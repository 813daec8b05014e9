"""How a delivery is signed, and how a receiver checks it.

Every delivery is a POST whose body is canonical JSON (UTF-8, keys sorted,
no insignificant whitespace)::

    {"created_at": "<ISO 8601>", "data": {...}, "event": "job.completed",
     "id": "<event uuid>", "project": "<project slug>"}

with these headers:

    Imprimatur-Event: job.completed
    Imprimatur-Delivery: <delivery uuid>         (differs between re-sends)
    Imprimatur-Signature: t=<unix seconds>,v1=<hex>

`v1` is HMAC-SHA256 keyed with the endpoint's secret, exactly the text shown
when the endpoint was created (its ASCII bytes, not base64-decoded), over
`f"{t}.{body}"`, where body is the raw request body as received. To verify:
take the raw body before any JSON parsing, recompute the HMAC for the `t`
in the header, compare in constant time with each `v1` value, and refuse a
`t` more than a few minutes from your clock (a replay). The same event may
arrive more than once (retries, re-sends): deduplicate on the body's `id`.
`verify_signature` below does exactly this; receivers in Python can copy it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

SIGNATURE_HEADER = "Imprimatur-Signature"
EVENT_HEADER = "Imprimatur-Event"
DELIVERY_HEADER = "Imprimatur-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def canonical_body(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The `Imprimatur-Signature` value for `body`, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_mac(secret, t, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes | str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` with `secret` within `tolerance` seconds of now.

    False for a malformed header, a wrong secret, a changed body, or a
    timestamp too old (or too far ahead). Any number of `v1` values is
    accepted, so a sender could sign with an old and a new secret at once.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in (header or "").split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            return False
        if key == "t":
            if timestamp is not None or not (value.isascii() and value.isdigit()):
                return False
            timestamp = int(value)
        elif key == "v1" and value.isascii():  # compare_digest refuses non-ASCII str
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    # compare_digest on each candidate: the time taken says nothing about the secret.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    return any(matches)
