"""The review workflow: the transitions table, history, comments, withdrawal,
approval bound to content, and regeneration lineage."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.approvals.models import Comment, Transition
from apps.approvals.services import (
    approval_holds,
    asset_decide,
    asset_submit,
    asset_transition,
    asset_withdraw,
    comment_create,
)
from apps.assets.selectors import asset_descendants, asset_lineage
from apps.audit.models import AuditEvent
from apps.core.exceptions import ApplicationError
from apps.generation.services import (
    GenerationParams,
    generation_claim,
    generation_regenerate,
    generation_request,
)
from tests.generation.images import complete, deliver, picture_png

pytestmark = pytest.mark.django_db


def _finish(job):
    claim = generation_claim(job_id=job.pk, worker="w")
    return complete(
        job_id=job.pk, attempt=claim.attempt, png=picture_png(), first_image_at=timezone.now()
    )


@pytest.fixture
def asset(member, project, draft_route):
    params = GenerationParams(route="draft", width=256, height=256, prompt="a shoe", seed=11)
    return _finish(generation_request(actor=member, project=project, params=params))


@pytest.mark.parametrize(
    ("setup", "target"),
    [
        ([], "approved"),  # must be in review first
        ([], "withdrawn"),
        (["in_review", "rejected"], "approved"),
        (["in_review", "approved"], "in_review"),
        (["in_review", "approved", "withdrawn"], "approved"),
    ],
)
def test_illegal_moves_are_refused_with_a_domain_error(asset, member, reviewer, setup, target):
    actors = {"in_review": member}
    for state in setup:
        asset_transition(actor=actors.get(state, reviewer), asset=asset, to=state, comment="why")
    asset.refresh_from_db()
    before = asset.state
    with pytest.raises(ApplicationError, match="cannot become"):
        asset_transition(actor=reviewer, asset=asset, to=target, comment="why")
    asset.refresh_from_db()
    assert asset.state == before


def test_each_move_writes_history_and_an_audit_event(asset, member, reviewer):
    asset_submit(actor=member, asset=asset)
    asset_decide(actor=reviewer, asset=asset, verdict="approve")
    asset_withdraw(actor=reviewer, asset=asset, comment="Brand guidelines changed.")

    moves = [(t.from_state, t.to_state, t.actor_username) for t in Transition.objects.all()]
    assert moves == [
        ("generated", "in_review", "member"),
        ("in_review", "approved", "reviewer"),
        ("approved", "withdrawn", "reviewer"),
    ]
    actions = AuditEvent.objects.filter(target_id=str(asset.pk)).values_list("action", flat=True)
    assert list(actions.order_by("sequence")) == [
        "approval.submit",
        "approval.approve",
        "approval.withdraw",
    ]


def test_withdrawal_needs_a_reason_and_hides_the_asset_from_viewers(
    client, asset, member, reviewer, viewer, project, signing
):
    asset_submit(actor=member, asset=asset)
    asset_decide(actor=reviewer, asset=asset, verdict="approve")
    deliver(asset)
    file_url = reverse("projects:asset-file", args=[project.slug, asset.pk])
    client.force_login(viewer)
    assert client.get(file_url).status_code == 200
    with pytest.raises(ValidationError):
        asset_withdraw(actor=reviewer, asset=asset, comment=" ")
    asset_withdraw(actor=reviewer, asset=asset, comment="Recalled by legal.")
    assert client.get(file_url).status_code == 404


def test_approval_no_longer_holds_once_the_file_changes(
    client, asset, member, reviewer, viewer, project, signing
):
    asset_submit(actor=member, asset=asset)
    asset_decide(actor=reviewer, asset=asset, verdict="approve")
    deliver(asset)
    assert approval_holds(asset)
    with open(asset.file.path, "ab") as fh:
        fh.write(b"edited")
    asset.refresh_from_db()
    assert not approval_holds(asset)
    client.force_login(viewer)
    assert (
        client.get(reverse("projects:asset-file", args=[project.slug, asset.pk])).status_code == 404
    )


def test_comments_thread_one_level_and_show_the_decision_beside_them(
    client, asset, member, reviewer, project, viewer
):
    asset_submit(actor=member, asset=asset)
    decision = asset_decide(
        actor=reviewer, asset=asset, verdict="request_changes", comment="Logo too small."
    )
    first = Comment.objects.get(decision=decision)
    reply = comment_create(actor=member, asset=asset, body="Bigger in the next one.", parent=first)
    nested = comment_create(actor=reviewer, asset=asset, body="Thanks.", parent=reply)
    assert reply.parent == first and nested.parent == first  # one level deep

    client.force_login(member)
    html = client.get(reverse("projects:job-detail", args=[project.slug, asset.job_id])).content
    html = html.decode()
    assert "Logo too small." in html and "Changes requested" in html
    assert "Bigger in the next one." in html
    from apps.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        comment_create(actor=viewer, asset=asset, body="Can I see it?")


def test_a_draft_is_promoted_to_a_final_and_the_lineage_is_followed(
    asset, member, project, final_route
):
    tweak = _finish(generation_regenerate(actor=member, asset=asset, seed=12))
    final_job = generation_regenerate(actor=member, asset=tweak, route="final")
    final = _finish(final_job)

    assert (tweak.job.seed, tweak.job.prompt) == (12, "a shoe")
    assert (final_job.route.name, final_job.seed) == ("final", 12)
    assert (final_job.steps, final_job.guidance) == (28, 4.5)  # the final route's, not the draft's
    assert [a.pk for a in asset_lineage(asset=final)] == [asset.pk, tweak.pk, final.pk]
    assert [a.pk for a in asset_descendants(asset=asset)] == [tweak.pk, final.pk]
    event = AuditEvent.objects.filter(action="generation.request").order_by("sequence").last()
    assert event.payload["parent_asset"] == str(tweak.pk)


def test_regenerating_from_the_portal_links_the_new_job(client, asset, member, project):
    client.force_login(member)
    response = client.post(
        reverse("projects:asset-regenerate", args=[project.slug, asset.pk]),
        {"route": "draft", "prompt": "a blue shoe", "new_seed": "on"},
    )
    assert response.status_code == 302
    from apps.generation.models import GenerationJob

    job = GenerationJob.objects.get(parent_asset=asset)
    assert job.prompt == "a blue shoe" and response["Location"].endswith(f"/jobs/{job.pk}/")


def test_the_job_page_offers_only_the_moves_this_user_may_make(
    client, asset, member, reviewer, project
):
    page = reverse("projects:job-detail", args=[project.slug, asset.job_id])
    client.force_login(member)
    html = client.get(page).content.decode()
    assert "Submit for review" in html and "Record decision" not in html
    client.post(reverse("projects:asset-submit", args=[project.slug, asset.pk]))
    html = client.get(page).content.decode()
    assert "In review" in html and "Record decision" not in html  # not on your own asset
    client.force_login(reviewer)
    assert "Record decision" in client.get(page).content.decode()
