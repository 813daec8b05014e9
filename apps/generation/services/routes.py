"""Model routes: named, explicit generation parameters per queue."""

from __future__ import annotations

from django.db import transaction

from ..models import ModelRoute, ModelWeights

# Defaults follow each checkpoint's model card: the distilled Turbo runs 8
# steps without guidance; Raw (the base) runs 28 steps at guidance 4.5.
# Leaving them to diffusers' defaults (28 / 4.5) would make drafts 7x slower.
ROUTE_PRESETS: dict[str, dict[str, object]] = {
    "draft": {
        "label": "Draft (Krea 2 Turbo, 8 steps)",
        "queue": "gpu-draft",
        "steps": 8,
        "min_steps": 4,
        "max_steps": 12,
        "guidance": 0.0,
        "min_guidance": 0.0,
        "max_guidance": 2.0,
    },
    "final": {
        "label": "Final (Krea 2 Raw, 28 steps)",
        "queue": "gpu-final",
        "steps": 28,
        "min_steps": 12,
        "max_steps": 50,
        "guidance": 4.5,
        "min_guidance": 1.0,
        "max_guidance": 10.0,
    },
}
DEFAULT_SIZES = [[1024, 1024], [1344, 768], [768, 1344], [512, 512]]


@transaction.atomic
def route_configure(
    *, name: str, weights: ModelWeights, sizes: list[list[int]] | None = None, **overrides: object
) -> ModelRoute:
    """Create or update a route from its preset, with explicit overrides."""
    fields = dict(ROUTE_PRESETS.get(name, {}))
    fields.update(overrides)
    fields["weights"] = weights
    fields["allowed_sizes"] = sizes or DEFAULT_SIZES
    fields.setdefault("label", name)
    fields.setdefault("queue", f"gpu-{name}")
    route, _ = ModelRoute.objects.update_or_create(name=name, defaults=fields)
    return route
