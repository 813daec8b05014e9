"""The generation spine on the real stack: PostgreSQL, RabbitMQ and real worker processes."""

from __future__ import annotations

import hashlib

import diffusers
import pytest
import torch

from apps.assets.models import Asset
from apps.generation.models import JobStatus
from apps.generation.services import GenerationParams, generation_request
from apps.generation.weights import weights_register
from tests.factories import license_weights
from tests.workers import delete_queues, start_worker, wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workers(tmp_path):
    started, queues = [], []

    def start(routes, name, env=None):
        names = sorted({r.queue for r in routes})
        queues.extend(names)
        worker = start_worker(names, name, tmp_path, env=env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    delete_queues(queues)


def _submit(user, project, route="draft", **kwargs):
    params = {"route": route, "width": 256, "height": 256, "prompt": "a red shoe"} | kwargs
    return generation_request(actor=user, project=project, params=GenerationParams(**params))


def test_jobs_run_on_one_prewarmed_pipeline_and_record_how_they_were_made(
    member, project, draft_route, final_route, workers
):
    worker = workers([draft_route, final_route], "gpu-a")
    first = _submit(member, project, seed=1234)
    again = _submit(member, project, seed=1234)
    other = _submit(member, project, seed=99)
    final = _submit(member, project, route="final", seed=1234, negative_prompt="blurry")

    jobs = [wait_for_job(j.pk) for j in (first, again, other, final)]

    assert [j.status for j in jobs] == [JobStatus.SUCCEEDED] * 4, [j.failure_reason for j in jobs]
    job = jobs[0]
    assert (job.prompt, job.seed, job.steps, job.guidance) == ("a red shoe", 1234, 8, 0.0)
    assert (job.width, job.height) == (256, 256)
    assert job.model_name == "krea2-turbo-tiny"
    assert job.weights_revision == "tiny"
    assert job.weights_hash == draft_route.weights.content_hash
    assert job.torch_version == torch.__version__
    assert job.diffusers_version == diffusers.__version__
    assert job.device == "cpu" and job.dtype == "float32"
    assert job.worker.startswith("gpu-a@")
    assert job.attempts == 1
    assert job.created_at <= job.published_at <= job.started_at
    assert job.started_at <= job.first_image_at <= job.finished_at
    # Where the run's time went, per stage, as metrics and the benchmark read it.
    assert set(job.timings) == {
        "gate",
        "setup",
        "encode",
        "denoise",
        "decode",
        "image_filter",
        "png",
    }
    assert all(seconds > 0 for seconds in job.timings.values())
    run = (job.first_image_at - job.started_at).total_seconds()
    assert job.timings["encode"] + job.timings["denoise"] + job.timings["decode"] < run
    assert jobs[3].model_name == "krea2-raw-tiny"
    assert (jobs[3].steps, jobs[3].guidance, jobs[3].negative_prompt) == (28, 4.5, "blurry")

    assets = [Asset.objects.get(job=j) for j in jobs]
    png = assets[0].file.read()
    assert png.startswith(b"\x89PNG") and hashlib.sha256(png).hexdigest() == assets[0].sha256
    assert (assets[0].width, assets[0].height) == (256, 256)
    # Same seed, parameters and weights give the same bytes; another seed does not.
    assert assets[0].sha256 == assets[1].sha256
    assert assets[2].sha256 != assets[0].sha256

    # Each weights loaded once at start-up, not per job; Raw shared Turbo's encoder and VAE.
    assert len({j.pipeline_loaded_at for j in jobs[:3]}) == 1
    assert worker.log.count("Loaded pipeline for weights krea2-turbo-tiny") == 1
    assert worker.log.count("Loaded pipeline for weights krea2-raw-tiny") == 1
    assert "sharing text_encoder, tokenizer, vae with krea2-turbo-tiny" in worker.log
    assert worker.log.index("Warmed up krea2-turbo-tiny") < worker.log.index(" ready.")


def test_a_job_survives_its_worker_being_killed_and_finishes_exactly_once(
    member, project, slow_route, workers
):
    draft_route = slow_route
    doomed = workers([draft_route], "gpu-doomed")
    job = _submit(member, project, steps=60, width=1024, height=1024, seed=7)

    wait_for_job(job.pk, until=lambda j: j.status == JobStatus.RUNNING and j.progress_step >= 2)
    doomed.kill()

    workers([draft_route], "gpu-rescue")
    done = wait_for_job(job.pk, timeout=120)

    assert done.status == JobStatus.SUCCEEDED, done.failure_reason
    assert done.attempts == 2
    assert done.worker.startswith("gpu-rescue@")
    assert Asset.objects.filter(job__project=project).count() == 1


def test_a_missing_model_directory_fails_the_job_with_a_clear_reason(
    member, project, draft_route, tmp_path, workers, krea_license
):
    missing = tmp_path / "gone"
    (tmp_path / "gone").mkdir()
    weights = weights_register(
        name="vanished", path=draft_route.weights.path and _copy_model(draft_route, missing)
    )
    license_weights(weights, krea_license)
    draft_route.weights = weights
    draft_route.save()
    _remove(missing)
    worker = workers([draft_route], "gpu-nomodel")

    job = wait_for_job(_submit(member, project).pk, timeout=60)

    assert job.status == JobStatus.FAILED
    assert f"Model directory {missing}" in job.failure_reason
    assert "does not exist" in job.failure_reason
    assert "Cannot serve weights vanished" in worker.log


@pytest.fixture
def slow_route(draft_route):
    """About 4 s of denoising with the tiny model on this CPU (usage policy raised to allow it)."""
    from apps.policies import gate
    from apps.policies.services import policy_save

    draft_route.steps = draft_route.max_steps = 60
    draft_route.save()
    policy = gate.usage_policy_for(None)
    policy.max_steps = 60
    policy_save(actor=None, instance=policy)
    return draft_route


def test_a_job_over_the_soft_time_limit_is_stopped_with_a_reason(
    member, project, slow_route, workers
):
    workers([slow_route], "gpu-soft", env={"GENERATION_SOFT_TIME_LIMIT": "1"})

    job = wait_for_job(_submit(member, project, width=1024, height=1024).pk)

    assert job.status == JobStatus.FAILED
    assert job.failure_reason == "Generation took longer than 1 seconds and was stopped."
    assert not Asset.objects.exists()


def test_a_job_over_the_hard_time_limit_ends_the_worker_and_is_failed_not_retried(
    member, project, slow_route, workers
):
    worker = workers(
        [slow_route],
        "gpu-hard",
        env={"GENERATION_SOFT_TIME_LIMIT": "600", "GENERATION_HARD_TIME_LIMIT": "1"},
    )

    job = wait_for_job(_submit(member, project, width=1024, height=1024).pk)
    worker.proc.wait(timeout=30)

    assert job.status == JobStatus.FAILED
    assert "hard limit of 1 seconds" in job.failure_reason
    assert worker.proc.returncode == 70
    assert not Asset.objects.exists()


def _copy_model(route, target):
    import shutil

    shutil.rmtree(target)
    shutil.copytree(route.weights.path, target)
    return target


def _remove(path):
    import shutil

    shutil.rmtree(path)
