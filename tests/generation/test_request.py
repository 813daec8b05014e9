"""Requests are validated completely before anything is written or queued."""

import pytest
from django.core.exceptions import ValidationError

from apps.core.exceptions import PermissionDenied
from apps.generation.models import GenerationJob, JobStatus
from apps.generation.services import SEED_MAX, GenerationParams, generation_request


def _params(**overrides):
    base = {"route": "draft", "width": 512, "height": 512, "prompt": "a red shoe"}
    base.update(overrides)
    return GenerationParams(**base)


def test_valid_request_creates_a_queued_job_with_explicit_route_parameters(
    member, project, draft_route, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = generation_request(actor=member, project=project, params=_params())
    assert job.status == JobStatus.QUEUED
    assert (job.steps, job.guidance) == (8, 0.0)  # Turbo's, not diffusers' 28 / 4.5
    assert 0 <= job.seed <= SEED_MAX
    assert len(callbacks) == 1  # published after commit, once


def test_template_request_records_rendered_prompt_and_version(
    member, project, draft_route, template
):
    version = template.current_version
    job = generation_request(
        actor=member,
        project=project,
        params=_params(
            prompt="", template_version=version, variables={"product": "shoe", "surface": "desk"}
        ),
    )
    assert job.prompt == "Photo of shoe on a desk"
    assert job.negative_prompt == "blurry"
    assert job.template_version == version


def test_given_seed_is_kept(member, project, draft_route):
    job = generation_request(actor=member, project=project, params=_params(seed=42))
    assert job.seed == 42


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "x" * 2001}, "prompt"),
        ({"negative_prompt": "x" * 2001}, "negative_prompt"),
        ({"width": 500, "height": 512}, "size"),
        ({"width": 768, "height": 768}, "size"),
        ({"steps": 13}, "steps"),
        ({"steps": 3}, "steps"),
        ({"guidance": 2.5}, "guidance"),
        ({"seed": -1}, "seed"),
        ({"seed": SEED_MAX + 1}, "seed"),
        ({"route": "nope"}, "route"),
        ({"variables": {"product": "x"}}, "variables"),
    ],
)
def test_bad_input_names_the_field_and_writes_and_queues_nothing(
    member, project, draft_route, overrides, field, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as exc:
        generation_request(actor=member, project=project, params=_params(**overrides))
    assert field in exc.value.message_dict
    assert not GenerationJob.objects.exists()
    assert callbacks == []


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"product": "shoe"}, "Missing value for: surface"),
        ({"product": "a", "surface": "b", "mood": "c"}, "Unknown variable: mood"),
    ],
)
def test_template_variable_errors_are_reported(
    member, project, draft_route, template, variables, message
):
    with pytest.raises(ValidationError, match=message):
        generation_request(
            actor=member,
            project=project,
            params=_params(template_version=template.current_version, variables=variables),
        )
    assert not GenerationJob.objects.exists()


def test_disabled_route_is_refused(member, project, draft_route):
    draft_route.enabled = False
    draft_route.save()
    with pytest.raises(ValidationError, match="no enabled route"):
        generation_request(actor=member, project=project, params=_params())


def test_template_of_another_project_is_refused(member, project, draft_route, outsider):
    from tests.factories import TemplateFactory

    foreign = TemplateFactory(project=outsider.memberships.get().project, actor=outsider)
    with pytest.raises(ValidationError) as exc:
        generation_request(
            actor=member,
            project=project,
            params=_params(
                template_version=foreign.current_version,
                variables={"product": "a", "surface": "b"},
            ),
        )
    assert "template" in exc.value.message_dict


def test_viewer_and_outsider_cannot_generate(viewer, outsider, project, draft_route):
    for user in (viewer, outsider):
        with pytest.raises(PermissionDenied):
            generation_request(actor=user, project=project, params=_params())
    assert not GenerationJob.objects.exists()
