"""The gate in the worker, on the real stack: policy changed after the request,
and an output the image filter stops. Real RabbitMQ, PostgreSQL and worker."""

from __future__ import annotations

import pytest

from apps.assets.models import Asset
from apps.generation.models import JobStatus
from apps.generation.services import GenerationParams, generation_request
from apps.policies import gate
from apps.policies.models import Decision, QuarantinedOutput
from apps.policies.services import policy_save
from tests.workers import delete_queues, start_worker, wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_for(tmp_path):
    started, queues = [], []

    def start(route, name):
        queues.append(route.queue)
        worker = start_worker([route.queue], name, tmp_path)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    delete_queues(queues)


def _submit(user, project, prompt="studio shot of a red shoe"):
    params = GenerationParams(route="draft", width=256, height=256, prompt=prompt, seed=7)
    return generation_request(actor=user, project=project, params=params)


def test_a_job_allowed_on_request_is_refused_in_the_worker_after_a_policy_change(
    member, project, draft_route, worker_for, edit_usage
):
    job = _submit(member, project)  # allowed and queued; no worker is running yet
    edit_usage(project, max_width=128, max_height=128)  # compliance tightens the policy

    worker_for(draft_route, "gpu-gate")
    job = wait_for_job(job.pk)

    assert job.status == JobStatus.REFUSED, job.failure_reason
    assert "up to 128x128" in job.failure_reason
    assert job.first_image_at is None and not Asset.objects.filter(job=job).exists()
    stages = dict(Decision.objects.filter(job=job).values_list("stage", "outcome"))
    assert stages == {"request": "allowed", "worker": "refused"}
    worker_decision = Decision.objects.get(job=job, stage="worker")
    assert worker_decision.policy_versions[f"usage:{project.slug}"] >= 1


def test_an_output_the_image_filter_stops_is_quarantined_not_delivered(
    member, project, draft_route, worker_for
):
    flt = gate.filter_settings()
    flt.image_classifier = "tests.policies.classifiers.FlagsEverything"
    policy_save(actor=None, instance=flt)
    job = _submit(member, project)

    worker_for(draft_route, "gpu-filter")
    job = wait_for_job(job.pk)

    assert job.status == JobStatus.REFUSED
    assert "withheld by the image filter" in job.failure_reason
    assert not Asset.objects.filter(job=job).exists()
    held = QuarantinedOutput.objects.get(job=job)
    assert held.file.read().startswith(b"\x89PNG")
    assert Decision.objects.get(job=job, stage="image").outcome == "refused"


def test_the_real_image_filter_passes_an_ordinary_output(member, project, draft_route, worker_for):
    job = _submit(member, project)
    worker_for(draft_route, "gpu-pass")
    job = wait_for_job(job.pk)
    assert job.status == JobStatus.SUCCEEDED, job.failure_reason
    image_decision = Decision.objects.get(job=job, stage="image")
    assert image_decision.outcome == "allowed"
    assert image_decision.filter_scores["image_classifier"].startswith("nudenet")
