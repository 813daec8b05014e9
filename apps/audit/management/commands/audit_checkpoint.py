from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.audit.checkpoints import checkpoint_write


class Command(BaseCommand):
    help = "Sign the audit chain's head and write it to AUDIT_CHECKPOINT_DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Write one even if nothing was appended since the newest checkpoint.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = checkpoint_write(actor=None, force=options["force"])
        if checkpoint is None:
            self.stdout.write("Nothing new since the newest checkpoint; none written.")
            return
        self.stdout.write(
            f"Checkpoint at sequence {checkpoint.sequence} ({checkpoint.hash[:16]}...) "
            f"written to {checkpoint.path}"
        )
