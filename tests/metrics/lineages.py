"""Reviewed lineages built through the real services, for the metrics tests."""

from __future__ import annotations

from datetime import timedelta

from apps.approvals.services import asset_decide, asset_submit
from apps.generation.models import GenerationJob
from apps.generation.services import GenerationParams, generation_claim, generation_request
from tests.generation.images import complete, picture_png


def _generate(user, project, parent=None):
    params = GenerationParams(
        route="draft", width=256, height=256, prompt="a red ball", parent_asset=parent
    )
    job = generation_request(actor=user, project=project, params=params)
    claim = generation_claim(job_id=job.pk, worker="w")
    return complete(job_id=job.pk, attempt=claim.attempt, png=picture_png())


def _shift(asset, minutes):
    """Move a job's clock back, as if it had been requested `minutes` earlier."""
    job = GenerationJob.objects.get(pk=asset.job_id)
    delta = timedelta(minutes=minutes)
    GenerationJob.objects.filter(pk=job.pk).update(
        created_at=job.created_at - delta,
        started_at=job.started_at - delta,
        first_image_at=job.first_image_at - delta,
        finished_at=job.finished_at - delta,
    )


def reviewed_lineage(member, reviewer, project):
    """A draft sent back for changes, regenerated, then approved (needs the draft route)."""
    first = _generate(member, project)
    _shift(first, 60)
    asset_submit(actor=member, asset=first)
    asset_decide(actor=reviewer, asset=first, verdict="request_changes", comment="Warmer")
    second = _generate(member, project, parent=first)
    asset_submit(actor=member, asset=second)
    asset_decide(actor=reviewer, asset=second, verdict="approve")
    return first, second
