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
from .filters.shipped import LEXICON_FORMAT, shipped_lexicon

__all__ = ["LEXICON_FORMAT", "install_defaults", "install_lexicon", "shipped_lexicon"]


def install_defaults(get_model: Callable[[str, str], Any]) -> None:
    filter_settings = get_model("policies", "FilterSettings")
    category_model = get_model("policies", "FilterCategory")
    threshold_model = get_model("policies", "ImageLabelThreshold")
    filter_settings.objects.get_or_create(
        pk=1, defaults={"pii_detectors": sorted(DEFAULT_PII_DETECTORS)}
    )
    # The historical model of an early migration lacks later fields.
    known = {f.name for f in category_model._meta.get_fields()}
    for category in DEFAULT_CATEGORIES:
        values = {
            "label": category["label"],
            "terms": "\n".join(category.get("terms", ())),
            "examples": "\n".join(category.get("examples", ())),
            "counter_examples": "\n".join(category.get("counter_examples", ())),
            "semantic_threshold": category.get("semantic_threshold"),
            "multilingual_threshold": category.get("multilingual_threshold"),
            "semantic_needs_indicator": category.get("semantic_needs_indicator", False),
            "check_negative": category.get("check_negative", False),
            "cooccurrence": [list(group) for group in category.get("cooccurrence") or ()],
            "exceptions": "\n".join(category.get("exceptions", ())),
            "guidance": category.get("guidance", ""),
        }
        category_model.objects.get_or_create(
            slug=category["slug"], defaults={k: v for k, v in values.items() if k in known}
        )
    for label, threshold in DEFAULT_IMAGE_THRESHOLDS.items():
        threshold_model.objects.get_or_create(label=label, defaults={"threshold": threshold})
    get_model("policies", "UsagePolicy").objects.get_or_create(project=None)
    get_model("policies", "OrganisationProfile").objects.get_or_create(pk=1)


def install_lexicon_if_empty(get_model: Callable[[str, str], Any]) -> None:
    """The shipped lists, unless any list exists (tests that flushed the database)."""
    if not get_model("policies", "FilterTermList").objects.exists():
        install_lexicon(get_model, shipped_lexicon())


def install_multilingual_thresholds(get_model: Callable[[str, str], Any]) -> None:
    """Shipped multilingual thresholds and indicator gates for existing categories."""
    category_model = get_model("policies", "FilterCategory")
    for category in DEFAULT_CATEGORIES:
        if category.get("semantic_needs_indicator"):
            category_model.objects.filter(slug=category["slug"]).update(
                semantic_needs_indicator=True
            )
        if category.get("multilingual_threshold") is not None:
            category_model.objects.filter(
                slug=category["slug"], multilingual_threshold__isnull=True
            ).update(multilingual_threshold=category["multilingual_threshold"])


def install_lexicon(get_model: Callable[[str, str], Any], lexicon: dict[str, Any]) -> int:
    """Create the term lists and registers that do not exist yet; returns rows created."""
    category_model = get_model("policies", "FilterCategory")
    list_model = get_model("policies", "FilterTermList")
    register_model = get_model("policies", "FilterRegister")
    created = 0
    categories = {c.slug: c for c in category_model.objects.all()}
    for language, per_category in lexicon.get("lists", {}).items():
        for slug, rules in per_category.items():
            category = categories.get(slug)
            if category is None:
                continue
            groups = rules.get("cooccurrence") or [[], []]
            _, was_created = list_model.objects.get_or_create(
                category=category,
                language=language,
                defaults={
                    "terms": "\n".join(rules.get("terms", ())),
                    "exceptions": "\n".join(rules.get("exceptions", ())),
                    "group_a": "\n".join(groups[0]),
                    "group_b": "\n".join(groups[1]),
                },
            )
            created += was_created
    for slug, register in lexicon.get("registers", {}).items():
        _, was_created = register_model.objects.get_or_create(
            slug=slug,
            defaults={"label": register["label"], "entries": "\n".join(register["entries"])},
        )
        created += was_created
    return created
