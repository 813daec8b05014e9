"""What every filter returns, and how it says it cannot run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class FilterUnavailable(Exception):
    """A required filter could not load or errored.

    The gate fails closed on it: the generation is refused with this message,
    never run unfiltered. Messages must not contain the text being checked.
    """


@dataclass(frozen=True)
class Hit:
    """One rule that fired.

    It names the rule, never the matched text: refusals are shown to users and
    stored in decisions and audit events, which must not echo blocked content.
    """

    filter: str  # "terms" | "pii" | "semantic" | "image"
    category: str  # e.g. "sexual", "pii.email", "FEMALE_BREAST_EXPOSED"
    field: str  # "prompt" | "negative_prompt" | "template" | "image"
    score: float | None = None
    rule: str = ""  # a safe identifier: term-list name, detector name, label


@dataclass
class FilterResult:
    hits: list[Hit] = field(default_factory=list)
    # Best score seen per category (semantic similarity, detector confidence),
    # kept even below threshold so compliance can tune thresholds from data.
    scores: dict[str, float] = field(default_factory=dict)
    elapsed_ms: float = 0.0
    # The language judged for each field (`language.LanguageGuess`), for the
    # decision record and per-language figures.
    languages: dict[str, Any] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        return bool(self.hits)

    def categories(self) -> list[str]:
        return sorted({hit.category for hit in self.hits})
