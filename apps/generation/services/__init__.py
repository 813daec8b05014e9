"""Writes for generation jobs, split by concern; import from here."""

from .lifecycle import (
    SYSTEM_ACTOR,
    Claim,
    ClaimResult,
    generation_cancel,
    generation_claim,
    generation_complete,
    generation_fail,
    generation_heartbeat,
    generation_progress,
    generation_quarantine,
    generation_record_runtime,
    generation_refuse,
    generation_sweep_stuck,
)
from .requests import (
    SEED_MAX,
    SIZE_MULTIPLE,
    GenerationParams,
    generation_regenerate,
    generation_request,
    job_publish,
)
from .routes import DEFAULT_SIZES, ROUTE_PRESETS, route_configure

__all__ = [
    "DEFAULT_SIZES",
    "ROUTE_PRESETS",
    "SEED_MAX",
    "SIZE_MULTIPLE",
    "SYSTEM_ACTOR",
    "Claim",
    "ClaimResult",
    "GenerationParams",
    "generation_cancel",
    "generation_claim",
    "generation_complete",
    "generation_fail",
    "generation_heartbeat",
    "generation_progress",
    "generation_quarantine",
    "generation_record_runtime",
    "generation_refuse",
    "generation_regenerate",
    "generation_request",
    "generation_sweep_stuck",
    "job_publish",
    "route_configure",
]
