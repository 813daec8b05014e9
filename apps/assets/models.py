from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from apps.generation.models import GenerationJob
from apps.projects.models import Project


def asset_upload_to(instance: Asset, filename: str) -> str:
    return f"assets/{instance.project.slug}/{instance.pk}.{instance.format.lower()}"


class AssetState(models.TextChoices):
    """Review states; moves between them are in `apps.approvals.workflow.TRANSITIONS`."""

    GENERATED = "generated", "Generated"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Asset(models.Model):
    """A stored output; its bytes are fixed at creation and named by their SHA-256."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="assets")
    job = models.OneToOneField(GenerationJob, on_delete=models.PROTECT, related_name="asset")
    file = models.FileField(upload_to=asset_upload_to, max_length=300)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    format = models.CharField(max_length=10)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    state = models.CharField(
        max_length=20, choices=AssetState.choices, default=AssetState.GENERATED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when data-handling policy removed the file (rejected images); the
    # row stays so decisions and the audit trail still resolve.
    purged_at = models.DateTimeField(null=True, blank=True)
    # Automated QA, run when the asset is submitted for review.
    qa_results = models.JSONField(default=list, blank=True)
    qa_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # Galleries and the API list a project's assets newest first, by state.
        indexes = [
            models.Index(fields=["project", "-created_at"], name="asset_project_newest"),
            models.Index(fields=["project", "state", "-created_at"], name="asset_project_state"),
        ]

    def __str__(self) -> str:
        return f"Asset {self.pk}"


class ShareLink(models.Model):
    """A link that lets someone without an account see and download one approved asset.

    Only a SHA-256 of the token is stored: the token has 256 bits of entropy,
    so a fast hash is enough and a database leak yields no usable links.
    `prefix` (the token's first characters) names a link in lists and logs.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="share_links")
    prefix = models.CharField(max_length=12)
    token_sha256 = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    max_downloads = models.PositiveIntegerField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Share link {self.prefix}… for {self.asset_id}"


class RenditionPreset(models.Model):
    """A project's delivery format: size, fit or crop, file format and quality."""

    class Mode(models.TextChoices):
        FIT = "fit", "Fit inside"
        CROP = "crop", "Crop to fill (around the focal point)"

    class Format(models.TextChoices):
        JPEG = "JPEG", "JPEG"
        WEBP = "WEBP", "WebP"
        AVIF = "AVIF", "AVIF"
        PNG = "PNG", "PNG"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="presets")
    name = models.SlugField(max_length=60)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.CROP)
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.JPEG)
    quality = models.PositiveSmallIntegerField(null=True, blank=True, default=85)
    ssim_target = models.FloatField(
        null=True, blank=True, help_text="Smallest file with at least this SSIM, e.g. 0.98."
    )
    focal_x = models.FloatField(default=0.5)
    focal_y = models.FloatField(default=0.5)

    class Meta:
        ordering = ["project", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="uniq_preset_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.width}x{self.height} {self.format})"


def rendition_upload_to(instance: Rendition, filename: str) -> str:
    return f"renditions/{instance.asset.project.slug}/{instance.asset_id}/{filename}"


class Rendition(models.Model):
    """A delivered file made from an approved asset, with its provenance stamped in.

    The preset is copied into `spec`, so a rendition still says how it was
    made after the preset changes. `name == "original"` is the full-size
    delivered original (watermarked and signed); the asset's own file stays
    the generator's untouched bytes that approval is bound to.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="renditions")
    name = models.SlugField(max_length=60)
    spec = models.JSONField(default=dict)
    file = models.FileField(upload_to=rendition_upload_to, max_length=300)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    format = models.CharField(max_length=10)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    ssim = models.FloatField(null=True, blank=True)
    source_sha256 = models.CharField(
        max_length=64, help_text="The approved bytes it was made from."
    )
    provenance = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset", "name"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "name"], name="uniq_rendition_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} of {self.asset_id}"
