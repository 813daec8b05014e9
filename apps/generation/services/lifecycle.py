"""The life of a job after it is queued: claim, progress, completion, refusal, failure, sweeping.

Every state change is a compare-and-set on (status, attempts) so a worker
that lost its job (killed, timed out, swept) can never overwrite the work of
the worker that took over.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.assets.models import Asset
from apps.assets.services import asset_create_from_png
from apps.audit.services import audit_record

from ..models import FINAL_STATES, GenerationJob, JobStage, JobStatus

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.policies.gate import Verdict
    from apps.policies.models import QuarantinedOutput

logger = logging.getLogger(__name__)

JobId = UUID | str
SYSTEM_ACTOR = "system"


class Claim(enum.Enum):
    CLAIMED = "claimed"
    BUSY = "busy"  # another worker holds it and is alive
    GONE = "gone"  # finished, failed or deleted: nothing to do


@dataclass(frozen=True)
class ClaimResult:
    outcome: Claim
    attempt: int = 0


def generation_claim(*, job_id: JobId, worker: str) -> ClaimResult:
    """Take a job: QUEUED, or RUNNING under a worker whose heartbeat went stale.

    The stale case is how a job survives its worker being killed: the broker
    redelivers the message, and the new worker takes over only once the old
    heartbeat has stopped.
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.GENERATION_STALE_AFTER_SECONDS)
    with transaction.atomic():
        job = (
            GenerationJob.objects.select_for_update(of=("self",))
            .select_related("project")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.is_final:
            return ClaimResult(Claim.GONE)
        if job.status == JobStatus.RUNNING and job.heartbeat_at and job.heartbeat_at > stale_before:
            return ClaimResult(Claim.BUSY)
        if job.attempts >= settings.GENERATION_MAX_ATTEMPTS:
            # A job that keeps killing its worker must not take the fleet down with it.
            generation_fail(
                job_id=job_id,
                attempt=None,
                reason=f"The GPU worker stopped {job.attempts} times while running this job; "
                "it was not tried again. Try a smaller size or fewer steps, or ask an "
                "administrator to check the workers.",
            )
            return ClaimResult(Claim.GONE)
        attempt = job.attempts + 1
        audit_record(
            actor=None,
            actor_username=SYSTEM_ACTOR,
            action="generation.start",
            target=job,
            project=job.project,
            payload={"worker": worker, "attempt": attempt, "took_over": job.attempts > 0},
        )
        GenerationJob.objects.filter(pk=job_id).update(
            status=JobStatus.RUNNING,
            stage=JobStage.ENCODING,
            progress_step=0,
            attempts=attempt,
            worker=worker,
            started_at=now,
            heartbeat_at=now,
        )
    return ClaimResult(Claim.CLAIMED, attempt)


def _running(job_id: JobId, attempt: int) -> QuerySet[GenerationJob]:
    return GenerationJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, attempts=attempt)


def generation_record_runtime(*, job_id: JobId, attempt: int, runtime: dict[str, object]) -> bool:
    """Record which model, versions and device are about to run the job."""
    return bool(_running(job_id, attempt).update(**runtime, heartbeat_at=timezone.now()))


def generation_progress(
    *, job_id: JobId, attempt: int, stage: str, step: int | None = None
) -> bool:
    """Report progress; False means this worker no longer owns the job and should stop."""
    fields: dict[str, object] = {"stage": stage, "heartbeat_at": timezone.now()}
    if step is not None:
        fields["progress_step"] = step
    return bool(_running(job_id, attempt).update(**fields))


def generation_heartbeat(*, job_id: JobId, attempt: int) -> bool:
    return bool(_running(job_id, attempt).update(heartbeat_at=timezone.now()))


def _emit(job: GenerationJob, event: str, data: dict[str, object]) -> None:
    """Tell the project's webhooks, inside this transaction (sent after commit)."""
    from apps.webhooks.services import webhook_emit

    webhook_emit(project=job.project, event=event, payload={"job": str(job.pk), **data})


