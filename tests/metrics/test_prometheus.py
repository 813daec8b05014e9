"""/metrics: never public; its figures come from the rows, the real broker and
the workers' Redis beats, so any web process on any host tells the same story."""

from __future__ import annotations

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from apps.generation.services import GenerationParams, generation_claim, generation_request
from apps.metrics import workers
from tests.generation.images import complete, picture_png
from tests.workers import delete_queues

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-for-tests"  # noqa: S105


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def _scrape(client, token=TOKEN):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:200]
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_not_public(client, token, owner, compliance_officer):
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    client.force_login(owner)  # a project manager: the dashboard, not the scrape
    assert client.get(reverse("metrics:prometheus")).status_code == 401
    client.force_login(compliance_officer)
    assert client.get(reverse("metrics:prometheus")).status_code == 200


def test_no_token_configured_means_no_bearer_access(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_stage_histograms_job_counts_and_filter_decisions(
    client, token, member, project, draft_route
):
    params = GenerationParams(route="draft", width=256, height=256, prompt="a red ball")
    job = generation_request(actor=member, project=project, params=params)
    claim = generation_claim(job_id=job.pk, worker="w")
    complete(job_id=job.pk, attempt=claim.attempt, png=picture_png())
    refused = GenerationParams(route="draft", width=256, height=256, prompt="a nude woman")
    with pytest.raises(Exception, match="policy"):
        generation_request(actor=member, project=project, params=refused)

    samples = _scrape(client)
    ttf = (("route", "draft"), ("stage", "ttf"))
    assert samples[("imprimatur_job_stage_seconds_count", ttf)] == 1
    assert samples[("imprimatur_job_stage_seconds_bucket", (("le", "+Inf"), *ttf))] == 1
    assert samples[("imprimatur_job_stage_seconds_sum", ttf)] > 0
    assert samples[("imprimatur_jobs_total", (("route", "draft"), ("status", "succeeded")))] == 1
    refusals = {
        labels: value
        for (name, labels), value in samples.items()
        if name == "imprimatur_filter_decisions_total" and ("outcome", "refused") in labels
    }
    assert refusals and all(dict(labels)["category"] for labels in refusals)
    allowed = (("category", ""), ("outcome", "allowed"), ("stage", "request"))
    assert samples[("imprimatur_filter_decisions_total", allowed)] >= 1


def test_queue_depth_comes_from_the_broker(
    client, token, member, project, draft_route, django_capture_on_commit_callbacks
):
    params = GenerationParams(route="draft", width=256, height=256, prompt="a red ball")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            generation_request(actor=member, project=project, params=params)
            generation_request(actor=member, project=project, params=params)
        samples = _scrape(client)
        key = (("kind", "generation"), ("queue", draft_route.queue))
        assert samples[("imprimatur_queue_depth", key)] == 2
        assert samples[("imprimatur_queue_consumers", key)] == 0
        assert samples[("imprimatur_broker_up", ())] == 1
        waiting = (("queue", draft_route.queue), ("status", "queued"))
        assert samples[("imprimatur_jobs_waiting", waiting)] == 2
    finally:
        delete_queues([draft_route.queue])


def test_workers_report_up_and_busy_through_their_beats(client, token, settings):
    settings.METRICS_WORKER_BEAT_SECONDS = 5
    saved = dict(workers._state)
    workers._state.update(hostname="gpu-test@metrics", queues=["gpu-test-q"], busy=1)
    try:
        workers.beat_once()
        samples = _scrape(client)
        assert samples[("imprimatur_workers_up", (("queue", "gpu-test-q"),))] == 1
        assert samples[("imprimatur_workers_busy", (("queue", "gpu-test-q"),))] == 1
    finally:
        workers._client().delete(workers.KEY_PREFIX + "gpu-test@metrics")
        workers._state.clear()
        workers._state.update(saved)
    assert ("imprimatur_workers_up", (("queue", "gpu-test-q"),)) not in _scrape(client)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_is_counted_while_it_runs_and_not_after(client, token, tmp_path):
    import time

    from tests.workers import start_worker

    queue = f"metrics-{time.monotonic_ns()}"
    worker = start_worker([queue], "metrics-beat", tmp_path)
    key = ("imprimatur_workers_up", (("queue", queue),))
    try:
        deadline = time.monotonic() + 20
        while key not in _scrape(client) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _scrape(client)[key] == 1
    finally:
        worker.stop()
        delete_queues([queue])
    # A clean stop removes the beat at once (a crashed worker's expires).
    assert key not in _scrape(client)
