from __future__ import annotations

import hashlib
import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.exceptions import PermissionDenied
from apps.generation.models import GenerationJob
from apps.projects.models import Perm, Project

from .models import Asset, RenditionPreset


def asset_create_from_png(*, job: GenerationJob, png: bytes) -> Asset:
    """Store a worker's PNG for `job`. Runs inside the caller's transaction.

    If that transaction rolls back the row disappears; the file is removed by
    the caller's cleanup so no orphan is served.
    """
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
        fmt = image.format or "PNG"
    asset = Asset(
        project=job.project,
        job=job,
        sha256=hashlib.sha256(png).hexdigest(),
        size_bytes=len(png),
        format=fmt,
        width=width,
        height=height,
    )
    asset.file.save(f"{asset.pk}.png", ContentFile(png), save=False)
    asset.save()
    return asset


def _require_manager(actor: User, project: Project) -> None:
    if not actor.has_perm(Perm.MANAGE, project):
        raise PermissionDenied("Only project managers can change rendition presets.")


@transaction.atomic
def preset_save(*, actor: User, project: Project, preset: RenditionPreset) -> RenditionPreset:
    """Add or change a rendition preset; the engine's own validation decides what is valid."""
    from apps.assets.renditions import Preset

    _require_manager(actor, project)
    try:
        Preset(
            preset.name,
            preset.width,
            preset.height,
            preset.mode,
            preset.format,
            quality=preset.quality,
            ssim_target=preset.ssim_target,
            focal_x=preset.focal_x,
            focal_y=preset.focal_y,
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    preset.project = project
    preset.full_clean()
    preset.save()
    audit_record(
        actor=actor,
        action="setting.edit",
        target=preset,
        project=project,
        payload={"preset": preset.name, "spec": str(preset)},
    )
    return preset


@transaction.atomic
def preset_delete(*, actor: User, project: Project, preset: RenditionPreset) -> None:
    _require_manager(actor, project)
    audit_record(
        actor=actor,
        action="setting.edit",
        target=preset,
        project=project,
        payload={"preset": preset.name, "deleted": True},
    )
    preset.delete()
