"""The review workflow as data: which moves exist and what each one requires.

    generated -> in review -> approved | rejected | changes requested
    approved -> withdrawn

Anything not in the table is an illegal move, refused by
`services.asset_transition` with a domain error.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.assets.models import AssetState
from apps.projects.models import Perm


@dataclass(frozen=True)
class Move:
    perm: str  # project permission the actor needs
    action: str  # audit action
    needs_comment: bool = False
    creator_may: bool = True  # False: separation of duties, not on your own output
    binds_content: bool = False  # the decision covers exactly the stored bytes


S = AssetState
TRANSITIONS: dict[tuple[str, str], Move] = {
    (S.GENERATED, S.IN_REVIEW): Move(Perm.GENERATE, "approval.submit"),
    (S.IN_REVIEW, S.APPROVED): Move(
        Perm.REVIEW, "approval.approve", creator_may=False, binds_content=True
    ),
    (S.IN_REVIEW, S.REJECTED): Move(
        Perm.REVIEW, "approval.reject", needs_comment=True, creator_may=False
    ),
    (S.IN_REVIEW, S.CHANGES_REQUESTED): Move(
        Perm.REVIEW, "approval.request_changes", needs_comment=True, creator_may=False
    ),
    (S.APPROVED, S.WITHDRAWN): Move(Perm.REVIEW, "approval.withdraw", needs_comment=True),
}
# Reviewer decisions (kept as Decision rows beside the history).
DECISION_STATES = (S.APPROVED, S.REJECTED, S.CHANGES_REQUESTED)


def allowed_targets(state: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == state]
