"""Every portal URL against every role: each cell is asserted."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.approvals.models import Verdict
from apps.approvals.services import asset_decide, asset_submit
from apps.generation.services import (
    GenerationParams,
    generation_claim,
    generation_request,
)
from tests.generation.images import complete, deliver, picture_png

pytestmark = pytest.mark.django_db

ROLES = ["manager", "reviewer", "creator", "viewer", "outsider", "compliance"]


def _asset(project, creator):
    job = generation_request(
        actor=creator,
        project=project,
        params=GenerationParams(route="draft", width=256, height=256, prompt="a shoe"),
    )
    claim = generation_claim(job_id=job.pk, worker="w")
    return complete(
        job_id=job.pk, attempt=claim.attempt, png=picture_png(), first_image_at=timezone.now()
    )


@pytest.fixture
def world(
    owner,
    reviewer,
    member,
    viewer,
    outsider,
    compliance_officer,
    project,
    template,
    draft_route,
    signing,
):
    draft = _asset(project, member)
    asset_submit(actor=member, asset=draft)
    approved = _asset(project, member)
    asset_submit(actor=member, asset=approved)
    asset_decide(actor=reviewer, asset=approved, verdict=Verdict.APPROVE)
    deliver(approved)
    return {
        "users": {
            "manager": owner,
            "reviewer": reviewer,
            "creator": member,
            "viewer": viewer,
            "outsider": outsider,
            "compliance": compliance_officer,
        },
        "slug": project.slug,
        "template": template,
        "draft": draft,
        "approved": approved,
    }


def _url(world, name):
    slug, draft, approved = world["slug"], world["draft"], world["approved"]
    return {
        "detail": reverse("projects:detail", args=[slug]),
        "gallery": reverse("projects:gallery", args=[slug]),
        "generate": reverse("projects:generate", args=[slug]),
        "template-new": reverse("projects:template-new", args=[slug]),
        "template": reverse("projects:template-detail", args=[slug, world["template"].pk]),
        "members": reverse("projects:members", args=[slug]),
        "job": reverse("projects:job-detail", args=[slug, draft.job_id]),
        "job-status": reverse("projects:job-status", args=[slug, draft.job_id]),
        "draft-file": reverse("projects:asset-file", args=[slug, draft.pk]),
        "approved-file": reverse("projects:asset-file", args=[slug, approved.pk]),
    }[name]


# manager, reviewer, creator, viewer, outsider, compliance officer (not a member)
GET_MATRIX = {
    "detail": [200, 200, 200, 200, 404, 404],
    "gallery": [200, 200, 200, 200, 404, 404],
    "template": [200, 200, 200, 200, 404, 404],
    "approved-file": [200, 200, 200, 200, 404, 404],
    "generate": [200, 200, 200, 403, 404, 404],
    "template-new": [200, 200, 200, 403, 404, 404],
    "job": [200, 200, 200, 404, 404, 404],
    "job-status": [200, 200, 200, 404, 404, 404],
    "draft-file": [200, 200, 200, 404, 404, 404],
    "members": [200, 403, 403, 403, 404, 404],
}


@pytest.mark.parametrize(
    ("page", "role", "expected"),
    [
        (page, role, code)
        for page, codes in GET_MATRIX.items()
        for role, code in zip(ROLES, codes, strict=True)
    ],
)
def test_get(client, world, page, role, expected):
    client.force_login(world["users"][role])
    response = client.get(_url(world, page))
    assert response.status_code == expected
    if expected == 404:
        assert b"Spring launch" not in response.content


@pytest.mark.parametrize(
    ("role", "expected"), list(zip(ROLES, [302, 302, 403, 403, 404, 404], strict=True))
)
def test_decide(client, world, role, expected):
    client.force_login(world["users"][role])
    draft = world["draft"]
    response = client.post(
        reverse("projects:asset-decide", args=[world["slug"], draft.pk]),
        {"verdict": "approve"},
    )
    draft.refresh_from_db()
    assert response.status_code == expected
    assert (draft.state == "approved") == (expected == 302)


@pytest.mark.parametrize(
    ("role", "expected"), list(zip(ROLES, [302, 403, 403, 403, 404, 404], strict=True))
)
def test_add_member(client, world, role, expected):
    from tests.factories import UserFactory

    newcomer = UserFactory(username="newcomer")
    client.force_login(world["users"][role])
    response = client.post(
        reverse("projects:members", args=[world["slug"]]),
        {"username": "newcomer", "role": "creator"},
    )
    assert response.status_code == expected
    assert newcomer.memberships.exists() == (expected == 302)


@pytest.mark.parametrize(
    ("role", "expected"), list(zip(ROLES, [302, 302, 302, 302, 302, 200], strict=True))
)
@pytest.mark.parametrize(
    "page",
    [
        "admin:generation_generationjob_changelist",
        "admin:assets_asset_changelist",
        "admin:audit_auditevent_changelist",
        "admin:approvals_decision_changelist",
    ],
)
def test_admin_pages_are_for_compliance_officers(client, world, role, expected, page):
    """Project roles give no admin access; compliance officers read every project there."""
    client.force_login(world["users"][role])
    response = client.get(reverse(page))
    assert response.status_code == expected
    if expected == 200:
        assert response.context["cl"].result_count >= 1


def test_compliance_officer_cannot_change_jobs_in_the_admin(client, world):
    client.force_login(world["users"]["compliance"])
    job = world["draft"].job
    page = client.get(reverse("admin:generation_generationjob_change", args=[job.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
