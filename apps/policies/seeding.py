"""The rules a fresh installation starts with.

Written against a `get_model` callable so the data migration (historical
models) and test set-up (current models) install exactly the same defaults.
Existing rows are left alone: compliance's edits always win.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .filters.defaults import DEFAULT_CATEGORIES, DEFAULT_PII_DETECTORS
from .filters.image import DEFAULT_IMAGE_THRESHOLDS


def install_defaults(get_model: Callable[[str, str], Any]) -> None:
    filter_settings = get_model("policies", "FilterSettings")
    category_model = get_model("policies", "FilterCategory")
    threshold_model = get_model("policies", "ImageLabelThreshold")
    filter_settings.objects.get_or_create(
        pk=1, defaults={"pii_detectors": sorted(DEFAULT_PII_DETECTORS)}
    )
    for category in DEFAULT_CATEGORIES:
        category_model.objects.get_or_create(
            slug=category["slug"],
            defaults={
                "label": category["label"],
                "terms": "\n".join(category.get("terms", ())),
                "examples": "\n".join(category.get("examples", ())),
                "counter_examples": "\n".join(category.get("counter_examples", ())),
                "semantic_threshold": category.get("semantic_threshold"),
                "check_negative": category.get("check_negative", False),
                "cooccurrence": [list(group) for group in category.get("cooccurrence") or ()],
                "exceptions": "\n".join(category.get("exceptions", ())),
                "guidance": category.get("guidance", ""),
            },
        )
    for label, threshold in DEFAULT_IMAGE_THRESHOLDS.items():
        threshold_model.objects.get_or_create(label=label, defaults={"threshold": threshold})
    get_model("policies", "UsagePolicy").objects.get_or_create(project=None)
    get_model("policies", "OrganisationProfile").objects.get_or_create(pk=1)
