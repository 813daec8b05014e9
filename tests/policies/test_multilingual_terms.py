"""Term lists in every language: one word listed once matches its inflections,
Japanese and Chinese without word boundaries, exceptions fence across languages,
and registers stand in for names. Lists here are small and explicit so each
test shows the matching rule it relies on (the shipped lists are measured by
scripts/filter_eval_sets.py, not asserted here)."""

from __future__ import annotations

import pytest

from apps.policies.filters import language
from apps.policies.filters.prompt import PromptFilter, config_from_dicts
from apps.policies.filters.terms import _inflections

SEXUAL = {
    "slug": "sexual",
    "label": "Sexual content",
    "terms": ["nude"],
    "exceptions": ["nude lipstick"],
    "languages": {
        "fr": {"terms": ["nu", "photo érotique"], "exceptions": ["teinte nude", "pieds nus"]},
        "de": {"terms": ["nackt", "nackt*"]},
        "it": {"terms": ["nudo"]},
        "ja": {"terms": ["裸", "ヌード"], "exceptions": ["裸色", "ヌードベージュ"]},
        "zh": {"terms": ["裸体"], "exceptions": ["裸色"]},
    },
}
BRANDS = {
    "slug": "brand_misuse",
    "label": "Brands and real people",
    "cooccurrence": [["<register:people>"], ["our bottle", "holding our"]],
    "languages": {
        "fr": {"cooccurrence": [["<register:people>"], ["notre bouteille"]]},
        "zh": {"cooccurrence": [["<register:people>"], ["我们的饮料"]]},
    },
}
REGISTERS = {"people": ["Cristiano Ronaldo", "CR7", "C罗"]}


@pytest.fixture(scope="module")
def terms_filter() -> PromptFilter:
    return PromptFilter(config_from_dicts([SEXUAL, BRANDS], semantic=False, registers=REGISTERS))


def _categories(prompt_filter: PromptFilter, text: str) -> list[str]:
    return prompt_filter.check({"prompt": text}).categories()


@pytest.mark.parametrize(
    "text",
    ["une femme nue sur la plage", "deux hommes nus", "des photos érotiques", "photos nues"],
)
def test_a_french_word_listed_once_matches_its_inflections(terms_filter, text):
    assert _categories(terms_filter, text) == ["sexual"]


def test_german_compounds_match_a_wildcard(terms_filter):
    assert _categories(terms_filter, "ein Nacktfoto am Strand") == ["sexual"]
    assert _categories(terms_filter, "nackten Frauen") == ["sexual"]


@pytest.mark.parametrize(
    "text",
    [
        "teinte nude pour les lèvres, photo studio",  # French colour word fences English "nude"
        "la nouvelle teinte nude",
        "une plage, pieds nus dans le sable",
        "nude lipstick on a marble table",
    ],
)
def test_exceptions_fence_terms_in_every_language(terms_filter, text):
    assert _categories(terms_filter, text) == []


def test_japanese_and_chinese_terms_match_without_word_boundaries(terms_filter):
    assert _categories(terms_filter, "ビーチで裸の女性") == ["sexual"]
    assert _categories(terms_filter, "海滩上的裸体女人") == ["sexual"]
    assert _categories(terms_filter, "海滩上的裸 体女人") == ["sexual"]  # spaced out


def test_japanese_and_chinese_exceptions_hold(terms_filter):
    assert _categories(terms_filter, "ヌードベージュのリップ") == []
    assert _categories(terms_filter, "裸色口红,产品图") == []


def test_a_register_name_with_a_product_word_blocks_in_any_language(terms_filter):
    assert _categories(terms_filter, "Cristiano Ronaldo holding our bottle") == ["brand_misuse"]
    assert _categories(terms_filter, "CR7 avec notre bouteille") == ["brand_misuse"]
    assert _categories(terms_filter, "C罗拿着我们的饮料") == ["brand_misuse"]
    assert _categories(terms_filter, "a football player holding our bottle") == []


def test_the_refusal_names_the_language_whose_list_fired(terms_filter):
    result = terms_filter.check({"prompt": "une femme nue sur la plage"})
    assert [hit.rule for hit in result.hits] == ["terms:sexual:fr"]
    assert result.languages["prompt"].language == "fr"


def test_a_word_of_another_language_is_not_judged_by_that_list_in_clear_text(terms_filter):
    # Italian "nudo" is "naked"; Spanish "nudo" is "knot". Clear Spanish text is
    # not read with the Italian list.
    assert _categories(terms_filter, "un nudo marinero en la cuerda del barco") == []
    assert _categories(terms_filter, "una donna nuda sulla spiaggia, foto nudo") == ["sexual"]


@pytest.mark.parametrize(
    ("listed", "matched", "not_matched"),
    [
        ("stabbing", "stabbed", "stab"),
        ("raped", "raping", "rap"),
        ("stripping", "stripped", "strip"),
        ("breasts", "breast", "brea"),
        ("kill", "killed", "killer"),
        ("strip", "stripped", "striped"),
    ],
)
def test_english_inflections_are_generated_from_the_listed_form(listed, matched, not_matched):
    forms = _inflections(listed)
    assert matched in forms
    assert not_matched not in forms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("une femme sur la plage au coucher du soleil", "fr"),
        ("ein Mann mit Hut im Park", "de"),
        ("una mujer en la playa al atardecer", "es"),
        ("naakte vrouw op het strand", "nl"),
        ("ビーチで遊ぶ家族", "ja"),
        ("海滩上的家庭", "zh"),
        ("a family at the beach at sunset", "en"),
    ],
)
def test_the_language_is_detected(text, expected):
    assert language.detect(text).language == expected


@pytest.mark.parametrize(
    "text", ["", "12345", "\u200b\u200b", "مرحبا بالعالم", "Привет мир", "\x00\x01binary\xff"]
)
def test_detection_never_fails_and_keeps_the_english_lists(text):
    guess = language.detect(text)
    assert "en" in guess.candidates


def test_a_refusal_says_which_language_it_judged(db):
    from apps.policies import gate

    verdict = gate.Verdict()
    gate.check_text({"prompt": "une femme nue sur la plage"}, gate.filter_settings(), verdict)
    assert "(read as French)" in verdict.rules[0].message
    assert verdict.scores["languages"]["prompt"]["language"] == "fr"
