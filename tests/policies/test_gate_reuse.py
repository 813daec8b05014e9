"""The worker does not run the prompt filter again on text it cleared at request
under the same filter version; after any filter edit it does."""

from __future__ import annotations

import pytest

from apps.policies import gate
from apps.policies.services import policy_save

pytestmark = pytest.mark.django_db


def _judge(project, route, prompt, cleared_under):
    return gate.evaluate_generation(
        project=project,
        route=route,
        prompt=prompt,
        negative_prompt="",
        width=256,
        height=256,
        steps=8,
        text_cleared_under=cleared_under,
    )


def test_text_cleared_under_this_version_is_not_filtered_again(project, draft_route):
    version = gate.filter_settings().version
    verdict = _judge(project, draft_route, "a red shoe on a table", version)
    assert verdict.allowed
    assert verdict.scores["prompt"] == "allowed at request under this filter version"
    assert verdict.versions["filters"] == version


def test_after_a_filter_edit_the_text_is_judged_again(project, draft_route):
    old = gate.filter_settings().version
    policy_save(actor=None, instance=gate.filter_settings())  # any edit: a new version
    verdict = _judge(project, draft_route, "a nude woman", old)
    assert not verdict.allowed and verdict.versions["filters"] == old + 1
    assert isinstance(verdict.scores["prompt"], dict)


def test_other_rules_are_judged_as_they_are_now(project, draft_route, edit_usage):
    version = gate.filter_settings().version
    edit_usage(project, max_width=128, max_height=128)
    verdict = _judge(project, draft_route, "a red shoe on a table", version)
    assert not verdict.allowed
