"""Measure a prompt filter against a labelled set of prompts.

Compliance changes term lists and thresholds; this tells them what a change
costs before it ships: recall on prompts that must be refused, per category,
and the false-positive rate on prompts that must pass. Allow cases carry a
category too (the category they are a near miss of, or "benign"), so a list
that starts catching "chicken breast" shows up under the category it hurts.

A block case counts as caught when the filter blocks it at all: the gate
refuses on any hit. Whether the expected category fired is reported beside it
("category hit") because refusals show the category's guidance to the user.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .base import FilterResult

EXPECTATIONS = ("block", "allow")


class CheckingFilter(Protocol):
    def check(self, fields: dict[str, str], *, contacts: Iterable[str] = ()) -> FilterResult: ...


@dataclass(frozen=True)
class Case:
    prompt: str
    expect: str  # "block" | "allow"
    category: str
    line: int = 0
    lang: str = "en"
    kind: str = ""
    also: tuple[str, ...] = ()  # other categories that are an acceptable refusal reason


@dataclass(frozen=True)
class Outcome:
    """What the filter did with one case, for `--per-case`."""

    case: Case
    blocked: bool
    categories: tuple[str, ...]
    rules: tuple[str, ...]
    scores: dict[str, float]
    judged_language: str

    @property
    def correct(self) -> bool:
        return self.blocked == (self.case.expect == "block")

    def line(self) -> str:
        verdict = "MISS" if self.case.expect == "block" else "FALSE POSITIVE"
        scores = ", ".join(f"{k} {v:.3f}" for k, v in sorted(self.scores.items()))
        return (
            f"{verdict} line {self.case.line} [{self.case.lang}->{self.judged_language} "
            f"{self.case.category}/{self.case.kind or '-'}] rules: {', '.join(self.rules) or '-'}"
            f" | scores: {scores or '-'}\n    {self.case.prompt[:300]!r}"
        )


class CaseFileError(ValueError):
    """A labelled-case file has a line that cannot be used."""


def load_cases(path: str | Path) -> list[Case]:
    """Read JSONL cases; the error names the file and line of the first bad one."""
    cases = []
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise CaseFileError(f"{path}, line {number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(data, dict):
                raise CaseFileError(f"{path}, line {number}: expected a JSON object")
            prompt, expect, category = data.get("prompt"), data.get("expect"), data.get("category")
            if not isinstance(prompt, str) or not prompt.strip():
                raise CaseFileError(f"{path}, line {number}: 'prompt' must be a non-empty string")
            if expect not in EXPECTATIONS:
                raise CaseFileError(f"{path}, line {number}: 'expect' must be 'block' or 'allow'")
            if not isinstance(category, str) or not category:
                raise CaseFileError(f"{path}, line {number}: 'category' must be a non-empty string")
            also = data.get("also") or ()
            if not isinstance(also, list | tuple) or not all(isinstance(a, str) for a in also):
                raise CaseFileError(f"{path}, line {number}: 'also' must be a list of categories")
            cases.append(
                Case(
                    prompt=prompt,
                    expect=expect,
                    category=category,
                    line=number,
                    lang=str(data.get("lang") or "en"),
                    kind=str(data.get("kind") or ""),
                    also=tuple(also),
                )
            )
    return cases


@dataclass
class CategoryStats:
    block_total: int = 0
    blocked: int = 0
    category_hit: int = 0
    allow_total: int = 0
    false_positives: int = 0

    @property
    def recall(self) -> float | None:
        return self.blocked / self.block_total if self.block_total else None

    @property
    def category_recall(self) -> float | None:
        return self.category_hit / self.block_total if self.block_total else None

    @property
    def false_positive_rate(self) -> float | None:
        return self.false_positives / self.allow_total if self.allow_total else None

    @property
    def attribution(self) -> float | None:
        """Of the block cases refused, the share refused under the right category."""
        return self.category_hit / self.blocked if self.blocked else None


@dataclass
class Report:
    categories: dict[str, CategoryStats] = field(default_factory=dict)
    languages: dict[str, CategoryStats] = field(default_factory=dict)
    overall: CategoryStats = field(default_factory=CategoryStats)
    outcomes: list[Outcome] = field(default_factory=list)
    missed: list[Case] = field(default_factory=list)
    false_positives: list[tuple[Case, list[str]]] = field(default_factory=list)
    elapsed_ms: list[float] = field(default_factory=list)

    def format_table(self, by: str = "category") -> str:
        def pct(value: float | None) -> str:
            return "-" if value is None else f"{value * 100:.1f}%"

        header = (
            f"{by:<16}{'block':>7}{'recall':>9}{'cat. hit':>10}{'allow':>7}{'FP':>5}{'FP rate':>9}"
        )
        lines = [header, "-" * len(header)]
        groups = self.languages if by == "language" else self.categories
        rows = [*sorted(groups.items()), ("overall", self.overall)]
        for name, stats in rows:
            if name == "overall":
                lines.append("-" * len(header))
            lines.append(
                f"{name:<16}{stats.block_total:>7}{pct(stats.recall):>9}"
                f"{pct(stats.category_recall):>10}{stats.allow_total:>7}"
                f"{stats.false_positives:>5}{pct(stats.false_positive_rate):>9}"
            )
        attribution = self.overall.attribution
        lines.append(f"attribution (refused under the right category): {pct(attribution)}")
        return "\n".join(lines)

    def per_case(self) -> str:
        """Every miss and false positive with the rules and scores behind it."""
        return "\n".join(o.line() for o in self.outcomes if not o.correct)

    def failures(
        self,
        min_recall: float,
        max_fpr: float,
        *,
        max_language_fpr: float | None = None,
        min_language_block_cases: int = 20,
    ) -> list[str]:
        """Goals not met: recall per category and per language with enough block cases,
        false-positive rate overall and per language."""
        problems = []
        for name, stats in sorted(self.categories.items()):
            if stats.recall is not None and stats.recall < min_recall:
                problems.append(
                    f"{name}: recall {stats.recall:.3f} is below {min_recall:.3f} "
                    f"({stats.block_total - stats.blocked} of {stats.block_total} missed)"
                )
        if len(self.languages) > 1:
            for name, stats in sorted(self.languages.items()):
                if (
                    stats.block_total >= min_language_block_cases
                    and stats.recall is not None
                    and stats.recall < min_recall
                ):
                    problems.append(
                        f"language {name}: recall {stats.recall:.3f} is below {min_recall:.3f}"
                    )
                rate = stats.false_positive_rate
                if max_language_fpr is not None and rate is not None and rate > max_language_fpr:
                    problems.append(
                        f"language {name}: false-positive rate {rate:.3f} is above "
                        f"{max_language_fpr:.3f}"
                    )
        fpr = self.overall.false_positive_rate
        if fpr is not None and fpr > max_fpr:
            problems.append(
                f"overall: false-positive rate {fpr:.3f} is above {max_fpr:.3f} "
                f"({self.overall.false_positives} of {self.overall.allow_total} allow cases)"
            )
        return problems


def _category_matches(expected: str | Iterable[str], fired: Iterable[str]) -> bool:
    wanted = (expected,) if isinstance(expected, str) else tuple(expected)
    return any(c == w or c.startswith(w + ".") for c in fired for w in wanted)


# The evaluation sets are written for a project that registered these company
# contacts (press email, hotline): they are allowed, every other contact is not.
EVAL_CONTACTS = ("press@northwind-coffee.example", "+1 800 555 0199")


def evaluate(
    prompt_filter: CheckingFilter, cases: Iterable[Case], *, contacts: Iterable[str] = ()
) -> Report:
    """Run every case through the filter (as a "prompt" field) and tally the results."""
    report = Report()
    allowed = tuple(contacts)
    for case in cases:
        result = prompt_filter.check({"prompt": case.prompt}, contacts=allowed)
        report.elapsed_ms.append(result.elapsed_ms)
        stats = report.categories.setdefault(case.category, CategoryStats())
        by_language = report.languages.setdefault(case.lang, CategoryStats())
        fired = result.categories()
        guess = result.languages.get("prompt")
        report.outcomes.append(
            Outcome(
                case=case,
                blocked=result.blocked,
                categories=tuple(fired),
                rules=tuple(hit.rule for hit in result.hits),
                scores=dict(result.scores),
                judged_language=getattr(guess, "language", "-"),
            )
        )
        for bucket in (stats, by_language, report.overall):
            if case.expect == "block":
                bucket.block_total += 1
                bucket.blocked += result.blocked
                bucket.category_hit += _category_matches((case.category, *case.also), fired)
            else:
                bucket.allow_total += 1
                bucket.false_positives += result.blocked
        if case.expect == "block" and not result.blocked:
            report.missed.append(case)
        elif case.expect == "allow" and result.blocked:
            report.false_positives.append((case, fired))
    return report


def suggest_thresholds(
    prompt_filter: CheckingFilter,
    cases: Iterable[Case],
    *,
    allowed_false_positives: int = 1,
    margin: float = 0.01,
    step: float = 0.01,
) -> dict[str, float]:
    """Semantic thresholds that let at most N allow cases through per category.

    This is the rule the shipped thresholds come from (N=1 on the development
    list): spend a small, fixed false-positive budget per category on recall,
    since term lists already carry most blocking. Each threshold sits `margin`
    above the (N+1)-th highest score any allow case reached, rounded up to
    0.01. Needs a filter that runs the semantic check (scores are read from
    its results).
    """
    allow_scores: dict[str, list[float]] = {}
    for case in cases:
        if case.expect != "allow":
            continue
        result = prompt_filter.check({"prompt": case.prompt})
        for slug, score in result.scores.items():
            allow_scores.setdefault(slug, []).append(score)
    suggestions = {}
    for slug, scores in allow_scores.items():
        ranked = sorted(scores, reverse=True)
        reference = ranked[allowed_false_positives] if len(ranked) > allowed_false_positives else 0
        suggestions[slug] = round(math.ceil((reference + margin) / step - 1e-9) * step, 4)
    return suggestions
