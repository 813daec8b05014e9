"""The term lists and registers shipped in `lexicon/`, read without Django.

Both the data migration (which copies them into the database, where compliance
edits them) and the benchmarks (which measure the shipped rules) read them here.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

LEXICON_FORMAT = "imprimatur-lexicon/1"
LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
REGISTER_LABELS = {"people": "Real, identifiable people", "marks": "Protected marks and characters"}


@lru_cache(maxsize=1)
def shipped_lexicon() -> dict[str, Any]:
    """Every shipped list and register in the import/export shape (do not mutate)."""
    lists: dict[str, dict[str, Any]] = {}
    registers: dict[str, Any] = {}
    for path in sorted(LEXICON_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.stem == "registers":
            for slug, entries in data.items():
                registers[slug] = {"label": REGISTER_LABELS.get(slug, slug), "entries": entries}
        else:
            lists[data["language"]] = data["categories"]
    return {"format": LEXICON_FORMAT, "lists": lists, "registers": registers}


def with_languages(categories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Category dicts with the shipped lists of every language attached."""
    lists = shipped_lexicon()["lists"]
    return [
        {
            **category,
            "languages": {
                language: per_category[category["slug"]]
                for language, per_category in lists.items()
                if category["slug"] in per_category
            },
        }
        for category in categories
    ]


def shipped_registers() -> dict[str, list[str]]:
    return {slug: list(r["entries"]) for slug, r in shipped_lexicon()["registers"].items()}
