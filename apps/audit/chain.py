"""The one definition of an event's hash, shared by writing and verification.

`hash = SHA-256(prev_hash || canonical JSON)` where the canonical JSON is
`json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` over
every stored field except `hash` itself. Anything that is hashed must read back
from the database exactly as it was hashed, which is why payloads, timestamps
and IP addresses are normalised here before they are stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64

# The keys of the canonical document, in the order `fields_from_row` expects.
HASHED_FIELDS = (
    "sequence",
    "created_at",
    "actor_id",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "project_id",
    "project_slug",
    "request_id",
    "ip",
    "user_agent",
    "payload",
    "prev_hash",
)

# jsonb prints numbers as plain decimals: a float Python writes with an exponent
# (1e+16) would read back as an int and hash differently. Floats this large are
# integers anyway, so they are stored as ints.
_EXPONENT_FLOAT_LIMIT = 1e16


def format_timestamp(value: dt.datetime) -> str:
    """UTC, always with microseconds: the database keeps microseconds, so nothing is lost."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {_normalise(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str):
        # PostgreSQL cannot store NUL in jsonb text; replace it rather than
        # fail the caller's business transaction over an audit detail.
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float):
        if value == 0.0:
            return 0.0  # jsonb has no negative zero
        if abs(value) >= _EXPONENT_FLOAT_LIMIT:
            return int(value)
    return value


def json_safe(payload: Any) -> Any:
    """Plain JSON types only (UUIDs, datetimes, Decimals, lazy strings as DjangoJSONEncoder
    writes them), shaped so that jsonb hands back exactly the same value."""
    encoded = json.dumps(payload, cls=DjangoJSONEncoder, allow_nan=False)
    return _normalise(json.loads(encoded))


def normalise_ip(value: str | None) -> str | None:
    """The text PostgreSQL's inet type prints for this address, or None if it is not one."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return None
        if address.ipv4_mapped is not None:
            return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def canonical_json(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """`fields` holds every key of HASHED_FIELDS, with `created_at` already formatted."""
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode("utf-8")).hexdigest()
