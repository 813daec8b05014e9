from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    """Per-project roles, each including the capabilities of those before it."""

    VIEWER = "viewer", "Viewer"
    CREATOR = "creator", "Creator"
    REVIEWER = "reviewer", "Reviewer"
    MANAGER = "manager", "Manager"


ROLE_RANK = {Role.VIEWER: 0, Role.CREATOR: 1, Role.REVIEWER: 2, Role.MANAGER: 3}


class Perm:
    """Object permissions on Project (django-guardian), granted through the membership role."""

    VIEW = "projects.view_project"  # see the project and its approved assets
    VIEW_DRAFTS = "projects.view_drafts"  # see jobs and unapproved outputs
    GENERATE = "projects.generate"  # templates, generate, regenerate
    REVIEW = "projects.review"  # approve, reject, request changes
    MANAGE = "projects.manage_project"  # members and roles, settings, keys, webhooks


ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.VIEWER: (Perm.VIEW,),
    Role.CREATOR: (Perm.VIEW, Perm.VIEW_DRAFTS, Perm.GENERATE),
    Role.REVIEWER: (Perm.VIEW, Perm.VIEW_DRAFTS, Perm.GENERATE, Perm.REVIEW),
    Role.MANAGER: (Perm.VIEW, Perm.VIEW_DRAFTS, Perm.GENERATE, Perm.REVIEW, Perm.MANAGE),
}
ALL_PROJECT_PERMS = ROLE_PERMISSIONS[Role.MANAGER]


class Project(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Review QA: what "on brand" and "sharp enough" mean here, and whether a
    # failed check stops approval or only informs the reviewer.
    brand_colours = models.JSONField(default=list, blank=True, help_text='e.g. ["#FF5733"]')
    min_sharpness = models.FloatField(null=True, blank=True)
    qa_blocks_approval = models.BooleanField(default=False)
    # The company's own published contact details (press email, hotline) that
    # may appear in images; the prompt filter refuses every other email or
    # phone number as personal data.
    public_contacts = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("view_drafts", "Can see jobs and unapproved outputs"),
            ("generate", "Can write templates and generate"),
            ("review", "Can approve, reject and request changes"),
            ("manage_project", "Can manage members, roles and settings"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    Role = Role
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="uniq_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} as {self.role}"

    def has_role(self, minimum: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(minimum)]
