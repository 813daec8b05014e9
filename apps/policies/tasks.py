"""Periodic policy work; thin wrappers over services."""

from __future__ import annotations

from celery import shared_task

from .retention import retention_apply


@shared_task(name="apps.policies.tasks.apply_retention")
def apply_retention() -> dict[str, int]:
    report = retention_apply()
    return {
        "prompts_redacted": report.prompts_redacted,
        "quarantine_purged": report.quarantine_purged,
        "rejected_purged": report.rejected_purged,
    }
