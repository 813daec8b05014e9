"""Retention applies each project's data-handling policy and honours legal hold."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from apps.approvals.services import asset_decide, asset_submit
from apps.audit.models import AuditEvent
from apps.generation.services import (
    GenerationParams,
    generation_claim,
    generation_complete,
    generation_quarantine,
    generation_request,
)
from apps.policies import gate
from apps.policies.models import QuarantineStatus
from apps.policies.retention import retention_apply

LATER = dt.timedelta(days=31)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def _job(member, project, prompt="studio shot of a red shoe"):
    params = GenerationParams(route="draft", width=256, height=256, prompt=prompt)
    job = generation_request(actor=member, project=project, params=params)
    return job, generation_claim(job_id=job.pk, worker="test").attempt


def _finish(job, attempt, route, quarantine=False):
    image = Image.open(io.BytesIO(_png()))
    verdict = gate.evaluate_image(route=route, image=image)
    if quarantine:
        return generation_quarantine(
            job_id=job.pk,
            attempt=attempt,
            png=_png(),
            first_image_at=timezone.now(),
            verdict=verdict,
        )
    return generation_complete(
        job_id=job.pk,
        attempt=attempt,
        png=_png(),
        first_image_at=timezone.now(),
        image_verdict=verdict,
    )


@pytest.fixture
def history(member, reviewer, project, draft_route, use_classifier):
    """A rejected asset, a quarantined output and a job, all older than 30 days."""
    job, attempt = _job(member, project)
    asset = _finish(job, attempt, draft_route)
    asset_submit(actor=member, asset=asset)
    asset_decide(actor=reviewer, asset=asset, verdict="reject", comment="Off brand.")
    use_classifier("tests.policies.classifiers.FlagsEverything")
    held_job, held_attempt = _job(member, project, prompt="beach portrait")
    held = _finish(held_job, held_attempt, draft_route, quarantine=True)
    return job, asset, held


def test_retention_redacts_prompts_and_purges_expired_files(history, project, edit_usage):
    job, asset, held = history
    edit_usage(
        project, prompt_retention_days=30, quarantine_retention_days=30, rejected_retention_days=30
    )
    asset_path, held_path = Path(asset.file.path), Path(held.file.path)
    digest = job.prompt_sha256

    soon = retention_apply(now=timezone.now() + dt.timedelta(days=5))
    assert (soon.prompts_redacted, soon.quarantine_purged, soon.rejected_purged) == (0, 0, 0)

    report = retention_apply(now=timezone.now() + LATER)
    assert (report.prompts_redacted, report.quarantine_purged, report.rejected_purged) == (2, 1, 1)
    job.refresh_from_db()
    assert job.prompt == "" and job.prompt_redacted_at is not None
    assert job.prompt_sha256 == digest  # the audit trail's digest still matches
    asset.refresh_from_db()
    assert asset.purged_at is not None and not asset_path.exists()
    held.refresh_from_db()
    assert held.status == QuarantineStatus.PURGED and not held_path.exists()
    event = AuditEvent.objects.filter(action="retention.run").order_by("sequence").last()
    assert event.payload["per_project"]["spring"] == {
        "prompts_redacted": 2,
        "quarantine_purged": 1,
        "rejected_purged": 1,
    }


def test_legal_hold_suspends_every_redaction_and_purge(history, project, edit_usage):
    job, asset, held = history
    edit_usage(
        project,
        prompt_retention_days=1,
        quarantine_retention_days=1,
        rejected_retention_days=1,
        legal_hold=True,
        legal_hold_reason="Case 2026-17",
    )

    report = retention_apply(now=timezone.now() + LATER)

    assert report.legal_holds == ["spring"]
    assert (report.prompts_redacted, report.quarantine_purged, report.rejected_purged) == (0, 0, 0)
    job.refresh_from_db()
    assert job.prompt == "studio shot of a red shoe"
    assert Path(asset.file.path).exists() and Path(held.file.path).exists()
    event = AuditEvent.objects.filter(action="retention.run").order_by("sequence").last()
    assert event.payload["skipped_legal_hold"] == ["spring"]


def test_nothing_is_removed_where_policy_keeps_it(history, project):
    """The site default keeps prompts and rejected images; quarantine keeps 30 days."""
    job, asset, held = history
    report = retention_apply(now=timezone.now() + dt.timedelta(days=20))
    assert (report.prompts_redacted, report.quarantine_purged, report.rejected_purged) == (0, 0, 0)


def test_redacted_prompt_shows_as_redacted_on_the_job_page(
    client, history, member, project, edit_usage
):
    job, _asset, _held = history
    edit_usage(project, prompt_retention_days=30)
    retention_apply(now=timezone.now() + LATER)
    client.force_login(member)
    from django.urls import reverse

    html = client.get(reverse("projects:job-detail", args=[project.slug, job.pk])).content.decode()
    assert "Redacted on" in html and "red shoe" not in html
