"""API keys and idempotency records.

An API key acts through its own principal: a User row that cannot log in
and is a member of exactly the key's project, with the role its scopes
need. Every service and permission check therefore treats a CMS exactly as
it treats a person in that role (separation of duties included).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.generation.models import GenerationJob
from apps.projects.models import Project


class Scope(models.TextChoices):
    READ_ASSETS = "assets:read", "Read approved assets"
    SUBMIT = "generations:submit", "Submit generations"
    REVIEW = "review", "Review (approve, reject, request changes)"


class ApiKey(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=12, unique=True)
    # HMAC-SHA256(API_KEY_PEPPER, secret): the secret has 256 bits, so a keyed
    # fast hash is safe and costs microseconds per request, unlike a password hash.
    secret_hmac = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    principal = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """`Idempotency-Key` of a generation POST: the same key and body give the same job."""

    principal = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    request_sha256 = models.CharField(max_length=64)
    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="uniq_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"Idempotency-Key {self.key}"
