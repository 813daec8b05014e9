"""The gate runs a configured guard model in the worker (and at request only when
asked), maps its verdict onto our refusals, records which model judged, and
refuses when the model cannot load: it never passes by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.policies import gate
from tests.policies.test_guard_model import save_checkpoint


@pytest.fixture(scope="module")
def tiny_guard_dir(tmp_path_factory) -> Path:
    return save_checkpoint(tmp_path_factory.mktemp("gate-guard") / "llama-guard-tiny")


def _worker_verdict(project, draft_route, prompt: str, guard: bool | None = True):
    return gate.evaluate_generation(
        project=project,
        route=draft_route,
        prompt=prompt,
        negative_prompt="",
        width=512,
        height=512,
        steps=4,
        guard=guard,
    )


def test_a_missing_guard_model_refuses_in_the_worker(settings, project, draft_route, tmp_path):
    settings.PROMPT_GUARD_MODEL_DIR = str(tmp_path / "not-there")
    verdict = _worker_verdict(project, draft_route, "a red bicycle on a quiet street")
    assert not verdict.allowed
    assert [rule.code for rule in verdict.rules] == ["filter.unavailable"]
    assert "a red bicycle" not in verdict.rules[0].message


def test_the_guard_model_runs_for_real_and_is_recorded(
    settings, project, draft_route, tiny_guard_dir
):
    settings.PROMPT_GUARD_MODEL_DIR = str(tiny_guard_dir)
    verdict = _worker_verdict(project, draft_route, "a red bicycle on a quiet street")
    # Random weights give an arbitrary verdict; what is checked is that the model
    # judged and that whatever it said is either recorded or refused.
    assert verdict.scores["guard_model"].startswith("llama-guard-tiny")
    assert verdict.allowed or all(r.code.startswith("filter.") for r in verdict.rules)


def test_no_guard_at_request_unless_configured(settings, project, draft_route, tmp_path):
    settings.PROMPT_GUARD_MODEL_DIR = str(tmp_path / "not-there")
    settings.PROMPT_GUARD_AT_REQUEST = False
    assert _worker_verdict(project, draft_route, "a red bicycle", guard=None).allowed
    settings.PROMPT_GUARD_AT_REQUEST = True
    assert not _worker_verdict(project, draft_route, "a red bicycle", guard=None).allowed


def test_guard_categories_map_to_our_guidance(monkeypatch, project, draft_route, settings):
    from tests.policies.test_guard_model import Answers

    settings.PROMPT_GUARD_MODEL_DIR = "configured"
    monkeypatch.setattr(gate, "guard_model", lambda: Answers("unsafe\nS1"))
    verdict = _worker_verdict(project, draft_route, "some prompt")
    assert [(r.code, r.category) for r in verdict.rules] == [("filter.guard", "violence")]
