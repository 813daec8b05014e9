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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import language as lang
from .base import FilterResult, Hit
from .lexicon import LanguageRules, ListMatcher, compile_list, expand, fold_cjk
from .multilingual import get_multilingual_embedder
from .negative import asks_for_nudity
from .normalize import normalize
from .pii import DETECTORS, detect
from .semantic import Embedder, SemanticIndex, get_embedder

NEGATIVE_FIELD = "negative_prompt"
# The semantic models read at most this much of a field (the gate accepts 2,000
# characters per prompt); term lists and PII detectors always read all of it.
SEMANTIC_MAX_CHARS = 8000


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
    # Lists in other languages (and English additions); the fields above are English.
    languages: tuple[LanguageRules, ...] = ()
    # Threshold for the multilingual model (`multilingual`), which scores text
    # judged not to be English; its similarities sit in another band than the
    # English model's, so it has its own calibrated operating point.
    multilingual_threshold: float | None = None
    # The semantic check may refuse under this category only when the text also
    # names what the category is about (its co-occurrence group A: a minor, a
    # real person). Adult nudity scores high against "a nude child" and "nude
    # photo of my ex" too; without this it is refused as child abuse material,
    # which is wrong guidance and wrong figures. Terms still decide on their own.
    semantic_needs_indicator: bool = False

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
            semantic_needs_indicator=bool(data.get("semantic_needs_indicator", False)),
            multilingual_threshold=(
                None
                if data.get("multilingual_threshold") is None
                else float(data["multilingual_threshold"])
            ),
            languages=tuple(
                LanguageRules.from_dict(code, rules)
                for code, rules in sorted((data.get("languages") or {}).items())
            ),
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
            "languages": {rules.language: rules.to_dict() for rules in self.languages},
            "multilingual_threshold": self.multilingual_threshold,
            "semantic_needs_indicator": self.semantic_needs_indicator,
        }

    def lists(self) -> dict[str, LanguageRules]:
        """Every language's list, English from this category's own fields plus additions."""
        english = LanguageRules("en", self.terms, self.exceptions, *self.cooccurrence)
        merged = {"en": english}
        for rules in self.languages:
            base = merged.get(rules.language, LanguageRules(rules.language))
            merged[rules.language] = LanguageRules(
                rules.language,
                base.terms + rules.terms,
                base.exceptions + rules.exceptions,
                base.group_a + rules.group_a,
                base.group_b + rules.group_b,
            )
        return merged


@dataclass(frozen=True)
class PromptFilterConfig:
    categories: tuple[CategoryRules, ...]
    pii_detectors: frozenset[str] = frozenset({"email", "phone", "card", "iban", "national_id"})
    semantic: bool = True
    # Compliance registers ("people", "marks") that `<register:name>` in a list expands to.
    registers: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.pii_detectors) - DETECTORS.keys()
        if unknown:
            raise ValueError(f"Unknown PII detectors: {', '.join(sorted(unknown))}")
        slugs = [category.slug for category in self.categories]
        if len(slugs) != len(set(slugs)):
            raise ValueError("Category slugs must be unique")


@dataclass(frozen=True)
class _CompiledList:
    terms: ListMatcher
    group_a: ListMatcher
    group_b: ListMatcher


