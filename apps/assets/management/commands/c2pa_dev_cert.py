"""Create a development C2PA signing PKI (root CA + claim-signing leaf)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.assets.provenance import certs


class Command(BaseCommand):
    help = (
        "Write a development root CA (ca.pem), an ES256 claim-signing leaf chain "
        "(signing-chain.pem) and its key (signing-key.pem, mode 0600) to DIR, and print "
        "the settings that use them. Files signed with it are trusted only where ca.pem "
        "is configured as a trust anchor: never use it for delivered assets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--organisation", default="Imprimatur development")
        parser.add_argument("--force", action="store_true", help="replace existing files")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pki = certs.write_dev_pki(
                options["directory"], options["organisation"], force=options["force"]
            )
        except FileExistsError as exc:
            raise CommandError(f"refusing to overwrite {exc} (use --force)") from exc
        problems = certs.check_signing_certificate(pki.cert_chain.read_bytes())
        if problems:  # would be a bug here, but the command is the place to notice
            raise CommandError("; ".join(problems))
        self.stdout.write(self.style.SUCCESS(f"Development C2PA PKI written to {pki.key.parent}"))
        for name, value in pki.settings().items():
            self.stdout.write(f"{name}={value}")
        self.stdout.write(
            "# The root CA's key was not kept: run again (with --force) for a new leaf. "
            f"The leaf expires in {certs.LEAF_VALIDITY.days} days, and without a time-stamp "
            "authority every file it signed stops validating on that day."
        )
