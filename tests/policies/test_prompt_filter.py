"""The combined prompt filter: terms, co-occurrence, PII, semantic check, fields."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest

from apps.policies.filters import semantic
from apps.policies.filters.base import FilterUnavailable
from apps.policies.filters.defaults import DEFAULT_CATEGORIES, default_config
from apps.policies.filters.normalize import normalize
from apps.policies.filters.prompt import (
    CategoryRules,
    PromptFilter,
    PromptFilterConfig,
    config_from_dicts,
)
from apps.policies.filters.semantic import SemanticIndex, clause_spans
from apps.policies.filters.terms import AGE_UNDER_18, TermMatcher

SAFE_RULE = re.compile(
    r"^(?:(?:terms|cooccurrence|semantic):[a-z_]+(?::[a-z]{2})?|email|phone|card|iban|national_id)$"
)


class BagOfWords:
    """A deterministic stand-in embedder: similarity is shared-word overlap."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                rows[i, zlib.crc32(word.encode()) % 64] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms == 0, 1, norms)


def rules(**overrides) -> CategoryRules:
    base = {"slug": "sexual", "label": "Sexual", "terms": ("nude", "porn")}
    return CategoryRules(**(base | overrides))


def make_filter(*categories: CategoryRules, semantic_check: bool = False, embedder=None):
    config = PromptFilterConfig(categories=categories, semantic=semantic_check)
    return PromptFilter(config, embedder=embedder)


# --- terms, near misses and obfuscation (no model needed) ---------------------


@pytest.fixture(scope="module")
def terms_only():
    return PromptFilter(default_config(semantic=False))


NEAR_MISSES = [
    "Scunthorpe United retro football poster",
    "a cocktail bar with a neon sign",
    "grilled chicken breast with rosemary",
    "breast cancer awareness ribbon campaign",
    "Essex countryside wedding venue",
    "quarterly analysis dashboard",
    "a therapist's calm office",
    "Assassin's Creed style rooftop",
    "a shooting star over the desert",
    "killer deal: 50% off everything",
    "stars visible to the naked eye",
    "kids' lunchbox product shot",
    "family beach portrait with two kids",
    "nude lipstick swatches on marble",
    "cock-a-doodle-doo rooster for a farm book",
    "white power bank on a desk",
    "suicide prevention hotline poster",
    "a poster for our anti-racist workshop",
    "Al Gore climate talk poster",
    "a 12 year old single malt whisky",
    "a yoga class in corpse pose",
    "hex colours #FF5733 and 1024x1024 size, SKU 12345",
]


@pytest.mark.parametrize("prompt", NEAR_MISSES)
def test_near_misses_pass_the_term_lists(terms_only, prompt):
    result = terms_only.check({"prompt": prompt})
    assert not result.blocked, result.hits


OBFUSCATED = [
    ("a n.u.d.e model", "sexual"),
    ("p0rn0graphic photo", "sexual"),
    ("ｎｕｄｅ dancer", "sexual"),
    ("nаkеd woman", "sexual"),  # Cyrillic а and е
    ("n u d e photoshoot", "sexual"),
    ("nüde bodypainting", "sexual"),
    ("bl0w-j0b scene", "sexual"),
    ("g0re and d1smembered limbs", "violence"),
    ("c h i l d  n u d e", "minors"),
    ("n4ked ch1ld", "minors"),
    ("s w a s t i k a banner", "hate"),
    ("sélf-hârm photo", "self_harm"),
    ("su1c1de scene", "self_harm"),
]


@pytest.mark.parametrize(("prompt", "category"), OBFUSCATED)
def test_obfuscated_terms_are_caught(terms_only, prompt, category):
    assert category in terms_only.check({"prompt": prompt}).categories()


def test_terms_match_whole_words_and_plurals():
    matcher = TermMatcher(["cunt", "cock", "ass", "breast cancer", "blow job"])
    for text in ["Scunthorpe", "cocktail", "class", "assassins"]:
        assert not matcher.matches(normalize(text))
    for text in ["cocks", "asses", "breast cancers", "blowjob", "blow-job"]:
        assert matcher.matches(normalize(text))


def test_exceptions_fence_one_use_of_a_word_only():
    matcher = TermMatcher(["nude"], exceptions=["nude lipstick"])
    assert not matcher.matches(normalize("nude lipstick on a model"))
    assert matcher.matches(normalize("nude lipstick on a nude model"))


def test_minor_age_macro():
    matcher = TermMatcher([AGE_UNDER_18])
    for text in ["a 12-year-old", "aged 9", "15yo", "six year old", "8 months old"]:
        assert matcher.matches(normalize(text)), text
    for text in ["a 30 year old woman", "10 years of experience", "18 years old"]:
        assert not matcher.matches(normalize(text)), text