@dataclass(frozen=True)
class _CompiledCategory:
    rules: CategoryRules
    lists: dict[str, _CompiledList]

    def term_language(self, text: Any, cjk: str, languages: Iterable[str]) -> str | None:
        """The first candidate language whose own terms match, if any."""
        for code in languages:
            compiled_list = self.lists.get(code)
            if compiled_list and compiled_list.terms.matches(text, cjk):
                return code
        return None

    def indicated(self, text: Any, cjk: str, languages: Iterable[str]) -> bool:
        """Whether group A (what the category is about) occurs in any candidate language."""
        for code in languages:
            compiled_list = self.lists.get(code)
            if compiled_list and compiled_list.group_a.matches(text, cjk):
                return True
        return False

    def pair_language(self, text: Any, cjk: str, languages: Sequence[str]) -> str | None:
        """Co-occurrence across the candidate languages: group A in one, B in any."""
        found_a = found_b = None
        for code in languages:
            compiled_list = self.lists.get(code)
            if compiled_list is None:
                continue
            if found_a is None and compiled_list.group_a.matches(text, cjk):
                found_a = code
            if found_b is None and compiled_list.group_b.matches(text, cjk):
                found_b = code
            if found_a and found_b:
                return found_a
        return None


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
    # For text judged not to be English; None loads the packaged multilingual model.
    multilingual_embedder: Embedder | None = None
    _categories: tuple[_CompiledCategory, ...] = field(init=False, repr=False)
    _index: SemanticIndex | None = field(default=None, init=False, repr=False)
    _ml_index: SemanticIndex | None = field(default=None, init=False, repr=False)
    # Categories the semantic check runs for, by slug: fixed by the config.
    _semantic: dict[str, CategoryRules] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        registers = dict(self.config.registers)
        compiled_categories = []
        for rules in self.config.categories:
            per_language = rules.lists()
            pooled = tuple(dict.fromkeys(e for r in per_language.values() for e in r.exceptions))
            lists = {
                code: _CompiledList(
                    terms=compile_list(code, expand(r.terms, registers), pooled),
                    group_a=compile_list(code, expand(r.group_a, registers), pooled),
                    group_b=compile_list(code, expand(r.group_b, registers), pooled),
                )
                for code, r in per_language.items()
            }
            compiled_categories.append(_CompiledCategory(rules=rules, lists=lists))
        self._categories = tuple(compiled_categories)
        self._semantic = {
            c.slug: c
            for c in self.config.categories
            if self.config.semantic and c.semantic_threshold is not None and c.examples
        }

    @property
    def semantic_categories(self) -> list[CategoryRules]:
        return list(self._semantic.values())

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

    def _multilingual_index(self) -> SemanticIndex:
        if self._ml_index is None:
            embedder = self.multilingual_embedder or get_multilingual_embedder()
            categories = [c for c in self.semantic_categories if c.multilingual_threshold]
            self._ml_index = SemanticIndex(
                embedder,
                {c.slug: c.examples for c in categories},
                {c.slug: c.counter_examples for c in categories},
                cache_size=self.semantic_cache_size,
            )
        return self._ml_index

    def warm(self) -> None:
        """Load every model and example index now (process start), not on a request."""
        lang.warm()
        if self.semantic_categories:
            self._semantic_index().scores("warm-up")
        if any(c.multilingual_threshold for c in self.semantic_categories):
            self._multilingual_index().scores("préchauffage")

    def check(self, fields: Mapping[str, str], *, contacts: Iterable[str] = ()) -> FilterResult:
        """Check each field; `contacts` are the project's registered company contacts,
        the only emails and phone numbers a prompt may contain."""
        started = time.perf_counter()
        result = FilterResult()
        allowed = tuple(contacts)
        for field_name, text in fields.items():
            if text and text.strip():
                # Lone surrogates cannot be encoded (the tokenizers refuse them);
                # they carry no meaning, so they become U+FFFD for every check.
                clean = text.encode("utf-8", "replace").decode("utf-8")
                self._check_field(field_name, clean, result, allowed)
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    def _check_field(
        self, field_name: str, text: str, result: FilterResult, contacts: tuple[str, ...] = ()
    ) -> None:
        negative = field_name == NEGATIVE_FIELD
        for name in detect(text, self.config.pii_detectors, allowed=contacts):
            result.hits.append(Hit("pii", f"pii.{name}", field_name, rule=name))
        guess = lang.detect(text)
        result.languages[field_name] = guess
        if (
            negative
            and asks_for_nudity(text)
            and any(c.rules.slug == "sexual" for c in self._categories)
        ):
            result.hits.append(Hit("terms", "sexual", field_name, rule="negative:sexual"))
        applicable = [c for c in self._categories if not negative or c.rules.check_negative]
        if not applicable:
            return
        normalized = normalize(text)
        cjk = fold_cjk(text) if any(code in lang.CJK for code in guess.candidates) else ""
        for category in applicable:
            slug = category.rules.slug
            found = category.term_language(normalized, cjk, guess.candidates)
            if found:
                result.hits.append(Hit("terms", slug, field_name, rule=f"terms:{slug}:{found}"))
                continue
            found = category.pair_language(normalized, cjk, guess.candidates)
            if found:
                rule = f"cooccurrence:{slug}:{found}"
                result.hits.append(Hit("terms", slug, field_name, rule=rule))
        semantic = self._semantic
        wanted = [c.rules.slug for c in applicable if c.rules.slug in semantic]
        if not wanted:
            return
        indicated = {
            c.rules.slug
            for c in applicable
            if c.rules.semantic_needs_indicator and c.indicated(normalized, cjk, guess.candidates)
        }
        gated = {slug for slug in wanted if semantic[slug].semantic_needs_indicator} - indicated
        scores = self._semantic_index().scores(normalized.plain[:SEMANTIC_MAX_CHARS])
        self._semantic_hits(result, field_name, wanted, scores, "", gated)
        # Every text not judged English, including scripts we ship no lists for
        # (Cyrillic, Arabic, Korean...), which only this model can read.
        if guess.language != "en":
            ml_wanted = [slug for slug in wanted if semantic[slug].multilingual_threshold]
            if ml_wanted:
                # The folded text would strip Japanese voicing marks; the model
                # has its own normalisation, so it reads the text as typed.
                ml_scores = self._multilingual_index().scores(text[:SEMANTIC_MAX_CHARS])
                self._semantic_hits(result, field_name, ml_wanted, ml_scores, ":ml", gated)

    def _semantic_hits(
        self,
        result: FilterResult,
        field_name: str,
        wanted: Sequence[str],
        scores: Mapping[str, float],
        suffix: str,
        gated: set[str],
    ) -> None:
        """Record every score; refuse at the threshold unless the category is gated."""
        rules = self._semantic
        for slug in wanted:
            score = scores.get(slug)
            if score is None:
                continue
            key = slug + suffix
            result.scores[key] = max(score, result.scores.get(key, score))
            rule = rules[slug]
            threshold = rule.multilingual_threshold if suffix else rule.semantic_threshold
            if threshold is not None and score >= threshold and slug not in gated:
                hit = Hit("semantic", slug, field_name, round(score, 4), f"semantic:{key}")
                result.hits.append(hit)


def config_from_dicts(
    categories: Iterable[Mapping[str, Any]],
    *,
    pii_detectors: Iterable[str] | None = None,
    semantic: bool = True,
    registers: Mapping[str, Iterable[str]] | None = None,
) -> PromptFilterConfig:
    """A config from stored rule dicts (the `defaults` / database shape)."""
    return PromptFilterConfig(
        categories=tuple(CategoryRules.from_dict(c) for c in categories),
        pii_detectors=frozenset(DETECTORS if pii_detectors is None else pii_detectors),
        semantic=semantic,
        registers=tuple(sorted((k, tuple(v)) for k, v in (registers or {}).items())),
    )
