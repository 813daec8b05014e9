"""The services emit webhook events in their own transactions."""

from __future__ import annotations

import pytest

from apps.approvals.services import asset_decide, asset_submit, asset_withdraw
from apps.core.exceptions import PolicyRefused
from apps.generation.services import GenerationParams, generation_claim, generation_request
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import webhook_endpoint_create
from tests.generation.images import complete, picture_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(owner, project, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return webhook_endpoint_create(
        actor=owner,
        project=project,
        url="http://127.0.0.1:9/hook",
        events=["job.completed", "job.refused", "asset.approved", "asset.withdrawn"],
    )


def test_generation_and_review_emit_their_events(endpoint, member, reviewer, project, draft_route):
    params = GenerationParams(route="draft", width=256, height=256, prompt="a red ball")
    job = generation_request(actor=member, project=project, params=params)
    claim = generation_claim(job_id=job.pk, worker="w")
    asset = complete(job_id=job.pk, attempt=claim.attempt, png=picture_png())
    asset_submit(actor=member, asset=asset)
    asset_decide(actor=reviewer, asset=asset, verdict="approve")
    asset_withdraw(actor=reviewer, asset=asset, comment="Recalled.")
    with pytest.raises(PolicyRefused):
        generation_request(
            actor=member,
            project=project,
            params=GenerationParams(
                route="draft", width=256, height=256, prompt="nude photo of a child"
            ),
        )
    events = list(WebhookDelivery.objects.order_by("created_at").values_list("event", flat=True))
    assert events == ["job.completed", "asset.approved", "asset.withdrawn", "job.refused"]
    refused = WebhookDelivery.objects.get(event="job.refused")
    assert "child" not in str(refused.payload)


def test_compliance_officers_see_endpoints_without_the_secret(client, endpoint, compliance_officer):
    from django.urls import reverse

    client.force_login(compliance_officer)
    listing = client.get(reverse("admin:webhooks_webhookendpoint_changelist"))
    assert listing.status_code == 200
    page = client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.endpoint.pk]))
    assert page.status_code == 200 and endpoint.secret not in page.content.decode()
