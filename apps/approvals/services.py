"""Review decisions. Separation of duties lives here, not only in the view."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.models import User
from apps.assets.models import Asset, AssetState
from apps.audit.services import audit_record
from apps.core.exceptions import ApplicationError, PermissionDenied
from apps.projects.models import Perm

from .models import Decision, Verdict

_OUTCOME = {
    Verdict.APPROVE: (AssetState.APPROVED, "approval.approve"),
    Verdict.REQUEST_CHANGES: (AssetState.CHANGES_REQUESTED, "approval.request_changes"),
    Verdict.REJECT: (AssetState.REJECTED, "approval.reject"),
}


def _stored_sha256(asset: Asset) -> str:
    digest = hashlib.sha256()
    with asset.file.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@transaction.atomic
def asset_decide(*, actor: User, asset: Asset, verdict: str, comment: str = "") -> Decision:
    """Approve, reject or request changes on a generated asset.

    Only reviewers decide, never on an asset they generated, and a rejection
    or change request must say why. The decision records the SHA-256 of the
    file as stored now, so an approval covers exactly those bytes.
    """
    verdict = Verdict(verdict)
    asset = Asset.objects.select_for_update().select_related("job", "project").get(pk=asset.pk)
    if not actor.has_perm(Perm.REVIEW, asset.project):
        raise PermissionDenied("Only reviewers of this project can decide on its assets.")
    if asset.job.created_by_id == actor.pk:
        raise ApplicationError("You generated this asset, so someone else has to review it.")
    comment = comment.strip()
    if verdict != Verdict.APPROVE and not comment:
        raise ValidationError({"comment": "Say what is wrong, so the creator can act on it."})
    if asset.state != AssetState.GENERATED:
        raise ApplicationError(f"This asset is already {asset.get_state_display().lower()}.")
    sha256 = _stored_sha256(asset)
    if sha256 != asset.sha256:
        raise ApplicationError("The stored file no longer matches its recorded hash.")
    state, action = _OUTCOME[verdict]
    decision = Decision.objects.create(
        asset=asset,
        verdict=verdict,
        comment=comment,
        decided_by=actor,
        decided_by_username=actor.get_username(),
        content_sha256=sha256,
    )
    before = asset.state
    asset.state = state
    asset.save(update_fields=["state"])
    audit_record(
        actor=actor,
        action=action,
        target=asset,
        project=asset.project,
        payload={"before": before, "after": state.value, "sha256": sha256, "comment": comment},
    )
    return decision
