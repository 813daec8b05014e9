"""REST API v1: API keys (scopes, project, revocation), problem+json errors,
idempotent submission, assets with ETags, review through the same services."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.api.keys import api_key_create, api_key_revoke, api_key_rotate
from apps.api.serializers import AssetOut
from apps.approvals.services import asset_decide, asset_submit
from apps.audit.models import AuditEvent
from apps.generation.models import GenerationJob
from apps.generation.services import GenerationParams, generation_claim, generation_request
from tests.generation.images import complete, deliver, picture_png

pytestmark = pytest.mark.django_db

ALL = ["assets:read", "generations:submit", "review"]


def _client(token=None, user=None):
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    if user:
        client.force_authenticate(user)
    return client


@pytest.fixture
def key(owner, project):
    return api_key_create(actor=owner, project=project, name="CMS", scopes=ALL)


def _jobs_url(slug="spring"):
    return reverse("api-jobs", args=[slug])


def _asset(user, project, approve_by=None):
    params = GenerationParams(route="draft", width=256, height=256, prompt="a red ball")
    job = generation_request(actor=user, project=project, params=params)
    claim = generation_claim(job_id=job.pk, worker="w")
    asset = complete(job_id=job.pk, attempt=claim.attempt, png=picture_png())
    if approve_by:
        asset_submit(actor=user, asset=asset)
        asset_decide(actor=approve_by, asset=asset, verdict="approve")
    return asset


def test_the_token_is_shown_once_stored_as_a_keyed_hash_and_audited(key):
    assert key.token.startswith(f"imp_{key.key.prefix}_")
    secret = key.token.split("_", 2)[2]
    assert secret not in str(key.key.secret_hmac) and len(key.key.secret_hmac) == 64
    assert AuditEvent.objects.filter(action="api_key.create").exists()


def test_a_key_submits_a_generation_and_reads_its_status(key, draft_route):
    client = _client(key.token)
    response = client.post(
        _jobs_url(),
        {"route": "draft", "width": 256, "height": 256, "prompt": "a red shoe"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    job = response.json()
    assert job["status"] == "queued" and job["steps"] == 8
    detail = client.get(reverse("api-job", args=["spring", job["id"]]))
    assert detail.status_code == 200 and detail.json()["progress"] == 0


def test_idempotent_retry_returns_the_same_job_and_a_changed_body_is_refused(key, draft_route):
    client = _client(key.token)
    body = {"route": "draft", "width": 256, "height": 256, "prompt": "a red shoe", "seed": 5}
    first = client.post(_jobs_url(), body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post(_jobs_url(), body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert GenerationJob.objects.count() == 1
    other = client.post(
        _jobs_url(), body | {"seed": 6}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert other.json()["type"].endswith("idempotency-mismatch")


def test_errors_are_problem_json_with_field_errors_and_policy_rules(key, draft_route):
    client = _client(key.token)
    bad = client.post(
        _jobs_url(), {"route": "draft", "width": 500, "height": 256, "prompt": "x"}, format="json"
    )
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert "size" in bad.json()["errors"]
    refused = client.post(
        _jobs_url(),
        {"route": "draft", "width": 256, "height": 256, "prompt": "nude photo of a child"},
        format="json",
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["rules"] and "child" not in str(problem)


def test_a_revoked_key_is_refused_on_its_very_next_request(key, owner, draft_route):
    client = _client(key.token)
    assert client.get(_jobs_url()).status_code == 200
    api_key_revoke(actor=owner, key=key.key)
    response = client.get(_jobs_url())
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_rotation_issues_a_new_key_and_retires_the_old(key, owner, draft_route):
    new = api_key_rotate(actor=owner, key=key.key)
    assert _client(key.token).get(_jobs_url()).status_code == 401
    assert _client(new.token).get(_jobs_url()).status_code == 200


@pytest.mark.parametrize(
    ("scopes", "url_name", "method", "expected"),
    [
        (["assets:read"], "api-jobs", "get", 403),
        (["assets:read"], "api-assets", "get", 200),
        (["generations:submit"], "api-assets", "get", 403),
        (["generations:submit"], "api-jobs", "get", 200),
    ],
)
def test_scopes_limit_what_a_key_may_do(
    owner, project, draft_route, scopes, url_name, method, expected
):
    new = api_key_create(actor=owner, project=project, name="k", scopes=scopes)
    response = getattr(_client(new.token), method)(reverse(url_name, args=["spring"]))
    assert response.status_code == expected


def test_another_projects_objects_answer_404(key, outsider, member, project, draft_route):
    from apps.projects.models import Project

    other = Project.objects.get(slug="other")
    other_key = api_key_create(actor=outsider, project=other, name="k", scopes=ALL)
    asset = _asset(member, project)
    client = _client(other_key.token)
    assert client.get(reverse("api-project", args=["spring"])).status_code == 404
    assert client.get(reverse("api-asset", args=["spring", asset.pk])).status_code == 404
    assert client.get(reverse("api-asset", args=["other", asset.pk])).status_code == 404
    listed = client.get(reverse("api-projects")).json()["results"]
    assert [p["slug"] for p in listed] == ["other"]


def test_a_read_key_sees_only_approved_assets_and_downloads_with_an_etag(
    owner, member, reviewer, project, draft_route, signing
):
    draft = _asset(member, project)
    approved = deliver(_asset(member, project, approve_by=reviewer))
    reader = api_key_create(actor=owner, project=project, name="r", scopes=["assets:read"])
    client = _client(reader.token)
    ids = [a["id"] for a in client.get(reverse("api-assets", args=["spring"])).json()["results"]]
    assert ids == [str(approved.pk)] and str(draft.pk) not in ids
    detail = client.get(reverse("api-asset", args=["spring", approved.pk])).json()
    # The list's fast path writes each row exactly as the detail (AssetOut) does.
    listed = client.get(reverse("api-assets", args=["spring"])).json()["results"][0]
    assert listed == {name: detail[name] for name in listed}
    assert set(listed) == set(AssetOut.Meta.fields)
    assert detail["provenance"]["c2pa"] == "signed" and detail["lineage"] == [str(approved.pk)]
    url = reverse("api-rendition-file", args=["spring", approved.pk, "thumbnail"])
    response = client.get(url)
    assert response.status_code == 200
    etag = response["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_review_through_the_api_keeps_separation_of_duties(
    key, owner, member, project, draft_route
):
    client = _client(key.token)
    created = client.post(
        _jobs_url(),
        {"route": "draft", "width": 256, "height": 256, "prompt": "a shoe"},
        format="json",
    ).json()
    job = GenerationJob.objects.get(pk=created["id"])
    claim = generation_claim(job_id=job.pk, worker="w")
    asset = complete(job_id=job.pk, attempt=claim.attempt, png=picture_png())
    assert client.post(reverse("api-submit", args=["spring", asset.pk])).status_code == 200
    own = client.post(
        reverse("api-decide", args=["spring", asset.pk]), {"verdict": "approve"}, format="json"
    )
    assert own.status_code == 409 and "someone else" in own.json()["detail"]
    person = _client(user=owner)
    decided = person.post(
        reverse("api-decide", args=["spring", asset.pk]),
        {"verdict": "request_changes", "comment": "Brighter."},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["state"] == "changes_requested"


def test_the_schema_and_docs_are_served(client, owner):
    client.force_login(owner)
    schema = client.get(reverse("api-schema"))
    assert schema.status_code == 200 and b"/api/v1/projects/{slug}/jobs/" in schema.content
    assert client.get(reverse("api-docs")).status_code == 200


def test_the_portal_shows_a_new_key_once(client, owner, project):
    client.force_login(owner)
    url = reverse("projects:api-keys", args=[project.slug])
    response = client.post(url, {"name": "CMS", "scopes": ["assets:read"], "expires_in_days": 30})
    token = response.context["token"]
    assert token and token in response.content.decode()
    assert token not in client.get(url).content.decode()


def test_share_links_through_the_api(owner, member, reviewer, project, draft_route, signing):
    approved = deliver(_asset(member, project, approve_by=reviewer))
    sharer = api_key_create(
        actor=owner, project=project, name="s", scopes=["assets:read", "generations:submit"]
    )
    client = _client(sharer.token)
    url = reverse("api-share-links", args=["spring", approved.pk])
    created = client.post(url, {"expires_in_days": 2, "max_downloads": 1}, format="json")
    assert created.status_code == 201 and "/s/" in created.json()["url"]
    assert [link["prefix"] for link in client.get(url).json()["results"]] == [
        created.json()["prefix"]
    ]
    revoke = reverse("api-share-link-revoke", args=["spring", approved.pk, created.json()["id"]])
    assert client.post(revoke).json()["revoked_at"] is not None


def test_only_compliance_officers_read_the_audit_trail(compliance_officer, owner, key):
    url = reverse("api-audit-events")
    officer = _client(user=compliance_officer).get(url, {"action": "api_key.create"})
    assert officer.status_code == 200
    assert [e["action"] for e in officer.json()["results"]] == ["api_key.create"]
    assert _client(user=owner).get(url).status_code == 403
    assert _client(key.token).get(url).status_code == 403


def test_the_usage_policy_in_force_is_readable(key):
    response = _client(key.token).get(reverse("api-usage-policy", args=["spring"]))
    assert response.status_code == 200 and response.json()["intended_use"] == "commercial"


def test_templates_are_created_and_versioned_through_the_api(key, project):
    client = _client(key.token)
    created = client.post(
        reverse("api-templates", args=["spring"]),
        {"name": "Hero", "body": "Photo of {product}"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["variables"] == ["product"]
    versioned = client.post(
        reverse("api-template-versions", args=["spring", created.json()["id"]]),
        {"body": "Studio photo of {product} on {surface}"},
        format="json",
    )
    assert versioned.status_code == 201 and versioned.json()["version"] == 2
    refused = client.post(
        reverse("api-template-versions", args=["spring", created.json()["id"]]),
        {"body": "Nude photo of {person}"},
        format="json",
    )
    assert refused.status_code == 400 and "body" in refused.json()["errors"]


def test_a_job_is_cancelled_before_it_runs_and_never_claimed(key, member, project, draft_route):
    from apps.generation.services import Claim

    client = _client(key.token)
    job = client.post(
        _jobs_url(),
        {"route": "draft", "width": 256, "height": 256, "prompt": "a shoe"},
        format="json",
    ).json()
    other = generation_request(
        actor=member,
        project=project,
        params=GenerationParams(route="draft", width=256, height=256, prompt="a hat"),
    )
    cancelled = client.post(reverse("api-job-cancel", args=["spring", job["id"]]))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert generation_claim(job_id=job["id"], worker="w").outcome is Claim.GONE
    # Not the key's job, and the key is no manager.
    refused = client.post(reverse("api-job-cancel", args=["spring", other.pk]))
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(action="generation.cancel").count() == 1


def test_a_running_job_that_is_cancelled_stores_nothing(member, project, draft_route, client):
    from apps.generation.services import generation_progress

    job = generation_request(
        actor=member,
        project=project,
        params=GenerationParams(route="draft", width=256, height=256, prompt="a hat"),
    )
    claim = generation_claim(job_id=job.pk, worker="w")
    client.force_login(member)
    client.post(reverse("projects:job-cancel", args=["spring", job.pk]))
    assert not generation_progress(job_id=job.pk, attempt=claim.attempt, stage="denoising", step=1)
    from apps.generation.models import GenerationJob as Job
    from apps.generation.services import generation_complete
    from apps.policies.gate import Verdict

    assert (
        generation_complete(
            job_id=job.pk,
            attempt=claim.attempt,
            png=picture_png(),
            first_image_at=job.created_at,
            image_verdict=Verdict(),
        )
        is None
    )
    assert Job.objects.get(pk=job.pk).status == "cancelled"
