"""Apply data-handling policy now (Celery beat also runs it hourly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.policies.retention import retention_apply


class Command(BaseCommand):
    help = "Redact expired prompt text and purge expired quarantined and rejected images."

    def handle(self, *args: Any, **options: Any) -> None:
        report = retention_apply()
        self.stdout.write(
            f"Prompts redacted: {report.prompts_redacted}; quarantined outputs purged: "
            f"{report.quarantine_purged}; rejected images purged: {report.rejected_purged}; "
            f"projects under legal hold skipped: {', '.join(report.legal_holds) or 'none'}."
        )
