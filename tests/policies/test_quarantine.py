"""Quarantine: a held output is unreachable through every output path but the
compliance officer's admin page, and is released or purged with a justification."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apps.assets.models import Asset, AssetState
from apps.audit.models import AuditEvent
from apps.core.exceptions import PermissionDenied
from apps.generation.models import JobStatus
from apps.generation.services import (
    GenerationParams,
    generation_claim,
    generation_quarantine,
    generation_request,
)
from apps.policies import gate
from apps.policies.models import QuarantineStatus
from apps.policies.quarantine import quarantine_purge, quarantine_release

FLAGS = "tests.policies.classifiers.FlagsEverything"
BROKEN = "tests.policies.classifiers.Broken"


def _png(colour="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def held(member, project, draft_route, use_classifier):
    """An output the image filter stopped, exactly as the worker stores it."""
    params = GenerationParams(route="draft", width=256, height=256, prompt="beach portrait")
    job = generation_request(actor=member, project=project, params=params)
    claim = generation_claim(job_id=job.pk, worker="test-worker")
    use_classifier(FLAGS)
    png = _png()
    verdict = gate.evaluate_image(route=draft_route, image=Image.open(io.BytesIO(png)))
    assert not verdict.allowed
    return generation_quarantine(
        job_id=job.pk,
        attempt=claim.attempt,
        png=png,
        first_image_at=timezone.now(),
        verdict=verdict,
    )


def test_a_held_output_is_no_asset_and_its_job_says_why(held):
    job = held.job
    job.refresh_from_db()
    assert job.status == JobStatus.REFUSED
    assert "withheld by the image filter" in job.failure_reason
    assert not Asset.objects.filter(job=job).exists()
    assert held.categories == ["FEMALE_BREAST_EXPOSED"]
    assert held.decision.outcome == "refused" and held.decision.stage == "image"
    assert held.decision.filter_scores["image"] == {"FEMALE_BREAST_EXPOSED": 0.97}
    assert AuditEvent.objects.filter(action="quarantine.hold", target_id=str(held.pk)).exists()
    # Stored apart from assets, outside MEDIA_ROOT.
    from django.conf import settings

    assert Path(held.file.path).is_relative_to(Path(settings.QUARANTINE_ROOT))
    assert not Path(held.file.path).is_relative_to(Path(settings.MEDIA_ROOT))


def test_portal_paths_never_serve_a_held_output(client, held, member, owner):
    job, project = held.job, held.project
    for user in (member, owner):
        client.force_login(user)
        gallery = client.get(reverse("projects:gallery", args=[project.slug]))
        assert gallery.status_code == 200 and str(held.pk) not in gallery.content.decode()
        page = client.get(reverse("projects:job-detail", args=[project.slug, job.pk]))
        html = page.content.decode()
        assert page.status_code == 200 and "withheld by the image filter" in html
        assert "/file/" not in html and "/quarantine" not in html
        status = client.get(reverse("projects:job-status", args=[project.slug, job.pk])).json()
        assert status["status"] == "refused" and status["image_url"] is None
        # The held output's id is no asset id.
        file_url = reverse("projects:asset-file", args=[project.slug, held.pk])
        assert client.get(file_url).status_code == 404
        # Project managers are not compliance officers: the admin image is not theirs.
        image_url = reverse("admin:policies_quarantine_image", args=[held.pk])
        assert client.get(image_url).status_code == 302  # to the admin login


def test_compliance_officers_see_the_held_image_in_the_admin(client, held, compliance_officer):
    client.force_login(compliance_officer)
    listing = client.get(reverse("admin:policies_quarantinedoutput_changelist"))
    assert listing.status_code == 200 and str(held.project) in listing.content.decode()
    image = client.get(reverse("admin:policies_quarantine_image", args=[held.pk]))
    assert image.status_code == 200 and b"".join(image.streaming_content).startswith(b"\x89PNG")
    assert "no-store" in image["Cache-Control"]


def test_release_needs_a_justification_and_makes_an_unreviewed_asset(held, compliance_officer):
    with pytest.raises(ValidationError):
        quarantine_release(actor=compliance_officer, held=held, justification="ok")
    asset = quarantine_release(
        actor=compliance_officer,
        held=held,
        justification="Swimwear catalogue shot; detector false positive on a bikini.",
    )
    assert asset.state == AssetState.GENERATED and asset.sha256 == held.sha256
    held.refresh_from_db()
    assert held.status == QuarantineStatus.RELEASED and not held.file
    assert held.resolved_by == compliance_officer
    event = AuditEvent.objects.get(action="quarantine.release")
    assert "false positive" in event.payload["justification"]
    held.job.refresh_from_db()
    assert held.job.status == JobStatus.SUCCEEDED


def test_release_and_purge_through_the_admin_form(client, held, compliance_officer):
    client.force_login(compliance_officer)
    url = reverse("admin:policies_quarantine_resolve", args=[held.pk])
    path = Path(held.file.path)
    response = client.post(url, {"action": "purge", "justification": "Clearly explicit output."})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == QuarantineStatus.PURGED and not path.exists()
    assert client.get(reverse("admin:policies_quarantine_image", args=[held.pk])).status_code == 410


def test_only_compliance_officers_resolve(held, owner):
    with pytest.raises(PermissionDenied):
        quarantine_release(actor=owner, held=held, justification="I think this one is fine.")
    with pytest.raises(PermissionDenied):
        quarantine_purge(actor=owner, held=held, justification="Removing it.")


def test_a_classifier_that_errors_fails_closed(member, project, draft_route, use_classifier):
    use_classifier(BROKEN)
    verdict = gate.evaluate_image(route=draft_route, image=Image.new("RGB", (64, 64)))
    assert [rule.code for rule in verdict.rules] == ["filter.unavailable"]
    assert "broken" in verdict.rules[0].message


def test_a_classifier_that_cannot_load_refuses_before_the_pipeline(draft_route, use_classifier):
    use_classifier("apps.policies.filters.nonexistent.Classifier")
    verdict = gate.Verdict()
    gate.check_image_filter_ready(draft_route, verdict)
    assert [rule.code for rule in verdict.rules] == ["filter.unavailable"]


def test_the_real_detector_lets_a_product_shot_through(draft_route):
    image = Image.new("RGB", (1024, 1024), "white")
    verdict = gate.evaluate_image(route=draft_route, image=image)
    assert verdict.allowed
    assert verdict.scores["image_classifier"].startswith("nudenet")
