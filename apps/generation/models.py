from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from apps.projects.models import Project
from apps.prompts.models import PromptTemplateVersion


class ModelWeights(models.Model):
    """A diffusers directory on the GPU workers' disk, pinned by revision and content hash."""

    name = models.SlugField(max_length=80, unique=True)
    family = models.CharField(max_length=40, default="krea2")
    path = models.CharField(
        max_length=500,
        help_text="Directory holding model_index.json, as seen by the GPU workers.",
    )
    revision = models.CharField(
        max_length=80, blank=True, help_text="Upstream revision, e.g. the Hub commit it came from."
    )
    content_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 over every file (register_weights computes it).",
    )
    component_hashes = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per component (text_encoder, vae, ...) so workers can share identical parts.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "model weights"

    def __str__(self) -> str:
        return self.name


class ModelRoute(models.Model):
    """A named way to generate (draft, final): which weights, which parameters, which queue."""

    name = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    weights = models.ForeignKey(ModelWeights, on_delete=models.PROTECT, related_name="routes")
    queue = models.CharField(max_length=60, help_text="Celery queue its GPU workers consume.")
    steps = models.PositiveSmallIntegerField()
    min_steps = models.PositiveSmallIntegerField(default=1)
    max_steps = models.PositiveSmallIntegerField()
    guidance = models.FloatField()
    min_guidance = models.FloatField(default=0.0)
    max_guidance = models.FloatField()
    allowed_sizes = models.JSONField(
        help_text="List of [width, height] pairs, e.g. [[1024, 1024], [1344, 768]]."
    )
    max_sequence_length = models.PositiveIntegerField(default=512)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name

    @property
    def sizes(self) -> list[tuple[int, int]]:
        return [(int(w), int(h)) for w, h in self.allowed_sizes]


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    # Stopped by policy: the worker's gate refused it, or the image filter
    # quarantined its output. Not a failure to retry: something must change.
    REFUSED = "refused", "Refused by policy"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.REFUSED, JobStatus.CANCELLED)


class JobStage(models.TextChoices):
    WAITING = "waiting", "Waiting for a GPU worker"
    ENCODING = "encoding", "Encoding the prompt"
    DENOISING = "denoising", "Generating"
    DECODING = "decoding", "Decoding the image"
    STORING = "storing", "Storing"
    DONE = "done", "Done"


class GenerationJob(models.Model):
    """One request for one image, and the full record of how it was made."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    route = models.ForeignKey(ModelRoute, on_delete=models.PROTECT, related_name="jobs")
    template_version = models.ForeignKey(
        PromptTemplateVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    variables = models.JSONField(default=dict, blank=True)
    # Lineage: the asset this job regenerates, so a draft's path to an approved
    # final can be followed (and queried) step by step.
    parent_asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    # What was asked for (explicit, never left to library defaults).
    prompt = models.TextField()
    negative_prompt = models.TextField(blank=True)
    # Kept when retention redacts the text, so the audit trail's digest still matches.
    prompt_sha256 = models.CharField(max_length=64, blank=True)
    prompt_redacted_at = models.DateTimeField(null=True, blank=True)
    seed = models.BigIntegerField()
    steps = models.PositiveSmallIntegerField()
    guidance = models.FloatField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    stage = models.CharField(max_length=16, choices=JobStage.choices, default=JobStage.WAITING)
    progress_step = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.TextField(blank=True)

    # What actually ran, written by the worker.
    model_name = models.CharField(max_length=80, blank=True)
    weights_revision = models.CharField(max_length=80, blank=True)
    weights_hash = models.CharField(max_length=64, blank=True)
    torch_version = models.CharField(max_length=40, blank=True)
    diffusers_version = models.CharField(max_length=40, blank=True)
    device = models.CharField(max_length=80, blank=True)
    dtype = models.CharField(max_length=20, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    pipeline_loaded_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    first_image_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Seconds per stage of the run, measured by the worker: gate (the policy
    # check again), setup, encode, denoise, decode (the pipeline), image_filter;
    # png counts from the same start as the filter (they run side by side).
    timings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["project", "-created_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.route.name} job {self.pk}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATES

    @property
    def progress_percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.steps:
            return 0
        # Denoising is most of the work; leave the last 5% for decode and store.
        return min(95, int(95 * self.progress_step / self.steps))
