from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.audit.verify import verify_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit hash chain and check it against the signed checkpoints. "
        "Exits 1 naming the first bad sequence number if anything was tampered with. "
        "Read-only: it writes no audit event, so it can run against a replica."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if not result.ok:
            raise CommandError(result.summary(), returncode=1)
        self.stdout.write(self.style.SUCCESS(result.summary()))
        if result.checkpoints == 0:
            self.stdout.write(
                self.style.WARNING(
                    "No checkpoints found: events removed from the end could not be noticed."
                )
            )
