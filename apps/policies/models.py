"""Policy that compliance officers edit and the gate enforces.

Every editable policy carries a `version` that the services bump on each edit,
with an immutable `PolicyVersion` snapshot beside it, so each `Decision` can
say exactly which rules it applied. Edits go through `services`, never
`save()` directly.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import models
from django.db.models.functions import Coalesce

from apps.generation.models import GenerationJob, ModelRoute, ModelWeights
from apps.projects.models import Project


class PolicyKind(models.TextChoices):
    LICENSE = "license", "Model license"
    ORGANISATION = "organisation", "Organisation profile"
    USAGE = "usage", "Usage policy"
    FILTERS = "filters", "Content filters"


class CommercialUse(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    CONDITIONAL = "conditional", "Allowed below thresholds, else needs an enterprise license"
    PROHIBITED = "prohibited", "Prohibited without an enterprise license"


class ModelLicense(models.Model):
    """The terms under which some weights may be used.

    Krea 2's community license limits commercial use by company size; sources
    disagree on whether the limit is revenue or seats/employees, so both
    thresholds are configurable and either one being exceeded counts.
    """

    name = models.CharField(max_length=120)
    license_version = models.CharField(max_length=40, blank=True)
    url = models.URLField(blank=True)
    text = models.TextField(blank=True, help_text="A stored copy of the license text.")
    text_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    weights = models.ManyToManyField(ModelWeights, related_name="licenses", blank=True)
    commercial_use = models.CharField(
        max_length=16, choices=CommercialUse.choices, default=CommercialUse.CONDITIONAL
    )
    max_annual_revenue_usd = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Commercial use needs an enterprise license above this."
    )
    max_employees = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Seats/employees above which an enterprise license is needed.",
    )
    enterprise_license_on_file = models.BooleanField(default=False)
    enterprise_license_reference = models.CharField(max_length=200, blank=True)
    enterprise_license_expires = models.DateField(null=True, blank=True)
    requires_prompt_filter = models.BooleanField(default=True)
    requires_image_filter = models.BooleanField(default=True)
    prohibited_uses = models.TextField(blank=True, help_text="One prohibited use per line.")
    attribution = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} {self.license_version}".strip()


class OrganisationProfile(models.Model):
    """The facts license thresholds are judged against; one row (pk=1)."""

    name = models.CharField(max_length=200, blank=True)
    annual_revenue_usd = models.PositiveBigIntegerField(null=True, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or "Organisation profile"


class IntendedUse(models.TextChoices):
    EXPLORATION = "exploration", "Exploration (internal, not published)"
    COMMERCIAL = "commercial", "Commercial publication"


class UsagePolicy(models.Model):
    """What a project may generate and how long its data is kept.

    The row with no project is the site default; a project with its own row
    uses that row as a whole (no field-by-field merging, so what applies is
    always one readable record).
    """

    project = models.OneToOneField(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="usage_policy"
    )
    allowed_routes = models.ManyToManyField(
        ModelRoute, blank=True, related_name="+", help_text="None selected: every enabled route."
    )
    intended_use = models.CharField(
        max_length=16, choices=IntendedUse.choices, default=IntendedUse.COMMERCIAL
    )
    max_width = models.PositiveIntegerField(default=2048)
    max_height = models.PositiveIntegerField(default=2048)
    max_steps = models.PositiveSmallIntegerField(default=50)
    finals_need_approval = models.BooleanField(default=True)
    prompt_retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Redact prompt text after this many days; empty: keep."
    )
    quarantine_retention_days = models.PositiveIntegerField(default=30)
    rejected_retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Purge rejected images after this many days; empty: keep."
    )
    legal_hold = models.BooleanField(
        default=False, help_text="Suspends every redaction and purge for the project."
    )
    legal_hold_reason = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "usage policies"
        constraints = [
            # One row without a project (the site default); coalescing NULL to 0
            # works on PostgreSQL and on the demo's SQLite alike.
            models.UniqueConstraint(
                Coalesce("project", models.Value(0)), name="one_usage_policy_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"Usage policy: {self.project or 'site default'}"

    @property
    def key(self) -> str:
        return f"usage:{self.project.slug if self.project else 'default'}"


class FilterSettings(models.Model):
    """Site-wide content-filter settings; one row (pk=1).

    Its version covers the categories and image thresholds too: editing any of
    them bumps it, so one number names the whole filter configuration.
    """

    prompt_filter_enabled = models.BooleanField(default=True)
    semantic_check_enabled = models.BooleanField(default=True)
    pii_detectors = models.JSONField(
        default=list, blank=True, help_text='e.g. ["email", "phone", "card", "iban", "national_id"]'
    )
    image_filter_enabled = models.BooleanField(default=True)
    image_classifier = models.CharField(
        max_length=200,
        default="apps.policies.filters.image.NudeNetClassifier",
        help_text="Dotted path to an ImageClassifier class.",
    )
    image_classifier_options = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "filter settings"

    def __str__(self) -> str:
        return "Content filter settings"


class FilterCategory(models.Model):
    """A category of prohibited prompts: its terms, examples and threshold."""

    slug = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    enabled = models.BooleanField(default=True)
    terms = models.TextField(blank=True, help_text="One term or phrase per line.")
    examples = models.TextField(
        blank=True, help_text="Example phrases for the semantic check, one per line."
    )
    counter_examples = models.TextField(
        blank=True,
        help_text="Allowed look-alikes that lower the semantic score, one per line.",
    )
    semantic_threshold = models.FloatField(
        null=True, blank=True, help_text="Cosine similarity 0-1; empty: no semantic check."
    )
    multilingual_threshold = models.FloatField(
        null=True,
        blank=True,
        help_text=(
            "For text not in English (multilingual model, another similarity band); "
            "empty: only term lists judge such text."
        ),
    )
    check_negative = models.BooleanField(
        default=False, help_text="Also apply to negative prompts (usually protective)."
    )
    semantic_needs_indicator = models.BooleanField(
        default=False,
        help_text=(
            "The semantic check refuses under this category only when a word of "
            "co-occurrence group A (in any language) is present: a minor, a real person."
        ),
    )
    cooccurrence = models.JSONField(
        default=list,
        blank=True,
        help_text='Two term groups that block only together: [["child", "kid"], ["nude"]].',
    )
    exceptions = models.TextField(
        blank=True,
        help_text='Phrases whose words this category ignores ("naked eye"), one per line.',
    )
    guidance = models.CharField(max_length=300, blank=True, help_text="Shown on refusal.")

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "filter categories"

    def __str__(self) -> str:
        return self.label


FILTER_LANGUAGES = [
    ("en", "English"),
    ("fr", "French"),
    ("de", "German"),
    ("es", "Spanish"),
    ("it", "Italian"),
    ("pt", "Portuguese"),
    ("nl", "Dutch"),
    ("ja", "Japanese"),
    ("zh", "Chinese"),
]


class FilterTermList(models.Model):
    """One category's terms in one language (English additions included).

    The category's own `terms`, `exceptions` and `cooccurrence` are its English
    list; these rows add every other language. How words are matched per
    language is explained in `filters.lexicon`.
    """

    category = models.ForeignKey(
        FilterCategory, on_delete=models.CASCADE, related_name="term_lists"
    )
    language = models.CharField(max_length=8, choices=FILTER_LANGUAGES)
    terms = models.TextField(
        blank=True,
        help_text=(
            "One word or phrase per line, base form only: inflections are matched. "
            "'word*' also matches compounds; <register:people> stands for a register."
        ),
    )
    exceptions = models.TextField(
        blank=True,
        help_text="Phrases whose words this category ignores, in any language, one per line.",
    )
    group_a = models.TextField(
        "co-occurrence group A",
        blank=True,
        help_text="Blocks together with group B in the same field, one per line.",
    )
    group_b = models.TextField("co-occurrence group B", blank=True)

    class Meta:
        ordering = ["category__slug", "language"]
        constraints = [
            models.UniqueConstraint(fields=["category", "language"], name="one_list_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.category.slug} ({self.language})"


class FilterRegister(models.Model):
    """Names any term list can refer to as <register:slug>: real people, protected marks."""

    slug = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    entries = models.TextField(
        blank=True, help_text="One name per line; write each alias and script on its own line."
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.label


class ImageLabelThreshold(models.Model):
    """A detector label that blocks an output at or above its score."""

    label = models.CharField(max_length=80, unique=True)
    threshold = models.FloatField()

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return f"{self.label} >= {self.threshold:g}"


class PolicyVersion(models.Model):
    """An immutable snapshot of one policy as of one version."""

    kind = models.CharField(max_length=16, choices=PolicyKind.choices)
    key = models.CharField(max_length=100, help_text="e.g. license:3, usage:default, filters")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_username = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="uniq_policy_version")
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class Stage(models.TextChoices):
    REQUEST = "request", "On request"
    WORKER = "worker", "In the worker, before the pipeline"
    TEMPLATE = "template", "On template save"
    IMAGE = "image", "Image filter"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    REFUSED = "refused", "Refused"


class Decision(models.Model):
    """What the gate decided, why, and under which policy versions.

    `rules` lists each rule that fired as {code, category, message}; messages
    name the rule and what to change, never the blocked text.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    stage = models.CharField(max_length=10, choices=Stage.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    project = models.ForeignKey(
        Project, null=True, on_delete=models.SET_NULL, related_name="policy_decisions"
    )
    job = models.ForeignKey(
        GenerationJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    route = models.CharField(max_length=40, blank=True)
    rules = models.JSONField(default=list)
    policy_versions = models.JSONField(default=dict)
    filter_scores = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.get_stage_display().lower()}"

    @property
    def refused(self) -> bool:
        return self.outcome == Outcome.REFUSED


def quarantine_storage() -> Storage:
    """Outside MEDIA_ROOT, so nothing that serves assets can reach these files by name."""
    return FileSystemStorage(location=settings.QUARANTINE_ROOT)


def quarantine_upload_to(instance: QuarantinedOutput, filename: str) -> str:
    return f"{instance.project_id}/{instance.pk}.png"


class QuarantineStatus(models.TextChoices):
    HELD = "held", "Held"
    RELEASED = "released", "Released"
    PURGED = "purged", "Purged"


class QuarantinedOutput(models.Model):
    """An output the image filter stopped (or could not check).

    It is not an Asset: every path that serves assets (portal, API,
    renditions, exports, share links) works on Assets, so a quarantined
    output cannot leak through any of them. Releasing it creates the Asset.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="quarantined")
    job = models.OneToOneField(GenerationJob, on_delete=models.PROTECT, related_name="quarantine")
    decision = models.ForeignKey(Decision, null=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(storage=quarantine_storage, upload_to=quarantine_upload_to, blank=True)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    reason = models.TextField()
    categories = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=QuarantineStatus.choices, default=QuarantineStatus.HELD
    )
    justification = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "quarantined output"
        permissions = [("resolve_quarantine", "Can release or purge quarantined outputs")]

    def __str__(self) -> str:
        return f"Quarantined output of job {self.job_id}"
