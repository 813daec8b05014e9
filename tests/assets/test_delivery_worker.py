"""Approval to delivered files on the real stack: the approval publishes after
commit, a real Celery worker on the delivery queue makes the signed renditions."""

from __future__ import annotations

import time

import pytest

from apps.approvals.services import asset_decide, asset_submit
from apps.assets.models import Rendition
from apps.assets.provenance import c2pa
from apps.generation.services import GenerationParams, generation_claim, generation_request
from tests.generation.images import complete, picture_png
from tests.workers import delete_queues, start_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_approval_queues_delivery_and_a_cpu_worker_signs_every_file(
    member, reviewer, project, draft_route, signing, settings, queue_suffix, tmp_path
):
    settings.DELIVERY_QUEUE = f"cpu-{queue_suffix}"
    params = GenerationParams(route="draft", width=256, height=256, prompt="a red ball")
    job = generation_request(actor=member, project=project, params=params)
    claim = generation_claim(job_id=job.pk, worker="w")
    asset = complete(job_id=job.pk, attempt=claim.attempt, png=picture_png())
    asset_submit(actor=member, asset=asset)
    asset_decide(actor=reviewer, asset=asset, verdict="approve")  # publishes after commit

    env = {
        "C2PA_SIGNING_CERT_CHAIN": str(signing.cert_chain),
        "C2PA_SIGNING_KEY": str(signing.key),
        "C2PA_TRUST_ANCHORS": str(signing.trust_anchors),
    }
    worker = start_worker([settings.DELIVERY_QUEUE], "cpu-delivery", tmp_path, env=env)
    try:
        deadline = time.monotonic() + 90
        while Rendition.objects.filter(asset=asset).count() < 5 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        worker.stop()
        delete_queues([settings.DELIVERY_QUEUE])

    renditions = list(Rendition.objects.filter(asset=asset))
    assert len(renditions) == 5, worker.log[-2000:]
    anchors = signing.trust_anchors.read_text()
    for rendition in renditions:
        mime = f"image/{rendition.format.lower()}"
        report = c2pa.read(rendition.file.read(), mime, trust_anchors_pem=anchors)
        assert report.valid and report.created, (rendition.name, report.errors)
