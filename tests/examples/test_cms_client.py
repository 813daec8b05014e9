"""examples/cms_client.py, run as a CMS would run it, against a live server with
real workers: it submits from a template, receives signed webhooks, and once a
reviewer approves, downloads the signed rendition."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from apps.api.keys import api_key_create
from apps.approvals.services import asset_decide, asset_submit
from apps.assets.models import Asset
from apps.assets.provenance import c2pa
from apps.generation.models import GenerationJob
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import webhook_endpoint_create
from tests.workers import ROOT, delete_queues, start_worker, wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EVENTS = ["job.completed", "job.failed", "job.refused", "asset.approved"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(predicate, timeout: float = 90):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError("condition not reached")


def test_the_example_client_gets_an_approved_rendition_end_to_end(
    live_server,
    owner,
    member,
    reviewer,
    project,
    draft_route,
    template,
    signing,
    settings,
    queue_suffix,
    tmp_path,
):
    settings.DELIVERY_QUEUE = f"cpu-{queue_suffix}"
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    port = _free_port()
    key = api_key_create(
        actor=owner, project=project, name="CMS", scopes=["generations:submit", "assets:read"]
    )
    hook = webhook_endpoint_create(
        actor=owner, project=project, url=f"http://127.0.0.1:{port}/", events=EVENTS
    )
    env = {
        "C2PA_SIGNING_CERT_CHAIN": str(signing.cert_chain),
        "C2PA_SIGNING_KEY": str(signing.key),
        "C2PA_TRUST_ANCHORS": str(signing.trust_anchors),
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "DELIVERY_QUEUE": settings.DELIVERY_QUEUE,
    }
    queues = [draft_route.queue, settings.DELIVERY_QUEUE]
    gpu = start_worker([draft_route.queue], "gpu-cms", tmp_path, env=env)
    cpu = start_worker([settings.DELIVERY_QUEUE], "cpu-cms", tmp_path, env=env)
    out = tmp_path / "downloads"
    out.mkdir()
    client = subprocess.Popen(
        [
            sys.executable,
            "examples/cms_client.py",
            "--base-url",
            live_server.url,
            "--project",
            project.slug,
            "--template",
            str(template.pk),
            "--var",
            "product=trail shoe",
            "--var",
            "surface=oak table",
            "--size",
            "256x256",
            "--rendition",
            "thumbnail",
            "--listen",
            str(port),
            "--out",
            str(out),
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env={
            "IMPRIMATUR_API_KEY": key.token,
            "IMPRIMATUR_WEBHOOK_SECRET": hook.secret,
            "PATH": "/usr/bin:/bin",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        job_id = _wait(
            lambda: (
                GenerationJob.objects.filter(project=project).values_list("pk", flat=True).first()
            )
        )
        job = wait_for_job(job_id)
        assert job.status == "succeeded", (job.failure_reason, gpu.log[-2000:])
        # The client heard job.completed before anyone reviewed.
        _wait(
            lambda: WebhookDelivery.objects.filter(
                event="job.completed", status="succeeded"
            ).exists()
        )
        asset = Asset.objects.get(job=job)
        asset_submit(actor=member, asset=asset)
        asset_decide(actor=reviewer, asset=asset, verdict="approve")
        output, _ = client.communicate(timeout=120)
    finally:
        if client.poll() is None:
            client.kill()
        gpu.stop()
        cpu.stop()
        delete_queues(queues)

    assert client.returncode == 0, output + cpu.log[-2000:]
    assert "webhook: asset.approved" in output
    saved = out / f"{asset.pk}-thumbnail"
    report = c2pa.read(
        saved.read_bytes(), "image/jpeg", trust_anchors_pem=signing.trust_anchors.read_text()
    )
    assert report.valid, report.errors
    # One job only, though the client sent an Idempotency-Key it could retry with.
    assert GenerationJob.objects.filter(project=project).count() == 1
