"""The gate on request: refused before anything is queued, with a stored, audited Decision."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.core.exceptions import PolicyRefused
from apps.generation.models import GenerationJob
from apps.generation.services import GenerationParams, generation_request
from apps.policies.models import Decision, Outcome, Stage
from apps.prompts.services import template_create

BLOCKED = "nude photo of a child"


def _request(user, project, **overrides):
    params = {"route": "draft", "width": 512, "height": 512, "prompt": "a red shoe"} | overrides
    return generation_request(actor=user, project=project, params=GenerationParams(**params))


def test_allowed_request_stores_an_allowed_decision_with_the_policy_versions(
    member, project, draft_route
):
    job = _request(member, project)
    decision = Decision.objects.get(job=job)
    assert (decision.stage, decision.outcome) == (Stage.REQUEST, Outcome.ALLOWED)
    assert decision.rules == []
    assert {"filters", "usage:default", "organisation"} <= decision.policy_versions.keys()
    assert any(key.startswith("license:") for key in decision.policy_versions)
    assert "prompt_filter_ms" in decision.filter_scores


def test_blocked_prompt_is_refused_before_queueing_and_the_refusal_is_audited(
    member, project, draft_route, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(PolicyRefused) as info:
        _request(member, project, prompt=BLOCKED)

    assert not GenerationJob.objects.exists()
    assert callbacks == []  # nothing published
    decision = Decision.objects.get()
    assert (decision.stage, decision.outcome) == (Stage.REQUEST, Outcome.REFUSED)
    assert decision.job is None
    assert "minors" in {rule["category"] for rule in decision.rules}
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("sequence"))
    assert actions[-2:] == ["policy.decision", "generation.refuse"]
    # Nothing shown or stored quotes the blocked text.
    shown = " ".join(rule["message"] for rule in info.value.rules)
    assert "child" not in shown and "nude" not in shown
    stored = str(decision.rules) + str(AuditEvent.objects.last().payload)
    assert "child" not in stored and "nude" not in stored


def test_personal_data_in_the_negative_prompt_is_refused_with_what_to_change(
    member, project, draft_route
):
    with pytest.raises(PolicyRefused) as info:
        _request(member, project, negative_prompt="blurry, call 415-555-0132")
    (rule,) = info.value.rules
    assert rule["field"] == "negative_prompt" and rule["category"] == "pii.phone"
    assert "Remove personal data" in rule["message"] and "555" not in rule["message"]


def test_protective_negative_prompt_is_allowed(member, project, draft_route):
    job = _request(member, project, negative_prompt="nsfw, nude, gore, blurry")
    assert job.negative_prompt == "nsfw, nude, gore, blurry"


def test_validation_errors_come_before_the_gate_and_write_nothing(member, project, draft_route):
    with pytest.raises(ValidationError):
        _request(member, project, prompt=BLOCKED, width=500)
    assert not Decision.objects.exists()


def test_usage_policy_limits_routes_size_and_steps(
    member, project, draft_route, final_route, edit_usage
):
    edit_usage(project, allowed_routes=[draft_route], max_width=256, max_height=256, max_steps=20)
    with pytest.raises(PolicyRefused) as info:
        _request(member, project, route="final")
    codes = {rule["code"] for rule in info.value.rules}
    assert codes == {"usage.route_not_allowed", "usage.size", "usage.steps"}
    assert _request(member, project, width=256, height=256).pk


def test_project_policy_replaces_the_site_default_only_for_that_project(
    member, owner, project, outsider, draft_route, edit_usage
):
    edit_usage(None, max_width=256, max_height=256)
    with pytest.raises(PolicyRefused):
        _request(member, project)
    edit_usage(project, max_width=1024, max_height=1024)
    assert _request(member, project).pk


def test_template_text_is_checked_when_saved(owner, project):
    with pytest.raises(ValidationError) as info:
        template_create(actor=owner, project=project, name="Bad", body="Nude photo of {person}")
    assert "body" in info.value.message_dict
    decision = Decision.objects.get()
    assert (decision.stage, decision.outcome) == (Stage.TEMPLATE, Outcome.REFUSED)
    assert not project.templates.filter(name="Bad").exists()


def test_an_unavailable_prompt_filter_refuses_instead_of_running_unfiltered(
    member, project, draft_route, settings, tmp_path
):
    settings.POLICY_EMBEDDING_MODEL_DIR = str(tmp_path / "no-model-here")
    with pytest.raises(PolicyRefused) as info:
        _request(member, project)
    (rule,) = info.value.rules
    assert rule["code"] == "filter.unavailable"
    assert "prompt filter is unavailable" in rule["message"]
    assert not GenerationJob.objects.exists()


def test_the_portal_shows_each_rule_beside_its_field_without_the_blocked_text(
    client, member, project, draft_route
):
    from django.urls import reverse

    client.force_login(member)
    response = client.post(
        reverse("projects:generate", args=[project.slug]),
        {"route": "draft", "size": "512x512", "prompt": "n4ked ch1ld on a beach"},
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "Policy refused this generation" in str(errors["__all__"])
    assert "content rule" in str(errors["prompt"])
    assert "n4ked" not in str(errors) and "ch1ld" not in str(errors)
    assert not GenerationJob.objects.exists()
