"""Odd input gets an answer, never a crash or a pass by default, and a filter that
cannot run refuses in every language."""

from __future__ import annotations

import pytest

from apps.policies import gate
from apps.policies.filters import multilingual, semantic
from apps.policies.filters.base import FilterUnavailable
from apps.policies.filters.defaults import default_config
from apps.policies.filters.prompt import PromptFilter


@pytest.fixture(scope="module")
def shipped_filter() -> PromptFilter:
    return PromptFilter(default_config(), embedder=semantic.get_embedder())


@pytest.mark.parametrize(
    "text",
    [
        " ",
        "\x00\x01\x02\x7f",
        "\ufeff\u200b\u200d\u2060",
        "שלום עולם, פרסומת לקפה",  # right-to-left
        "\u202eeman ym si sihT",  # a right-to-left override
        "café ☕ コーヒー 咖啡 кофе قهوة",  # mixed scripts
        "\udcff\ud800 lone surrogates",
        "A" * 20_000,
    ],
)
def test_odd_input_gets_an_answer(shipped_filter, text):
    result = shipped_filter.check({"prompt": text})
    assert isinstance(result.blocked, bool)


def test_a_long_text_is_still_read_to_its_end(shipped_filter):
    text = "a calm beach at sunset. " * 8000 + "une femme nue"
    assert "sexual" in shipped_filter.check({"prompt": text}).categories()


@pytest.mark.parametrize(
    "text", ["een rode fiets in de stad", "ein rotes Fahrrad", "公园里的红色自行车", "赤い自転車"]
)
def test_an_unavailable_multilingual_model_refuses(db, monkeypatch, text):
    def broken() -> None:
        raise FilterUnavailable("The multilingual prompt filter could not load its model: gone")

    monkeypatch.setattr("apps.policies.filters.prompt.get_multilingual_embedder", broken)
    gate.prompt_filters.clear()
    verdict = gate.Verdict()
    gate.check_text({"prompt": text}, gate.filter_settings(), verdict)
    gate.prompt_filters.clear()
    assert [rule.code for rule in verdict.rules] == ["filter.unavailable"]
    assert text not in verdict.rules[0].message


def test_the_multilingual_model_ships_in_its_package():
    embedder = multilingual.E5Embedder()
    vectors = embedder.encode(["une femme", "a woman", "eine Frau"])
    assert vectors.shape == (3, embedder.dimension)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ embedder.encode(["ein Auto"])[0])
