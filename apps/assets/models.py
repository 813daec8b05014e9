from __future__ import annotations

import uuid

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

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Asset {self.pk}"
