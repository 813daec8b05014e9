"""What every filter returns, and how it says it cannot run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


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


class LazyModel(Generic[T]):
    """A process-wide model, loaded on first use; a load failure fails closed.

    The failure raises `FilterUnavailable` (the gate refuses) and is remembered
    for `retry_after_s`, so a broken install does not cost a multi-second load
    attempt on every request, while a transient one recovers on its own.
    """

    def __init__(self, factory: Callable[[], T], what: str, retry_after_s: float = 60.0) -> None:
        self._factory = factory
        self._what = what
        self._retry_after_s = retry_after_s
        self._loaded: T | None = None
        self._error: tuple[float, str] | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._lock:
            if self._loaded is not None:
                return self._loaded
            if self._error and time.monotonic() - self._error[0] < self._retry_after_s:
                raise FilterUnavailable(self._error[1])
            try:
                self._loaded = self._factory()
            except Exception as exc:  # noqa: BLE001 - every load failure must fail closed
                message = f"{self._what} could not load its model: {exc}"
                self._error = (time.monotonic(), message)
                raise FilterUnavailable(message) from exc
            self._error = None
            return self._loaded

    def reset(self) -> None:
        """Forget the loaded model and any remembered failure (tests, reloads)."""
        with self._lock:
            self._loaded = None
            self._error = None