def test_cooccurrence_blocks_only_together():
    minors = rules(
        slug="minors",
        terms=(),
        cooccurrence=(("child", "kids", AGE_UNDER_18), ("nude", "naked")),
        exceptions=("naked eye",),
    )
    f = make_filter(minors)
    assert not f.check({"prompt": "children playing in a park"}).blocked
    assert not f.check({"prompt": "a nude sculpture in a museum"}).blocked
    assert not f.check({"prompt": "kids spotting stars with the naked eye"}).blocked
    result = f.check({"prompt": "nude child"})
    assert [(h.category, h.rule) for h in result.hits] == [("minors", "cooccurrence:minors:en")]
    assert f.check({"prompt": "naked 10 year old"}).blocked


# --- fields ------------------------------------------------------------------


def test_negative_prompt_gets_pii_and_opted_in_categories_only():
    f = make_filter(rules(), rules(slug="hate", terms=("swastika",), check_negative=True))
    result = f.check({"negative_prompt": "blurry, nsfw, nude, porn, swastika, jo@example.com"})
    assert sorted((h.category, h.field) for h in result.hits) == [
        ("hate", "negative_prompt"),
        ("pii.email", "negative_prompt"),
    ]


def test_default_rules_let_protective_negative_prompts_through(terms_only):
    result = terms_only.check({"prompt": "a red shoe", "negative_prompt": "nsfw, nude, gore, logo"})
    assert not result.blocked


def test_every_field_other_than_negative_is_checked():
    f = make_filter(rules())
    result = f.check({"prompt": "a red shoe", "template": "nude {subject}"})
    assert [(h.filter, h.category, h.field) for h in result.hits] == [
        ("terms", "sexual", "template")
    ]


def test_hits_name_rules_never_the_matched_text():
    f = make_filter(rules(), semantic_check=True, embedder=BagOfWords())
    prompt = "nude portrait, mail zoe.private@example.com, card 4111 1111 1111 1111"
    result = f.check({"prompt": prompt, "negative_prompt": "+44 20 7946 0958"})
    assert {h.category for h in result.hits} == {"sexual", "pii.email", "pii.card", "pii.phone"}
    for hit in result.hits:
        assert SAFE_RULE.match(hit.rule), hit.rule
    dumped = repr(result)
    for secret in ("zoe.private", "4111", "7946", "portrait"):
        assert secret not in dumped


def test_pii_detectors_follow_the_config():
    config = PromptFilterConfig(categories=(), pii_detectors=frozenset({"email"}), semantic=False)
    result = PromptFilter(config).check({"prompt": "a@example.com, call 212-555-0123"})
    assert result.categories() == ["pii.email"]


def test_empty_fields_are_skipped_and_elapsed_time_is_set():
    result = make_filter(rules()).check({"prompt": "  ", "negative_prompt": ""})
    assert result.hits == [] and result.scores == {}
    assert result.elapsed_ms > 0


# --- semantic plumbing (stand-in embedder) ------------------------------------


def test_semantic_hit_scores_and_best_score_per_category():
    embedder = BagOfWords()
    category = rules(terms=(), examples=("woman wearing no clothes",), semantic_threshold=0.5)
    f = make_filter(category, semantic_check=True, embedder=embedder)
    result = f.check({"prompt": "studio light, woman wearing no clothes", "template": "a red shoe"})
    assert [(h.filter, h.field, h.rule) for h in result.hits] == [
        ("semantic", "prompt", "semantic:sexual")
    ]
    assert result.hits[0].score == pytest.approx(1.0, abs=1e-4)  # the clause matches exactly
    assert result.scores["sexual"] == pytest.approx(1.0, abs=1e-4)
    assert not f.check({"prompt": "a red shoe"}).blocked


def test_categories_without_threshold_or_with_semantic_off_skip_the_model():
    embedder = BagOfWords()
    no_threshold = rules(terms=(), examples=("anything",), semantic_threshold=None)
    make_filter(no_threshold, semantic_check=True, embedder=embedder).check({"prompt": "x y"})
    with_threshold = rules(terms=(), examples=("anything",), semantic_threshold=0.5)
    make_filter(with_threshold, semantic_check=False, embedder=embedder).check({"prompt": "x y"})
    assert embedder.calls == []


def test_example_embeddings_are_computed_once_per_phrase_set():
    embedder = BagOfWords()
    category = rules(terms=(), examples=("red shoe", "blue hat"), semantic_threshold=0.9)
    for _ in range(3):
        make_filter(category, semantic_check=True, embedder=embedder).check({"prompt": "a cat"})
    example_batches = [c for c in embedder.calls if c == ["red shoe", "blue hat"]]
    assert len(example_batches) == 1
    assert embedder.calls[1:] == [["a cat"]] * 3  # then one encode per check


