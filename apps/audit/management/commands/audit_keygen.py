from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a fresh Ed25519 key for AUDIT_SIGNING_KEY and its public key."

    def handle(self, *args: Any, **options: Any) -> None:
        key = Ed25519PrivateKey.generate()
        private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.stdout.write(f"AUDIT_SIGNING_KEY={base64.b64encode(private).decode()}")
        self.stdout.write(f"# public key: {base64.b64encode(public).decode()}")
        self.stdout.write(
            "# Keep the private key out of the database and its backups; keep the public "
            "key with the checkpoints (add it to AUDIT_TRUSTED_PUBLIC_KEYS when rotating)."
        )
