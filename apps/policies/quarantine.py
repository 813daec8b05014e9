"""Quarantine: hold, release and purge outputs the image filter stopped.

Held outputs are not Assets, so no path that serves assets can reach them.
Only compliance officers (the `resolve_quarantine` permission) may release
one, with a written justification, or purge it.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.assets.models import Asset
from apps.assets.services import asset_create_from_png
from apps.audit.services import audit_record
from apps.core.exceptions import ApplicationError, PermissionDenied
from apps.generation.models import GenerationJob, JobStage, JobStatus

from .gate import Verdict
from .models import Decision, QuarantinedOutput, QuarantineStatus

RESOLVE_PERM = "policies.resolve_quarantine"
SYSTEM_ACTOR = "system"


def quarantine_hold(
    *, job: GenerationJob, png: bytes, decision: Decision, verdict: Verdict
) -> QuarantinedOutput:
    """Store the output apart; runs in the caller's (the job's) transaction."""
    held = QuarantinedOutput(
        project=job.project,
        job=job,
        decision=decision,
        sha256=hashlib.sha256(png).hexdigest(),
        size_bytes=len(png),
        reason=" ".join(rule.message for rule in verdict.rules),
        categories=sorted({rule.category or rule.code for rule in verdict.rules}),
    )
    held.file.save(f"{held.pk}.png", ContentFile(png), save=False)
    held.save()
    audit_record(
        actor=None,
        actor_username=SYSTEM_ACTOR,
        action="quarantine.hold",
        target=held,
        project=job.project,
        payload={
            "job": str(job.pk),
            "sha256": held.sha256,
            "categories": held.categories,
            "decision": str(decision.pk),
        },
    )
    return held


def _lock_held(held: QuarantinedOutput) -> QuarantinedOutput:
    locked = (
        QuarantinedOutput.objects.select_for_update(of=("self",))
        .select_related("job", "project")
        .get(pk=held.pk)
    )
    if locked.status != QuarantineStatus.HELD:
        raise ApplicationError(f"This output was already {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def quarantine_release(*, actor: User, held: QuarantinedOutput, justification: str) -> Asset:
    """Release a false positive into the project as an ordinary, unapproved asset.

    It still needs a reviewer's approval before it can be delivered.
    """
    if not actor.has_perm(RESOLVE_PERM):
        raise PermissionDenied("Only compliance officers can release quarantined outputs.")
    justification = justification.strip()
    if len(justification) < 10:
        raise ValidationError(
            {"justification": "Write why this output may be released (at least 10 characters)."}
        )
    held = _lock_held(held)
    with held.file.open("rb") as fh:
        png = fh.read()
    if hashlib.sha256(png).hexdigest() != held.sha256:
        raise ApplicationError("The held file no longer matches its recorded hash.")
    asset = asset_create_from_png(job=held.job, png=png)
    GenerationJob.objects.filter(pk=held.job_id).update(
        status=JobStatus.SUCCEEDED, stage=JobStage.DONE, failure_reason=""
    )
    _resolve(held, actor, QuarantineStatus.RELEASED, justification)
    held.file.delete(save=False)
    QuarantinedOutput.objects.filter(pk=held.pk).update(file="")
    audit_record(
        actor=actor,
        action="quarantine.release",
        target=held,
        project=held.project,
        payload={"asset": str(asset.pk), "sha256": held.sha256, "justification": justification},
    )
    return asset


@transaction.atomic
def quarantine_purge(
    *, actor: User | None, held: QuarantinedOutput, justification: str = ""
) -> QuarantinedOutput:
    """Delete the held file for good; the row stays as the record that it existed.

    `actor=None` is the retention job acting on data-handling policy.
    """
    if actor is not None and not actor.has_perm(RESOLVE_PERM):
        raise PermissionDenied("Only compliance officers can purge quarantined outputs.")
    held = _lock_held(held)
    held.file.delete(save=False)
    _resolve(held, actor, QuarantineStatus.PURGED, justification.strip())
    QuarantinedOutput.objects.filter(pk=held.pk).update(file="")
    audit_record(
        actor=actor,
        actor_username=None if actor else SYSTEM_ACTOR,
        action="quarantine.purge",
        target=held,
        project=held.project,
        payload={"sha256": held.sha256, "justification": justification.strip()},
    )
    return held


def _resolve(held: QuarantinedOutput, actor: User | None, status: str, justification: str) -> None:
    QuarantinedOutput.objects.filter(pk=held.pk).update(
        status=status,
        justification=justification,
        resolved_by=actor,
        resolved_at=timezone.now(),
    )