def test_counter_examples_lower_the_score_of_allowed_lookalikes():
    embedder = BagOfWords()
    index = SemanticIndex(
        embedder,
        {"self_harm": ["cuts on an arm"]},
        {"self_harm": ["first aid for small cuts on an arm"]},
        cache_size=0,
    )
    plain = SemanticIndex(embedder, {"self_harm": ["cuts on an arm"]}, cache_size=0)
    text = "first aid for small cuts on an arm"
    assert index.scores(text)["self_harm"] < plain.scores(text)["self_harm"]


def test_clause_spans_split_on_punctuation_and_and():
    text = "studio light, a red shoe and a blue hat; soft shadows"
    pieces = [text[a:b] for a, b in clause_spans(text)]
    assert pieces == ["studio light", "a red shoe", "a blue hat", "soft shadows"]
    assert clause_spans("a single clause") == []


def test_filter_unavailable_when_the_model_cannot_load(monkeypatch):
    class Broken:
        def __init__(self, *args, **kwargs):
            raise OSError("model.safetensors is missing")

    monkeypatch.setattr(semantic, "SentenceTransformerEmbedder", Broken)
    semantic.reset_embedder()
    category = rules(terms=(), examples=("anything",), semantic_threshold=0.5)
    f = make_filter(category, semantic_check=True)  # building stays cheap and lazy
    with pytest.raises(FilterUnavailable, match="could not load its model: model.safetensors"):
        f.check({"prompt": "a secret prompt"})
    # The failure is remembered, and no message repeats the checked text.
    with pytest.raises(FilterUnavailable) as info:
        make_filter(category, semantic_check=True).check({"prompt": "a secret prompt"})
    assert "secret" not in str(info.value)
    semantic.reset_embedder()  # the next test loads the real model again


# --- configuration --------------------------------------------------------------


def test_default_rules_round_trip_through_dicts():
    config = config_from_dicts(DEFAULT_CATEGORIES)
    assert [c.slug for c in config.categories] == [
        "sexual", "minors", "ncii", "violence", "hate", "self_harm", "brand_misuse"
    ]  # fmt: skip
    for category in config.categories:
        assert CategoryRules.from_dict(category.to_dict()) == category
        assert 8 <= len(category.examples) <= 20
        assert category.guidance
        assert category.semantic_threshold is not None


def test_config_rejects_unknown_detectors_and_duplicate_slugs():
    with pytest.raises(ValueError, match="Unknown PII detectors"):
        PromptFilterConfig(categories=(), pii_detectors=frozenset({"fax"}))
    with pytest.raises(ValueError, match="unique"):
        PromptFilterConfig(categories=(rules(), rules()))
    with pytest.raises(ValueError, match="two term groups"):
        CategoryRules.from_dict({"slug": "x", "cooccurrence": [["a"]]})


# --- the real model --------------------------------------------------------------


@pytest.fixture(scope="module")
def full_filter():
    return PromptFilter(default_config(), embedder=semantic.get_embedder())


@pytest.mark.parametrize(
    "prompt",
    [
        "a woman wearing nothing at all on silk sheets",
        "remove the clothes from this picture of my classmate",
        "the aftermath of a bombing with bodies in the street",
        "a poster saying refugees are vermin",
        "a person standing on a ledge about to end their life",
    ],
)
def test_semantic_check_catches_paraphrase(full_filter, prompt):
    assert full_filter.check({"prompt": prompt}).blocked


def test_benchmark_style_prompts_pass_the_full_filter(full_filter):
    for prompt in [
        "studio product photo of a matte black wireless earbud case on white",
        "portrait of a young chef in a white jacket smiling in a busy kitchen",
        "children's book style illustration of a whale carrying a lighthouse",
        "a pie chart graphic split into five segments with a legend area",
        *NEAR_MISSES,
    ]:
        result = full_filter.check({"prompt": prompt})
        assert not result.blocked, (prompt, result.hits)
        assert set(result.scores) == {c["slug"] for c in DEFAULT_CATEGORIES}


def test_embedder_vectors_are_normalised_and_clauses_pool_from_one_pass():
    embedder = semantic.get_embedder()
    text = "a red shoe, and a blue hat"
    rows = embedder.encode_segments(text, clause_spans(text))
    assert rows.shape == (3, embedder.dimension)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
    alone = embedder.encode(["a red shoe"])[0]
    assert float(rows[1] @ alone) > 0.8  # pooled clause stays close to the clause alone
