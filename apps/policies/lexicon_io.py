"""Term lists and registers as one JSON document, for compliance's import and export.

The shape is the one `seeding.shipped_lexicon` reads from the shipped files, so
a deployment can export its lists, edit them in a text editor or a
spreadsheet-to-JSON tool, review the diff, and import them again:

    {"format": "imprimatur-lexicon/1",
     "lists": {"fr": {"sexual": {"terms": [...], "exceptions": [...],
                                 "cooccurrence": [[...], [...]]}}},
     "registers": {"people": {"label": "...", "entries": [...]}}}

English lists live on the category itself; an "en" entry here is an addition.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from .filters.lexicon import unknown_registers
from .models import FILTER_LANGUAGES, FilterCategory, FilterRegister, FilterTermList
from .seeding import LEXICON_FORMAT

LANGUAGE_CODES = {code for code, _ in FILTER_LANGUAGES}
MAX_ENTRIES = 20_000  # per list: far above any real list, far below a memory problem


def lexicon_export() -> dict[str, Any]:
    lists: dict[str, dict[str, Any]] = {}
    for row in FilterTermList.objects.select_related("category").order_by("language"):
        lists.setdefault(row.language, {})[row.category.slug] = {
            "terms": _lines(row.terms),
            "exceptions": _lines(row.exceptions),
            "cooccurrence": [_lines(row.group_a), _lines(row.group_b)],
        }
    registers = {
        r.slug: {"label": r.label, "entries": _lines(r.entries)}
        for r in FilterRegister.objects.all()
    }
    return {"format": LEXICON_FORMAT, "lists": lists, "registers": registers}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"{where} must be a list of strings.")
    if len(value) > MAX_ENTRIES:
        raise ValidationError(f"{where} has more than {MAX_ENTRIES} entries.")
    cleaned = [v.strip() for v in value if v.strip()]
    if any("\n" in v or len(v) > 200 for v in cleaned):
        raise ValidationError(f"{where}: each entry is one line of at most 200 characters.")
    return cleaned


def lexicon_parse(data: Any) -> dict[str, Any]:
    """Check an uploaded document and return it cleaned; every problem is a ValidationError."""
    if not isinstance(data, dict) or data.get("format") != LEXICON_FORMAT:
        raise ValidationError(f'Not a term-list export: "format" must be "{LEXICON_FORMAT}".')
    lists_in, registers_in = data.get("lists", {}), data.get("registers", {})
    if not isinstance(lists_in, dict) or not isinstance(registers_in, dict):
        raise ValidationError('"lists" and "registers" must be objects.')
    slugs = set(FilterCategory.objects.values_list("slug", flat=True))
    lists: dict[str, dict[str, Any]] = {}
    referenced: list[str] = []
    for language, per_category in lists_in.items():
        if language not in LANGUAGE_CODES:
            raise ValidationError(f"Unknown language '{language}'.")
        if not isinstance(per_category, dict):
            raise ValidationError(f"lists.{language} must be an object.")
        for slug, rules in per_category.items():
            where = f"lists.{language}.{slug}"
            if slug not in slugs:
                raise ValidationError(f"{where}: no category '{slug}'.")
            if not isinstance(rules, dict):
                raise ValidationError(f"{where} must be an object.")
            groups = rules.get("cooccurrence") or [[], []]
            if not isinstance(groups, list) or len(groups) != 2:
                raise ValidationError(f"{where}.cooccurrence must be two lists.")
            terms = _string_list(rules.get("terms", []), f"{where}.terms")
            group_a = _string_list(groups[0], f"{where}.cooccurrence[0]")
            group_b = _string_list(groups[1], f"{where}.cooccurrence[1]")
            referenced += terms + group_a + group_b
            lists.setdefault(language, {})[slug] = {
                "terms": terms,
                "exceptions": _string_list(rules.get("exceptions", []), f"{where}.exceptions"),
                "cooccurrence": [group_a, group_b],
            }
    registers: dict[str, Any] = {}
    for slug, register in registers_in.items():
        if not isinstance(slug, str) or not slug.replace("_", "").isalnum() or len(slug) > 40:
            raise ValidationError(f"Register name '{slug}' must be letters, digits or _.")
        if not isinstance(register, dict):
            raise ValidationError(f"registers.{slug} must be an object.")
        registers[slug] = {
            "label": str(register.get("label") or slug)[:120],
            "entries": _string_list(register.get("entries", []), f"registers.{slug}.entries"),
        }
    known = set(registers) | set(FilterRegister.objects.values_list("slug", flat=True))
    missing = unknown_registers(referenced, known)
    if missing:
        raise ValidationError(f"Lists refer to registers that do not exist: {', '.join(missing)}.")
    return {"format": LEXICON_FORMAT, "lists": lists, "registers": registers}