def _owned(job_id: JobId, attempt: int) -> GenerationJob | None:
    """Lock the job if this attempt still owns it."""
    return (
        GenerationJob.objects.select_for_update(of=("self",))
        .select_related("project", "route")
        .filter(pk=job_id, status=JobStatus.RUNNING, attempts=attempt)
        .first()
    )


@transaction.atomic
def generation_complete(
    *,
    job_id: JobId,
    attempt: int,
    png: bytes,
    first_image_at: datetime,
    image_verdict: Verdict,
    timings: dict[str, float] | None = None,
) -> Asset | None:
    """Store an image the image filter allowed and finish the job, exactly once
    across redeliveries.

    Returns None (and stores nothing) when another attempt owns the job now.
    """
    from apps.policies.models import Stage
    from apps.policies.services import decision_record

    job = _owned(job_id, attempt)
    if job is None:
        return None
    decision_record(
        actor=None,
        stage=Stage.IMAGE,
        verdict=image_verdict,
        project=job.project,
        route=job.route,
        job=job,
    )
    asset = asset_create_from_png(job=job, png=png)
    audit_record(
        actor=None,
        actor_username=SYSTEM_ACTOR,
        action="generation.complete",
        target=job,
        project=job.project,
        payload={"attempt": attempt, "asset": str(asset.pk), "sha256": asset.sha256},
    )
    _emit(job, "job.completed", {"asset": str(asset.pk), "sha256": asset.sha256})
    now = timezone.now()
    GenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        stage=JobStage.DONE,
        progress_step=job.steps,
        first_image_at=first_image_at,
        finished_at=now,
        heartbeat_at=now,
        timings=timings or {},
    )
    return asset


def _finish_refused(job: GenerationJob, reason: str) -> None:
    GenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.REFUSED,
        stage=JobStage.DONE,
        failure_reason=reason[:2000],
        finished_at=timezone.now(),
    )


@transaction.atomic
def generation_refuse(*, job_id: JobId, attempt: int, verdict: Verdict) -> bool:
    """The worker's gate refused a claimed job (policy changed since the request).

    The job ends REFUSED with the rules' messages as its reason; nothing ran.
    """
    from apps.policies.models import Stage
    from apps.policies.services import decision_record

    job = _owned(job_id, attempt)
    if job is None:
        return False
    decision = decision_record(
        actor=None,
        stage=Stage.WORKER,
        verdict=verdict,
        project=job.project,
        route=job.route,
        job=job,
    )
    reason = "Refused by policy before generating: " + " ".join(r.message for r in verdict.rules)
    _finish_refused(job, reason)
    _emit(job, "job.refused", {"stage": "worker", "rules": [r.code for r in verdict.rules]})
    audit_record(
        actor=None,
        actor_username=SYSTEM_ACTOR,
        action="generation.refuse",
        target=job,
        project=job.project,
        payload={"reason": "policy", "stage": "worker", "decision": str(decision.pk)},
    )
    return True


@transaction.atomic
def generation_quarantine(
    *,
    job_id: JobId,
    attempt: int,
    png: bytes,
    first_image_at: datetime,
    verdict: Verdict,
    timings: dict[str, float] | None = None,
) -> QuarantinedOutput | None:
    """Hold an output the image filter stopped (or could not check) apart from assets.

    The creator learns that the output was withheld and in which category;
    only compliance officers can see the image.
    """
    from apps.policies.models import Stage
    from apps.policies.quarantine import quarantine_hold
    from apps.policies.services import decision_record

    job = _owned(job_id, attempt)
    if job is None:
        return None
    decision = decision_record(
        actor=None,
        stage=Stage.IMAGE,
        verdict=verdict,
        project=job.project,
        route=job.route,
        job=job,
    )
    held = quarantine_hold(job=job, png=png, decision=decision, verdict=verdict)
    _emit(job, "job.refused", {"stage": "image", "rules": [r.code for r in verdict.rules]})
    GenerationJob.objects.filter(pk=job.pk).update(
        first_image_at=first_image_at, timings=timings or {}
    )
    _finish_refused(
        job,
        "The output was withheld by the image filter and sent to compliance for review: "
        + " ".join(r.message for r in verdict.rules),
    )
    return held


