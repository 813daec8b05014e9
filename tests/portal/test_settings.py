"""Managers set review QA and rendition presets; QA runs on submit and can block approval."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.approvals.services import asset_decide, asset_submit
from apps.assets.delivery import presets_for
from apps.audit.models import AuditEvent
from apps.core.exceptions import ApplicationError
from apps.generation.services import GenerationParams, generation_claim, generation_request
from tests.generation.images import complete, picture_png

pytestmark = pytest.mark.django_db


def test_only_managers_reach_the_settings(client, member, owner, project):
    url = reverse("projects:settings", args=[project.slug])
    client.force_login(member)
    assert client.get(url).status_code == 403
    client.force_login(owner)
    assert client.get(url).status_code == 200


def test_review_settings_are_saved_normalised_and_audited(client, owner, project):
    client.force_login(owner)
    url = reverse("projects:settings", args=[project.slug])
    response = client.post(
        url, {"review": "1", "brand_colours": "#ff5733, 1b2a4a", "qa_blocks_approval": "on"}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.brand_colours == ["#FF5733", "#1B2A4A"] and project.qa_blocks_approval
    event = AuditEvent.objects.filter(action="project.edit").latest("sequence")
    assert event.payload["after"]["brand_colours"] == ["#FF5733", "#1B2A4A"]
    bad = client.post(url, {"review": "1", "brand_colours": "reddish"})
    assert bad.status_code == 400 and "not a hex colour" in bad.content.decode()


def test_presets_replace_the_defaults_and_bad_ones_are_refused(client, owner, project):
    client.force_login(owner)
    url = reverse("projects:settings", args=[project.slug])
    fields = {
        "preset": "1",
        "name": "banner",
        "width": 1500,
        "height": 500,
        "mode": "crop",
        "format": "WEBP",
        "quality": "",
        "ssim_target": 0.98,
        "focal_x": 0.5,
        "focal_y": 0.3,
    }
    assert client.post(url, fields).status_code == 302
    assert [p.name for p in presets_for(project)] == ["banner"]
    bad = client.post(url, fields | {"name": "png-target", "format": "PNG"})
    assert bad.status_code == 400 and "lossless" in bad.content.decode()


def test_qa_runs_on_submit_and_a_failed_check_can_block_approval(
    owner, member, reviewer, project, draft_route
):
    from apps.projects.services import project_review_settings_update

    project_review_settings_update(
        actor=owner,
        project=project,
        brand_colours=["#00FF00"],
        min_sharpness=None,
        qa_blocks_approval=True,
    )
    params = GenerationParams(route="draft", width=256, height=256, prompt="a red ball")
    job = generation_request(actor=member, project=project, params=params)
    claim = generation_claim(job_id=job.pk, worker="w")
    asset = complete(job_id=job.pk, attempt=claim.attempt, png=picture_png())
    asset_submit(actor=member, asset=asset)
    asset.refresh_from_db()
    statuses = {r["name"]: r["status"] for r in asset.qa_results}
    assert statuses["palette"] == "fail" and asset.qa_checked_at is not None
    with pytest.raises(ApplicationError, match="fail automated QA"):
        asset_decide(actor=reviewer, asset=asset, verdict="approve")
    asset_decide(actor=reviewer, asset=asset, verdict="request_changes", comment="Off palette.")
