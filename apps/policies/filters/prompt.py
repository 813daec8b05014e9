"""The prompt filter: term lists, co-occurrence rules, PII and the semantic check.

Configuration is plain data (`CategoryRules`, `PromptFilterConfig`) so the
compliance-managed rules in the database map onto it one to one; see
`CategoryRules.from_dict` for the stored shape and `defaults` for the shipped
rules.

Negative prompts describe what the image must *not* show, and teams routinely
write "nude, nsfw, gore, watermark, logo" there. Running content categories on
them would refuse exactly the careful users, so a "negative_prompt" field only
gets the PII detectors (personal data is as sensitive there as anywhere) and
the categories that opt in with `check_negative`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .base import FilterResult, Hit
from .normalize import normalize
from .pii import DETECTORS, detect
from .semantic import Embedder, SemanticIndex, get_embedder
from .terms import TermMatcher, compiled

NEGATIVE_FIELD = "negative_prompt"


@dataclass(frozen=True)
class CategoryRules:
    """What one content category blocks and what the user is told.

    `terms` block on their own. `cooccurrence` is a pair of term groups that
    block only together in one field: "child" and "nude" are each fine in a
    marketing prompt, together they are not. `exceptions` are phrases whose
    words are ignored by this category's terms and co-occurrence groups
    ("naked eye", "nude lipstick"). `counter_examples` describe allowed
    look-alikes for the semantic check (see `SemanticIndex`).
    """

    slug: str
    label: str
    terms: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()  # for the semantic check
    semantic_threshold: float | None = None  # None: no semantic check for this category
    check_negative: bool = False  # also apply to the negative prompt
    guidance: str = ""  # what the user should change; shown on refusal
    cooccurrence: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    exceptions: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()  # allowed look-alikes for the semantic check

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CategoryRules:
        """Build from the JSON shape used by `defaults` and the database."""
        pair = data.get("cooccurrence") or ((), ())
        if len(pair) != 2:
            raise ValueError(f"{data.get('slug')}: cooccurrence must be two term groups")
        threshold = data.get("semantic_threshold")
        return cls(
            slug=str(data["slug"]),
            label=str(data.get("label") or data["slug"]),
            terms=tuple(data.get("terms") or ()),
            examples=tuple(data.get("examples") or ()),
            semantic_threshold=None if threshold is None else float(threshold),
            check_negative=bool(data.get("check_negative", False)),
            guidance=str(data.get("guidance") or ""),
            cooccurrence=(tuple(pair[0]), tuple(pair[1])),
            exceptions=tuple(data.get("exceptions") or ()),
            counter_examples=tuple(data.get("counter_examples") or ()),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "label": self.label,
            "terms": list(self.terms),
            "examples": list(self.examples),
            "semantic_threshold": self.semantic_threshold,
            "check_negative": self.check_negative,
            "guidance": self.guidance,
            "cooccurrence": [list(self.cooccurrence[0]), list(self.cooccurrence[1])],
            "exceptions": list(self.exceptions),
            "counter_examples": list(self.counter_examples),
        }


@dataclass(frozen=True)
class PromptFilterConfig:
    categories: tuple[CategoryRules, ...]
    pii_detectors: frozenset[str] = frozenset({"email", "phone", "card", "iban", "national_id"})
    semantic: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.pii_detectors) - DETECTORS.keys()
        if unknown:
            raise ValueError(f"Unknown PII detectors: {', '.join(sorted(unknown))}")
        slugs = [category.slug for category in self.categories]
        if len(slugs) != len(set(slugs)):
            raise ValueError("Category slugs must be unique")


@dataclass(frozen=True)
class _CompiledCategory:
    rules: CategoryRules
    terms: TermMatcher
    group_a: TermMatcher
    group_b: TermMatcher


@dataclass
class PromptFilter:
    """Checks prompt fields against a configuration; see the module docstring.

    With `config.semantic` and no embedder given, the shared model is loaded on
    the first check (not at construction, so building a filter stays cheap) and
    a load failure raises `FilterUnavailable` from `check`.
    """

    config: PromptFilterConfig
    embedder: Embedder | None = None
    semantic_cache_size: int = 1024
    _categories: tuple[_CompiledCategory, ...] = field(init=False, repr=False)
    _index: SemanticIndex | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        compiled_categories = []
        for rules in self.config.categories:
            exceptions = rules.exceptions
            compiled_categories.append(
                _CompiledCategory(
                    rules=rules,
                    terms=compiled(rules.terms, exceptions),
                    group_a=compiled(rules.cooccurrence[0], exceptions),
                    group_b=compiled(rules.cooccurrence[1], exceptions),
                )
            )
        self._categories = tuple(compiled_categories)

    @property
    def semantic_categories(self) -> list[CategoryRules]:
        if not self.config.semantic:
            return []
        return [
            c for c in self.config.categories if c.semantic_threshold is not None and c.examples
        ]

    def _semantic_index(self) -> SemanticIndex:
        if self._index is None:
            embedder = self.embedder if self.embedder is not None else get_embedder()
            categories = self.semantic_categories
            self._index = SemanticIndex(
                embedder,
                {c.slug: c.examples for c in categories},
                {c.slug: c.counter_examples for c in categories},
                cache_size=self.semantic_cache_size,
            )
        return self._index

    def check(self, fields: Mapping[str, str]) -> FilterResult:
        started = time.perf_counter()
        result = FilterResult()
        for field_name, text in fields.items():
            if text and text.strip():
                self._check_field(field_name, text, result)
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    def _check_field(self, field_name: str, text: str, result: FilterResult) -> None:
        negative = field_name == NEGATIVE_FIELD
        for name in detect(text, self.config.pii_detectors):
            result.hits.append(Hit("pii", f"pii.{name}", field_name, rule=name))
        applicable = [c for c in self._categories if not negative or c.rules.check_negative]
        if not applicable:
            return
        normalized = normalize(text)
        for category in applicable:
            slug = category.rules.slug
            if category.terms and category.terms.matches(normalized):
                result.hits.append(Hit("terms", slug, field_name, rule=f"terms:{slug}"))
            elif (
                category.group_a
                and category.group_b
                and category.group_a.matches(normalized)
                and category.group_b.matches(normalized)
            ):
                result.hits.append(Hit("terms", slug, field_name, rule=f"cooccurrence:{slug}"))
        semantic = {c.slug: c for c in self.semantic_categories}
        wanted = [c.rules.slug for c in applicable if c.rules.slug in semantic]
        if not wanted:
            return
        scores = self._semantic_index().scores(normalized.plain)
        for slug in wanted:
            score = scores.get(slug)
            if score is None:
                continue
            result.scores[slug] = max(score, result.scores.get(slug, score))
            threshold = semantic[slug].semantic_threshold
            if threshold is not None and score >= threshold:
                rule = f"semantic:{slug}"
                result.hits.append(Hit("semantic", slug, field_name, round(score, 4), rule))


def config_from_dicts(
    categories: Iterable[Mapping[str, Any]],
    *,
    pii_detectors: Iterable[str] | None = None,
    semantic: bool = True,
) -> PromptFilterConfig:
    """A config from stored rule dicts (the `defaults` / database shape)."""
    return PromptFilterConfig(
        categories=tuple(CategoryRules.from_dict(c) for c in categories),
        pii_detectors=frozenset(DETECTORS if pii_detectors is None else pii_detectors),
        semantic=semantic,
    )
