"""Share links: create, use, revoke. Every use is audited, allowed or not.

A link serves its asset only while the asset's approval holds (approved, and
the stored bytes are the approved bytes); a withdrawn asset's links are
revoked when the withdrawal commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.exceptions import ApplicationError, PermissionDenied
from apps.projects.models import Perm

from .models import Asset, ShareLink

TOKEN_BYTES = 32  # 256 bits
PREFIX_LENGTH = 8
SYSTEM_ACTOR = "system"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewShareLink:
    link: ShareLink
    token: str  # shown once; only its hash is stored


@transaction.atomic
def share_link_create(
    *,
    actor: User,
    asset: Asset,
    expires_in_days: int = 7,
    max_downloads: int | None = None,
    label: str = "",
) -> NewShareLink:
    from apps.approvals.services import approval_holds

    if not actor.has_perm(Perm.VIEW_DRAFTS, asset.project):
        raise PermissionDenied("Only creators, reviewers and managers can share assets.")
    if not approval_holds(asset):
        raise ApplicationError("Only approved assets can be shared.")
    longest = settings.SHARE_LINK_MAX_DAYS
    if not 1 <= expires_in_days <= longest:
        raise ValidationError({"expires_in_days": f"Choose between 1 and {longest} days."})
    if max_downloads is not None and max_downloads < 1:
        raise ValidationError({"max_downloads": "Allow at least one download, or leave empty."})
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ShareLink.objects.create(
        asset=asset,
        prefix=token[:PREFIX_LENGTH],
        token_sha256=_digest(token),
        label=label.strip()[:120],
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=expires_in_days),
        max_downloads=max_downloads,
    )
    audit_record(
        actor=actor,
        action="share_link.create",
        target=link,
        project=asset.project,
        payload={
            "asset": str(asset.pk),
            "prefix": link.prefix,
            "expires_at": link.expires_at.isoformat(),
            "max_downloads": max_downloads,
        },
    )
    return NewShareLink(link, token)


class ShareLinkRefused(Exception):
    """The token names no usable link; `reason` is for the audit trail, not the visitor."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def share_link_use(*, token: str, download: bool) -> ShareLink:
    """Resolve a token for a view or a download, counting and auditing it.

    Raises ShareLinkRefused for anything unusable; visitors see one neutral
    "not available" page whatever the reason, so tokens cannot be probed.
    """
    from apps.approvals.services import approval_holds

    from .delivery import delivered_original

    link = (
        ShareLink.objects.select_related("asset", "asset__project")
        .filter(token_sha256=_digest(token))
        .first()
    )
    if link is None:
        raise ShareLinkRefused("unknown token")  # nothing to attach an audit event to
    reason = ""
    if link.revoked_at is not None:
        reason = "revoked"
    elif link.expires_at <= timezone.now():
        reason = "expired"
    elif not approval_holds(link.asset):
        reason = "asset not approved"
    elif delivered_original(link.asset) is None:
        reason = "not yet delivered (no signed original)"
    elif download:
        # Counted atomically: concurrent downloads cannot pass the limit together.
        within = Q(max_downloads__isnull=True) | Q(downloads__lt=F("max_downloads"))
        if not ShareLink.objects.filter(within, pk=link.pk).update(downloads=F("downloads") + 1):
            reason = "download limit reached"
    else:
        ShareLink.objects.filter(pk=link.pk).update(views=F("views") + 1)
    audit_record(
        actor=None,
        actor_username="share-link visitor",
        action="share_link.access",
        target=link,
        project=link.asset.project,
        payload={
            "prefix": link.prefix,
            "kind": "download" if download else "view",
            "allowed": not reason,
            "reason": reason,
        },
    )
    if reason:
        raise ShareLinkRefused(reason)
    link.refresh_from_db()
    return link


@transaction.atomic
def share_link_revoke(*, actor: User | None, link: ShareLink, reason: str = "") -> bool:
    """Revoke a link; False when it was already revoked. `actor=None` is the system."""
    if actor is not None and not actor.has_perm(Perm.VIEW_DRAFTS, link.asset.project):
        raise PermissionDenied("Only project members can revoke its share links.")
    revoked = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason=reason[:300]
    )
    if revoked:
        from apps.webhooks.services import webhook_emit

        webhook_emit(
            project=link.asset.project,
            event="share_link.revoked",
            payload={"share_link": link.pk, "prefix": link.prefix, "asset": str(link.asset_id)},
        )
        audit_record(
            actor=actor,
            actor_username=None if actor else SYSTEM_ACTOR,
            action="share_link.revoke",
            target=link,
            project=link.asset.project,
            payload={"prefix": link.prefix, "reason": reason},
        )
    return bool(revoked)


def revoke_links_of_withdrawn(sender: object, asset_id: str, **kwargs: object) -> None:
    """Receiver for `asset_withdrawn`: every open link of the asset stops working."""
    for link in ShareLink.objects.filter(asset_id=asset_id, revoked_at__isnull=True):
        share_link_revoke(actor=None, link=link, reason="The asset's approval was withdrawn.")
