"""The compare-and-set rules that make a job run exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.generation.models import GenerationJob, JobStatus
from apps.generation.services import (
    Claim,
    GenerationParams,
    generation_claim,
    generation_fail,
    generation_progress,
    generation_request,
    generation_sweep_stuck,
)
from tests.generation.images import complete, tiny_png


@pytest.fixture
def job(member, project, draft_route):
    return generation_request(
        actor=member,
        project=project,
        params=GenerationParams(route="draft", width=256, height=256, prompt="a shoe"),
    )


def test_first_claim_wins_and_a_duplicate_is_told_busy(job):
    first = generation_claim(job_id=job.pk, worker="a")
    second = generation_claim(job_id=job.pk, worker="b")
    assert (first.outcome, first.attempt) == (Claim.CLAIMED, 1)
    assert second.outcome is Claim.BUSY


def test_a_stale_running_job_is_taken_over_by_the_next_worker(job, settings):
    generation_claim(job_id=job.pk, worker="a")
    GenerationJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.GENERATION_STALE_AFTER_SECONDS + 1)
    )
    takeover = generation_claim(job_id=job.pk, worker="b")
    job.refresh_from_db()
    assert takeover.outcome is Claim.CLAIMED
    assert (job.attempts, job.worker) == (2, "b")


def test_a_job_that_keeps_killing_its_worker_is_failed_instead_of_retried(job, settings):
    for attempt in range(settings.GENERATION_MAX_ATTEMPTS):
        assert generation_claim(job_id=job.pk, worker=f"w{attempt}").outcome is Claim.CLAIMED
        GenerationJob.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - timedelta(hours=1)
        )
    assert generation_claim(job_id=job.pk, worker="last").outcome is Claim.GONE
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert f"stopped {settings.GENERATION_MAX_ATTEMPTS} times" in job.failure_reason


def test_the_old_attempt_can_neither_report_nor_complete_after_a_takeover(job, settings):
    generation_claim(job_id=job.pk, worker="a")
    GenerationJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    generation_claim(job_id=job.pk, worker="b")
    assert not generation_progress(job_id=job.pk, attempt=1, stage="denoising", step=3)
    assert complete(job_id=job.pk, attempt=1, png=tiny_png(), first_image_at=timezone.now()) is None
    assert not hasattr(GenerationJob.objects.get(pk=job.pk), "asset")


def test_finished_jobs_are_never_claimed_again(job):
    claim = generation_claim(job_id=job.pk, worker="a")
    complete(job_id=job.pk, attempt=claim.attempt, png=tiny_png(), first_image_at=timezone.now())
    assert generation_claim(job_id=job.pk, worker="b").outcome is Claim.GONE


def test_completion_stores_the_png_with_its_hash(job):
    claim = generation_claim(job_id=job.pk, worker="a")
    png = tiny_png()
    asset = complete(job_id=job.pk, attempt=claim.attempt, png=png, first_image_at=timezone.now())
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.progress_percent == 100
    assert asset.file.read() == png
    assert (asset.width, asset.height, asset.format, asset.size_bytes) == (8, 8, "PNG", len(png))


def test_sweeper_fails_silent_running_and_never_taken_jobs_with_a_reason(job, settings):
    generation_claim(job_id=job.pk, worker="a")
    later = timezone.now() + timedelta(seconds=settings.GENERATION_ABANDON_AFTER_SECONDS + 1)
    assert generation_sweep_stuck(now=later) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "stopped responding" in job.failure_reason


def test_sweeper_fails_queued_jobs_no_worker_took(job, settings):
    later = timezone.now() + timedelta(seconds=settings.GENERATION_QUEUE_TIMEOUT_SECONDS + 1)
    generation_sweep_stuck(now=later)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "No GPU worker picked the job up" in job.failure_reason


def test_sweeper_leaves_healthy_jobs_alone(job):
    generation_claim(job_id=job.pk, worker="a")
    assert generation_sweep_stuck() == 0


def test_fail_keeps_the_reason_and_is_final(job):
    assert generation_fail(job_id=job.pk, attempt=None, reason="broker down")
    job.refresh_from_db()
    assert (job.status, job.failure_reason) == (JobStatus.FAILED, "broker down")
    assert not generation_fail(job_id=job.pk, attempt=None, reason="again")