def generation_cancel(*, actor: User, job_id: JobId) -> bool:
    """Cancel a job that has not finished: its creator or a project manager may.

    A queued job is never run; a running one stops at its next progress
    report (the worker sees it no longer owns the job) and stores nothing.
    Returns False when the job had already finished.
    """
    from apps.core.exceptions import PermissionDenied
    from apps.projects.models import Perm

    with transaction.atomic():
        job = (
            GenerationJob.objects.select_for_update(of=("self",))
            .select_related("project")
            .get(pk=job_id)
        )
        if job.created_by_id != actor.pk and not actor.has_perm(Perm.MANAGE, job.project):
            raise PermissionDenied("Only the job's creator or a project manager can cancel it.")
        if job.is_final:
            return False
        GenerationJob.objects.filter(pk=job.pk).update(
            status=JobStatus.CANCELLED, stage=JobStage.DONE, finished_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="generation.cancel",
            target=job,
            project=job.project,
            payload={"status_before": job.status, "attempts": job.attempts},
        )
    return True


def generation_fail(*, job_id: JobId, attempt: int | None, reason: str) -> bool:
    """Fail a job with a reason the user can read.

    `attempt=None` fails it from any non-final state (publishing, sweeping).
    """
    with transaction.atomic():
        qs = GenerationJob.objects.filter(pk=job_id).exclude(status__in=FINAL_STATES)
        if attempt is not None:
            qs = qs.filter(status=JobStatus.RUNNING, attempts=attempt)
        job = qs.select_for_update(of=("self",)).select_related("project").first()
        if job is None:
            return False
        reason = reason[:2000]
        GenerationJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, failure_reason=reason, finished_at=timezone.now()
        )
        _emit(job, "job.failed", {"reason": reason})
        audit_record(
            actor=None,
            actor_username=SYSTEM_ACTOR,
            action="generation.fail",
            target=job,
            project=job.project,
            payload={"attempt": job.attempts, "reason": reason},
        )
    return True


_SILENT_REASON = (
    "The GPU worker stopped responding and no other worker took the job over. "
    "Generate again; if it keeps happening, ask an administrator to check the workers."
)
_UNTAKEN_REASON = "No GPU worker picked the job up in time: the workers for this route may be down."


def generation_sweep_stuck(*, now: datetime | None = None) -> int:
    """Fail jobs nobody is working on: silent RUNNING ones and QUEUED ones never taken."""
    now = now or timezone.now()
    silent_before = now - timedelta(seconds=settings.GENERATION_ABANDON_AFTER_SECONDS)
    queued_before = now - timedelta(seconds=settings.GENERATION_QUEUE_TIMEOUT_SECONDS)
    silent = GenerationJob.objects.filter(
        status=JobStatus.RUNNING, heartbeat_at__lt=silent_before
    ).values_list("pk", flat=True)
    never_taken = GenerationJob.objects.filter(
        status=JobStatus.QUEUED, created_at__lt=queued_before
    ).values_list("pk", flat=True)
    stuck = [(pk, _SILENT_REASON) for pk in silent] + [(pk, _UNTAKEN_REASON) for pk in never_taken]
    # One at a time, each with its audit event; a job that moved meanwhile is skipped.
    failed = sum(generation_fail(job_id=pk, attempt=None, reason=why) for pk, why in stuck)
    if failed:
        logger.warning("Swept %d stuck generation job(s)", failed)
    return failed
