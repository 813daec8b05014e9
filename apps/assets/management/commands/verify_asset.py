"""Check a delivered file's C2PA manifest and invisible watermark."""

from __future__ import annotations

import io
import mimetypes
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from PIL import Image, UnidentifiedImageError

from apps.assets.provenance import c2pa, watermark

_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "AVIF": "image/avif"}


class Command(BaseCommand):
    help = (
        "Validate FILE's C2PA manifest against C2PA_TRUST_ANCHORS and look for the "
        "invisible watermark. Exits 1 when the manifest is missing, invalid or untrusted; "
        "the watermark is reported but does not change the exit code, because it "
        "survives the re-encodes that strip manifests and so is expected on copies."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        image, mime = _open(data, path)
        try:
            anchors = c2pa.trust_anchors_from_settings()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        report = c2pa.read(data, mime, trust_anchors_pem=anchors)
        out = self.stdout.write
        out(f"File: {path} ({mime})")
        if not anchors:
            out(self.style.WARNING("No C2PA_TRUST_ANCHORS configured: no signer can be trusted."))
        self._manifest(report)
        mark = watermark.detect(image) if image is not None else None
        if mark is None:
            out("Watermark: not checked (not a readable image)")
        elif mark.found:
            out(
                f"Watermark: present, asset id prefix {mark.asset_id_prefix} "
                f"(confidence {mark.confidence:.2f})"
            )
            if report.asset_id and not mark.matches(report.asset_id):
                out(self.style.WARNING("Watermark asset id differs from the manifest's asset id"))
        else:
            out(f"Watermark: not detected (confidence {mark.confidence:.2f})")
        if not report.valid:
            state = "missing" if not report.present else (report.validation_state or "invalid")
            raise CommandError(f"C2PA manifest {state.lower()}: {path}", returncode=1)

    def _manifest(self, report: c2pa.ManifestReport) -> None:
        out = self.stdout.write
        if not report.present:
            out(self.style.ERROR("Manifest: missing"))
            for error in report.errors:
                out(f"  {error}")
            return
        verdict = "valid and trusted" if report.valid else "NOT valid"
        style = self.style.SUCCESS if report.valid else self.style.ERROR
        out(style(f"Manifest: {verdict} (state {report.validation_state})"))
        for error in report.errors:
            out(f"  error: {error}")
        out(f"Title: {report.title}")
        out(f"Actions: {', '.join(report.actions) or '-'}")
        out(f"Created action: {'c2pa.created' if report.created else 'none found'}")
        out(f"Digital source type: {report.digital_source_type or '-'}")
        out(
            f"Model: {report.model_name or '-'} (weights revision {report.weights_revision or '-'})"
        )
        out(f"Generator: {report.generator or '-'}")
        out(f"Asset id: {report.asset_id or '-'}")
        out(f"Signer: {report.signer_common_name} (issuer {report.signer_issuer})")
        out(f"Signed at: {report.signed_at or 'not time-stamped'}")
        if not report.ingredients:
            out("Ingredients: none")
        for ing in report.ingredients:
            out(
                f"Ingredient: {ing.title} ({ing.relationship}, {ing.format}, "
                f"sha256 {ing.sha256 or '-'})"
            )


def _open(data: bytes, path: Path) -> tuple[Image.Image | None, str]:
    """The decoded image (None if it does not decode) and the MIME type to read it as."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError):
        guessed = mimetypes.guess_type(path.name)[0]
        return None, guessed or "application/octet-stream"
    mime = _MIME.get(image.format or "") or mimetypes.guess_type(path.name)[0] or ""
    return image, mime
