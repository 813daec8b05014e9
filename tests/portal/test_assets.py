import pytest
from django.urls import reverse
from django.utils import timezone

from apps.generation.services import (
    GenerationParams,
    generation_claim,
    generation_request,
)
from tests.generation.images import complete, deliver, picture_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset(member, project, draft_route):
    job = generation_request(
        actor=member,
        project=project,
        params=GenerationParams(route="draft", width=256, height=256, prompt="a shoe"),
    )
    claim = generation_claim(job_id=job.pk, worker="w")
    return complete(
        job_id=job.pk, attempt=claim.attempt, png=picture_png(), first_image_at=timezone.now()
    )


def test_creators_see_the_image_in_the_gallery_and_on_the_job_page(client, member, asset):
    client.force_login(member)
    slug = asset.project.slug
    file_url = reverse("projects:asset-file", args=[slug, asset.pk])
    assert file_url in client.get(reverse("projects:gallery", args=[slug])).content.decode()
    assert (
        file_url
        in client.get(reverse("projects:job-detail", args=[slug, asset.job_id])).content.decode()
    )
    status = client.get(reverse("projects:job-status", args=[slug, asset.job_id])).json()
    assert (status["status"], status["percent"], status["image_url"]) == (
        "succeeded",
        100,
        file_url,
    )
    response = client.get(file_url)
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == picture_png()


def test_outsider_cannot_fetch_the_file_or_see_the_gallery(client, outsider, asset):
    client.force_login(outsider)
    slug = asset.project.slug
    assert client.get(reverse("projects:asset-file", args=[slug, asset.pk])).status_code == 404
    assert client.get(reverse("projects:gallery", args=[slug])).status_code == 404


def test_file_is_not_reachable_through_another_projects_url(client, outsider, asset):
    client.force_login(outsider)
    response = client.get(reverse("projects:asset-file", args=["other", asset.pk]))
    assert response.status_code == 404


def test_viewers_see_only_approved_assets(client, viewer, reviewer, asset, signing):
    from apps.approvals.services import asset_decide, asset_submit

    client.force_login(viewer)
    slug = asset.project.slug
    file_url = reverse("projects:asset-file", args=[slug, asset.pk])
    assert file_url not in client.get(reverse("projects:gallery", args=[slug])).content.decode()
    assert client.get(file_url).status_code == 404

    asset_submit(actor=asset.job.created_by, asset=asset)
    asset_decide(actor=reviewer, asset=asset, verdict="approve")
    deliver(asset)

    assert file_url in client.get(reverse("projects:gallery", args=[slug])).content.decode()
    assert client.get(file_url).status_code == 200


def test_a_download_is_an_attachment_and_is_audited(client, member, asset):
    from apps.audit.models import AuditEvent

    client.force_login(member)
    url = reverse("projects:asset-file", args=[asset.project.slug, asset.pk])
    client.get(url)
    assert not AuditEvent.objects.filter(action="asset.download").exists()
    response = client.get(url, {"download": "1"})
    assert response["Content-Disposition"].startswith("attachment;")
    event = AuditEvent.objects.get(action="asset.download")
    assert (event.actor, event.target_id) == (member, str(asset.pk))
