"""Fingerprints of a diffusers directory, for pinning and for sharing components."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.db import transaction

from .models import ModelWeights

_CHUNK = 8 * 1024 * 1024


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(directory: Path) -> tuple[str, dict[str, str]]:
    """Hash every file under `directory`: one hash for the whole, one per component folder.

    Reading tens of gigabytes takes minutes, so this runs once when weights
    are registered, never when a worker starts.
    """
    if not (directory / "model_index.json").is_file():
        raise FileNotFoundError(f"{directory} has no model_index.json: not a diffusers directory.")
    per_file = {
        str(p.relative_to(directory)): _file_sha256(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
    components: dict[str, dict[str, str]] = {}
    for rel, digest in per_file.items():
        top = rel.split("/", 1)[0] if "/" in rel else "_root"
        components.setdefault(top, {})[rel] = digest

    def digest_of(entries: dict[str, str]) -> str:
        return hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()

    return digest_of(per_file), {name: digest_of(files) for name, files in components.items()}


@transaction.atomic
def weights_register(
    *, name: str, path: Path, revision: str = "", family: str = "krea2"
) -> ModelWeights:
    """Create or refresh a weights record from what is on disk now."""
    content_hash, components = fingerprint(path)
    weights, _ = ModelWeights.objects.update_or_create(
        name=name,
        defaults={
            "path": str(path),
            "revision": revision,
            "family": family,
            "content_hash": content_hash,
            "component_hashes": components,
        },
    )
    return weights
