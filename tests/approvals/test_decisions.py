import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.approvals.models import Verdict
from apps.approvals.services import asset_decide, asset_submit
from apps.audit.models import AuditEvent
from apps.core.exceptions import ApplicationError, PermissionDenied
from apps.generation.services import (
    GenerationParams,
    generation_claim,
    generation_request,
)
from tests.generation.images import complete, tiny_png

pytestmark = pytest.mark.django_db


def _asset_by(user, project):
    job = generation_request(
        actor=user,
        project=project,
        params=GenerationParams(route="draft", width=256, height=256, prompt="a shoe"),
    )
    claim = generation_claim(job_id=job.pk, worker="w")
    asset = complete(
        job_id=job.pk, attempt=claim.attempt, png=tiny_png(), first_image_at=timezone.now()
    )
    asset_submit(actor=user, asset=asset)
    return asset


def test_reviewer_cannot_approve_own_asset_even_through_the_service(reviewer, project, draft_route):
    asset = _asset_by(reviewer, project)
    with pytest.raises(ApplicationError, match="someone else has to review it"):
        asset_decide(actor=reviewer, asset=asset, verdict=Verdict.APPROVE)
    asset.refresh_from_db()
    assert asset.state == "in_review"


def test_creator_cannot_decide(member, owner, project, draft_route):
    asset = _asset_by(owner, project)
    with pytest.raises(PermissionDenied):
        asset_decide(actor=member, asset=asset, verdict=Verdict.APPROVE)


def test_approval_records_the_content_hash_and_an_audit_event(
    reviewer, member, project, draft_route
):
    asset = _asset_by(member, project)
    decision = asset_decide(actor=reviewer, asset=asset, verdict=Verdict.APPROVE)
    asset.refresh_from_db()
    assert asset.state == "approved"
    assert decision.content_sha256 == asset.sha256
    event = AuditEvent.objects.filter(action="approval.approve").latest("sequence")
    assert event.actor == reviewer and event.payload["sha256"] == asset.sha256


@pytest.mark.parametrize("verdict", [Verdict.REJECT, Verdict.REQUEST_CHANGES])
def test_rejection_and_change_requests_need_a_comment(
    reviewer, member, project, draft_route, verdict
):
    asset = _asset_by(member, project)
    with pytest.raises(ValidationError):
        asset_decide(actor=reviewer, asset=asset, verdict=verdict, comment="  ")
    decision = asset_decide(actor=reviewer, asset=asset, verdict=verdict, comment="Logo too small")
    assert decision.comment == "Logo too small"


def test_a_decided_asset_is_not_decided_again(reviewer, owner, member, project, draft_route):
    asset = _asset_by(member, project)
    asset_decide(actor=reviewer, asset=asset, verdict=Verdict.APPROVE)
    with pytest.raises(ApplicationError, match="cannot become rejected"):
        asset_decide(actor=owner, asset=asset, verdict=Verdict.REJECT, comment="no")


def test_a_changed_file_cannot_be_approved(reviewer, member, project, draft_route):
    asset = _asset_by(member, project)
    with open(asset.file.path, "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ApplicationError, match="no longer matches"):
        asset_decide(actor=reviewer, asset=asset, verdict=Verdict.APPROVE)
