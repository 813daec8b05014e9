"""Review workflow: every state change goes through `asset_transition`.

Separation of duties lives here, not only in the views: nobody decides on an
asset they generated, whichever door they come in by.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.assets.models import Asset, AssetState
from apps.audit.services import audit_record
from apps.core.exceptions import ApplicationError, PermissionDenied

from .models import Comment, Decision, Transition, Verdict
from .workflow import DECISION_STATES, TRANSITIONS, allowed_targets

VERDICT_STATES = {
    Verdict.APPROVE: AssetState.APPROVED,
    Verdict.REQUEST_CHANGES: AssetState.CHANGES_REQUESTED,
    Verdict.REJECT: AssetState.REJECTED,
}
_STATE_VERDICTS = {state: verdict for verdict, state in VERDICT_STATES.items()}


def stored_sha256(asset: Asset) -> str:
    digest = hashlib.sha256()
    with asset.file.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def approval_holds(asset: Asset) -> bool:
    """An approval covers exactly the bytes that were approved.

    Delivery paths (downloads for viewers, renditions, share links, exports)
    call this: if the stored file no longer has the approved hash, the
    approval no longer applies and nothing is delivered.
    """
    asset = Asset.objects.get(pk=asset.pk)  # the state as committed, not as the caller saw it
    if asset.state != AssetState.APPROVED or not asset.file:
        return False
    approved = asset.decisions.filter(verdict=Verdict.APPROVE).order_by("-created_at").first()
    return (
        approved is not None
        and approved.content_sha256 == asset.sha256
        and stored_sha256(asset) == asset.sha256
    )


@transaction.atomic
def asset_transition(*, actor: User, asset: Asset, to: str, comment: str = "") -> Transition:
    """Move an asset along the workflow, or refuse with a domain error.

    Writes the history row, the audit event and, for reviewer decisions, a
    Decision bound to the stored file's SHA-256 (and a comment in the thread).
    """
    asset = (
        Asset.objects.select_for_update(of=("self",))
        .select_related("job", "project")
        .get(pk=asset.pk)
    )
    to = AssetState(to)
    move = TRANSITIONS.get((asset.state, to))
    if move is None:
        options = ", ".join(AssetState(t).label.lower() for t in allowed_targets(asset.state))
        raise ApplicationError(
            f"An asset that is {asset.get_state_display().lower()} cannot become "
            f"{to.label.lower()}" + (f"; it can become: {options}." if options else ".")
        )
    if not actor.has_perm(move.perm, asset.project):
        raise PermissionDenied("Your role in this project does not allow that.")
    if not move.creator_may and asset.job.created_by_id == actor.pk:
        raise ApplicationError("You generated this asset, so someone else has to review it.")
    comment = comment.strip()
    if move.needs_comment and not comment:
        raise ValidationError({"comment": "Say why, so the creator can act on it."})
    sha256 = stored_sha256(asset)
    if sha256 != asset.sha256:
        raise ApplicationError("The stored file no longer matches its recorded hash.")
    if to == AssetState.IN_REVIEW:
        _run_qa(asset)
    if to == AssetState.APPROVED and asset.project.qa_blocks_approval:
        failed = [r["name"] for r in asset.qa_results if r.get("status") == "fail"]
        if failed:
            raise ApplicationError(
                "This project does not approve assets that fail automated QA "
                f"({', '.join(failed)}). Request changes instead."
            )

    before = asset.state
    history = Transition.objects.create(
        asset=asset,
        from_state=before,
        to_state=to,
        comment=comment,
        actor=actor,
        actor_username=actor.get_username(),
        content_sha256=sha256,
    )
    decision = None
    if to in DECISION_STATES:
        decision = Decision.objects.create(
            asset=asset,
            verdict=_STATE_VERDICTS[to],
            comment=comment,
            decided_by=actor,
            decided_by_username=actor.get_username(),
            content_sha256=sha256,
        )
    if comment:
        Comment.objects.create(
            asset=asset,
            decision=decision,
            author=actor,
            author_username=actor.get_username(),
            body=comment,
        )
    Asset.objects.filter(pk=asset.pk).update(state=to)
    if to == AssetState.APPROVED:
        from apps.assets.tasks import publish_renditions

        asset_id = str(asset.pk)
        transaction.on_commit(lambda: publish_renditions(asset_id))
    audit_record(
        actor=actor,
        action=move.action,
        target=asset,
        project=asset.project,
        payload={"before": before, "after": to.value, "sha256": sha256, "comment": comment},
    )
    event = {
        AssetState.APPROVED: "asset.approved",
        AssetState.REJECTED: "asset.rejected",
        AssetState.WITHDRAWN: "asset.withdrawn",
    }.get(to)
    if event:
        from apps.webhooks.services import webhook_emit

        webhook_emit(
            project=asset.project,
            event=event,
            payload={"asset": str(asset.pk), "job": str(asset.job_id), "sha256": sha256},
        )
    if to == AssetState.WITHDRAWN:
        from apps.assets.signals import asset_withdrawn

        transaction.on_commit(lambda: asset_withdrawn.send(sender=Asset, asset_id=asset.pk))
    return history


def _run_qa(asset: Asset) -> None:
    """Automated checks the reviewer sees beside the image; stored on the asset."""
    from PIL import Image

    from apps.assets.delivery import presets_for

    from . import qa

    project = asset.project
    with asset.file.open("rb") as fh, Image.open(fh) as image:
        image.load()
        results = qa.run_all(
            image,
            presets=presets_for(project),
            brand_colours=project.brand_colours or [],
            min_sharpness=project.min_sharpness,
        )
    asset.qa_results = [r.as_dict() for r in results]
    asset.qa_checked_at = timezone.now()
    Asset.objects.filter(pk=asset.pk).update(
        qa_results=asset.qa_results, qa_checked_at=asset.qa_checked_at
    )


def asset_submit(*, actor: User, asset: Asset) -> Transition:
    return asset_transition(actor=actor, asset=asset, to=AssetState.IN_REVIEW)


def asset_decide(*, actor: User, asset: Asset, verdict: str, comment: str = "") -> Decision:
    """A reviewer's verdict on an asset in review; returns the Decision."""
    state = VERDICT_STATES[Verdict(verdict)]
    history = asset_transition(actor=actor, asset=asset, to=state, comment=comment)
    return Decision.objects.filter(asset_id=history.asset_id).latest("pk")


def asset_withdraw(*, actor: User, asset: Asset, comment: str) -> Transition:
    return asset_transition(actor=actor, asset=asset, to=AssetState.WITHDRAWN, comment=comment)


@transaction.atomic
def comment_create(
    *, actor: User, asset: Asset, body: str, parent: Comment | None = None
) -> Comment:
    """Anyone who may see the project's drafts may discuss them."""
    from apps.projects.models import Perm

    if not actor.has_perm(Perm.VIEW_DRAFTS, asset.project):
        raise PermissionDenied("Only project members who see drafts can comment.")
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something."})
    if len(body) > 5000:
        raise ValidationError({"body": "Keep comments under 5,000 characters."})
    if parent is not None:
        if parent.asset_id != asset.pk:
            raise ValidationError({"parent": "That comment is on another asset."})
        parent = parent.parent or parent  # one level of threading
    comment = Comment.objects.create(
        asset=asset,
        parent=parent,
        author=actor,
        author_username=actor.get_username(),
        body=body,
    )
    audit_record(
        actor=actor,
        action="comment.create",
        target=asset,
        project=asset.project,
        payload={"comment": comment.pk, "parent": parent.pk if parent else None},
    )
    return comment
