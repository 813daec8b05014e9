"""Data handling: redact old prompt text and purge expired images, per project policy.

Run hourly by Celery beat (`tasks.apply_retention`) and by
`manage.py apply_retention`. A project under legal hold is skipped entirely.
Each run leaves one audit event with what it did per project.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.approvals.models import Verdict as ReviewVerdict
from apps.assets.models import Asset, AssetState
from apps.audit.services import audit_record
from apps.generation.models import GenerationJob
from apps.projects.models import Project

from .gate import usage_policy_for
from .models import QuarantinedOutput, QuarantineStatus, UsagePolicy
from .quarantine import quarantine_purge

logger = logging.getLogger(__name__)


@dataclass
class RetentionReport:
    prompts_redacted: int = 0
    quarantine_purged: int = 0
    rejected_purged: int = 0
    legal_holds: list[str] = field(default_factory=list)
    per_project: dict[str, dict[str, int]] = field(default_factory=dict)


def _redact_prompts(project: Project, policy: UsagePolicy, now: datetime) -> int:
    if policy.prompt_retention_days is None:
        return 0
    cutoff = now - timedelta(days=policy.prompt_retention_days)
    jobs = GenerationJob.objects.filter(
        project=project, created_at__lt=cutoff, prompt_redacted_at__isnull=True
    ).select_for_update()
    count = 0
    for job in jobs:
        # Jobs from before digests were stored get theirs now, while the text still exists.
        digest = job.prompt_sha256 or hashlib.sha256(job.prompt.encode()).hexdigest()
        GenerationJob.objects.filter(pk=job.pk).update(
            prompt="",
            negative_prompt="",
            variables={},
            prompt_sha256=digest,
            prompt_redacted_at=now,
        )
        count += 1
    return count


def _purge_quarantine(project: Project, policy: UsagePolicy, now: datetime) -> int:
    cutoff = now - timedelta(days=policy.quarantine_retention_days)
    expired = QuarantinedOutput.objects.filter(
        project=project, status=QuarantineStatus.HELD, created_at__lt=cutoff
    )
    count = 0
    for held in expired:
        quarantine_purge(actor=None, held=held, justification="Retention period ended.")
        count += 1
    return count


def _purge_rejected(project: Project, policy: UsagePolicy, now: datetime) -> int:
    if policy.rejected_retention_days is None:
        return 0
    cutoff = now - timedelta(days=policy.rejected_retention_days)
    expired = Asset.objects.filter(
        project=project,
        state=AssetState.REJECTED,
        purged_at__isnull=True,
        decisions__verdict=ReviewVerdict.REJECT,
        decisions__created_at__lt=cutoff,
    ).distinct()
    count = 0
    for asset in expired:
        asset.file.delete(save=False)
        Asset.objects.filter(pk=asset.pk).update(file="", purged_at=now)
        count += 1
    return count


def retention_apply(*, now: datetime | None = None) -> RetentionReport:
    """Apply every project's data-handling policy once."""
    now = now or timezone.now()
    report = RetentionReport()
    for project in Project.objects.order_by("pk"):
        with transaction.atomic():
            policy = usage_policy_for(project)
            if policy.legal_hold:
                report.legal_holds.append(project.slug)
                continue
            done = {
                "prompts_redacted": _redact_prompts(project, policy, now),
                "quarantine_purged": _purge_quarantine(project, policy, now),
                "rejected_purged": _purge_rejected(project, policy, now),
            }
        if any(done.values()):
            report.per_project[project.slug] = done
        report.prompts_redacted += done["prompts_redacted"]
        report.quarantine_purged += done["quarantine_purged"]
        report.rejected_purged += done["rejected_purged"]
    audit_record(
        actor=None,
        actor_username="system",
        action="retention.run",
        target_label="data-handling policy",
        payload={
            "prompts_redacted": report.prompts_redacted,
            "quarantine_purged": report.quarantine_purged,
            "rejected_purged": report.rejected_purged,
            "skipped_legal_hold": report.legal_holds,
            "per_project": report.per_project,
        },
    )
    logger.info("Retention: %s", report)
    return report
