"""The audit trail: one hash-chained, append-only table.

Rows are written only by `services.audit_record` and never changed: on
PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE (migration 0002). Each
event copies who/what/where as text (`actor_username`, `target_label`,
`project_slug`) beside nullable foreign keys, so an event still says who did
what after the user or project is gone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    AUTH_LOGIN = "auth.login", "Signed in"
    AUTH_LOGIN_FAILED = "auth.login_failed", "Failed sign-in"
    AUTH_LOGOUT = "auth.logout", "Signed out"
    MEMBERSHIP_ADD = "membership.add", "Member added"
    MEMBERSHIP_ROLE_CHANGE = "membership.role_change", "Member role changed"
    MEMBERSHIP_REMOVE = "membership.remove", "Member removed"
    TEMPLATE_CREATE = "template.create", "Template created"
    TEMPLATE_VERSION = "template.version", "Template version saved"
    GENERATION_REQUEST = "generation.request", "Generation requested"
    GENERATION_REFUSE = "generation.refuse", "Generation refused"
    GENERATION_START = "generation.start", "Generation started"
    GENERATION_COMPLETE = "generation.complete", "Generation completed"
    GENERATION_FAIL = "generation.fail", "Generation failed"
    GENERATION_CANCEL = "generation.cancel", "Generation cancelled"
    POLICY_DECISION = "policy.decision", "Policy decision"
    POLICY_EDIT = "policy.edit", "Policy edited"
    SETTING_EDIT = "setting.edit", "Setting edited"
    APPROVAL_SUBMIT = "approval.submit", "Submitted for review"
    APPROVAL_APPROVE = "approval.approve", "Asset approved"
    APPROVAL_WITHDRAW = "approval.withdraw", "Approval withdrawn"
    APPROVAL_REJECT = "approval.reject", "Asset rejected"
    APPROVAL_REQUEST_CHANGES = "approval.request_changes", "Changes requested"
    COMMENT_CREATE = "comment.create", "Comment added"
    ASSET_DOWNLOAD = "asset.download", "Asset downloaded"
    RENDITION_CREATE = "rendition.create", "Renditions made"
    ASSET_EXPORT = "asset.export", "Assets exported"
    AUDIT_EXPORT = "audit.export", "Audit trail exported"
    AUDIT_VERIFY = "audit.verify", "Audit chain verified"
    AUDIT_CHECKPOINT = "audit.checkpoint", "Audit checkpoint written"
    SHARE_LINK_CREATE = "share_link.create", "Share link created"
    SHARE_LINK_ACCESS = "share_link.access", "Share link used"
    SHARE_LINK_REVOKE = "share_link.revoke", "Share link revoked"
    API_KEY_CREATE = "api_key.create", "API key created"
    API_KEY_REVOKE = "api_key.revoke", "API key revoked"
    ADMIN_ADD = "admin.add", "Added in admin"
    ADMIN_CHANGE = "admin.change", "Changed in admin"
    ADMIN_DELETE = "admin.delete", "Deleted in admin"
    PROJECT_CREATE = "project.create", "Project created"
    PROJECT_EDIT = "project.edit", "Project edited"
    QUARANTINE_HOLD = "quarantine.hold", "Output quarantined"
    QUARANTINE_RELEASE = "quarantine.release", "Quarantined output released"
    QUARANTINE_PURGE = "quarantine.purge", "Quarantined output purged"
    RETENTION_RUN = "retention.run", "Retention applied"
    WEBHOOK_CREATE = "webhook.create", "Webhook endpoint added"
    WEBHOOK_DEACTIVATE = "webhook.deactivate", "Webhook endpoint deactivated"
    WEBHOOK_DELETE = "webhook.delete", "Webhook endpoint deleted"
    WEBHOOK_RESEND = "webhook.resend", "Webhook delivery re-sent"


class AuditEvent(models.Model):
    """One link of the chain: `hash = SHA-256(prev_hash || canonical JSON of the row)`.

    `recorded_actor_id` and `recorded_project_id` keep the ids as they were
    when the event was written. They, not the foreign keys, are what the hash
    covers: deleting a user or project sets the foreign key to NULL (the only
    UPDATE the trigger lets through), and the chain must still verify.
    """

    sequence = models.BigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_actor_id = models.BigIntegerField(null=True, blank=True, editable=False)
    actor_username = models.CharField(max_length=150, blank=True, db_index=True)
    action = models.CharField(max_length=64, choices=Action.choices, db_index=True)
    target_type = models.CharField(max_length=100, blank=True, db_index=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_project_id = models.BigIntegerField(null=True, blank=True, editable=False)
    project_slug = models.CharField(max_length=60, blank=True, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} by {self.actor_username or '-'}"
