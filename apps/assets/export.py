"""Export: a zip of approved assets' delivered files with a manifest.json.

Only assets whose approval still holds are exported, and only their
delivered (watermarked, signed) files; the manifest says what each file is,
how it was made, under which license, who approved it and its SHA-256.
Prompt text is included unless data-handling policy has redacted it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals.models import Verdict
from apps.approvals.services import approval_holds
from apps.audit.services import audit_record
from apps.core.exceptions import PermissionDenied
from apps.projects.models import Perm, Project

from .models import Asset

MAX_ASSETS = 200


def _license(asset: Asset) -> dict[str, Any] | None:
    lic = asset.job.route.weights.licenses.order_by("pk").first()
    if lic is None:
        return None
    return {
        "name": lic.name,
        "version": lic.license_version,
        "url": lic.url,
        "text_sha256": lic.text_sha256,
        "attribution": lic.attribution,
    }


def _entry(asset: Asset, files: list[dict[str, Any]]) -> dict[str, Any]:
    job = asset.job
    approval = asset.decisions.filter(verdict=Verdict.APPROVE).order_by("-created_at").first()
    redacted = job.prompt_redacted_at is not None
    return {
        "asset": str(asset.pk),
        "sha256": asset.sha256,
        "prompt": None if redacted else job.prompt,
        "negative_prompt": None if redacted else job.negative_prompt,
        "prompt_sha256": job.prompt_sha256,
        "prompt_redacted": redacted,
        "template_version": job.template_version_id,
        "route": job.route.name,
        "model": job.model_name,
        "weights_revision": job.weights_revision,
        "seed": job.seed,
        "steps": job.steps,
        "guidance": job.guidance,
        "license": _license(asset),
        "approval": approval
        and {
            "by": approval.decided_by_username,
            "at": approval.created_at.isoformat(),
            "sha256": approval.content_sha256,
        },
        "files": files,
    }


def assets_export(
    *, actor: User, project: Project, asset_ids: Sequence[str], renditions: Sequence[str]
) -> bytes:
    """Build the zip in memory (bounded by MAX_ASSETS) and audit the export."""
    if not actor.has_perm(Perm.VIEW, project):
        raise PermissionDenied("You cannot export from this project.")
    if not asset_ids:
        raise ValidationError({"assets": "Choose at least one approved asset."})
    if len(asset_ids) > MAX_ASSETS:
        raise ValidationError({"assets": f"Export at most {MAX_ASSETS} assets at a time."})
    wanted = list(renditions) or ["original"]
    assets = list(
        Asset.objects.filter(project=project, pk__in=asset_ids).select_related(
            "job", "job__route__weights"
        )
    )
    if len(assets) != len(set(asset_ids)):
        raise ValidationError({"assets": "Some chosen assets are not in this project."})
    refused = [str(a.pk) for a in assets if not approval_holds(a)]
    if refused:
        raise ValidationError({"assets": f"Not approved (or changed since): {', '.join(refused)}"})

    buffer = io.BytesIO()
    manifest: dict[str, Any] = {
        "project": project.slug,
        "exported_at": timezone.now().isoformat(),
        "exported_by": actor.get_username(),
        "assets": [],
    }
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for asset in assets:
            files = []
            for rendition in asset.renditions.filter(name__in=wanted).order_by("name"):
                with rendition.file.open("rb") as fh:
                    data = fh.read()
                arcname = f"{asset.pk}/{rendition.name}.{rendition.format.lower()}"
                archive.writestr(arcname, data)
                files.append(
                    {
                        "path": arcname,
                        "rendition": rendition.name,
                        "sha256": rendition.sha256,
                        "width": rendition.width,
                        "height": rendition.height,
                    }
                )
            if not files:
                raise ValidationError(
                    {"renditions": f"Asset {asset.pk} has none of those renditions yet."}
                )
            manifest["assets"].append(_entry(asset, files))
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    audit_record(
        actor=actor,
        action="asset.export",
        target=project,
        project=project,
        payload={"assets": [str(a.pk) for a in assets], "renditions": wanted},
    )
    return buffer.getvalue()
