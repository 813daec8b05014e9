"""Compliance officers govern usage policy through the API as in the admin:
versioned, audited, refused to members and API keys."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.api.keys import api_key_create
from apps.audit.models import AuditEvent
from apps.core.exceptions import PolicyRefused
from apps.generation.services import GenerationParams, generation_request
from apps.policies.models import PolicyVersion, UsagePolicy

pytestmark = pytest.mark.django_db


def _as(user=None, token=None):
    client = APIClient()
    if user:
        client.force_authenticate(user)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _url(scope="spring"):
    return reverse("api-usage-policy-govern", args=[scope])


def test_a_compliance_officer_gives_a_project_its_own_policy_which_the_gate_applies(
    compliance_officer, project, owner, draft_route
):
    response = _as(compliance_officer).patch(_url(), {"max_steps": 4}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["project"] == "spring" and body["max_steps"] == 4 and body["version"] == 1
    # Copied from the site default, then changed: the other fields are the default's.
    default = UsagePolicy.objects.get(project=None)
    assert body["max_width"] == default.max_width
    event = AuditEvent.objects.filter(action="policy.edit").latest("sequence")
    assert event.actor_username == "compliance" and event.payload["key"] == "usage:spring"
    assert PolicyVersion.objects.filter(key="usage:spring", version=1).exists()

    params = GenerationParams(route="draft", width=256, height=256, prompt="a shoe", steps=8)
    with pytest.raises(PolicyRefused):
        generation_request(actor=owner, project=project, params=params)


def test_routes_are_named_and_bad_values_answer_field_errors_without_a_new_version(
    compliance_officer, project, draft_route
):
    client = _as(compliance_officer)
    ok = client.patch(_url(), {"allowed_routes": ["draft"]}, format="json")
    assert ok.status_code == 200 and ok.json()["allowed_routes"] == ["draft"]
    bad = client.patch(_url(), {"max_steps": 0, "allowed_routes": ["nope"]}, format="json")
    assert bad.status_code == 400
    assert bad["Content-Type"] == "application/problem+json"
    assert set(bad.json()["errors"]) == {"max_steps", "allowed_routes"}
    assert UsagePolicy.objects.get(project=project).version == 1


def test_removing_a_projects_own_policy_falls_back_to_the_default(compliance_officer, project):
    client = _as(compliance_officer)
    client.patch(_url(), {"legal_hold": True, "legal_hold_reason": "Case 12"}, format="json")
    assert client.delete(_url()).status_code == 204
    assert client.get(_url()).json()["project"] is None
    assert client.delete(_url()).status_code == 404
    assert client.delete(_url("default")).status_code == 403
    assert AuditEvent.objects.filter(action="policy.edit", payload__deleted=True).exists()


def test_the_site_default_is_changed_and_every_policy_listed(compliance_officer, project):
    client = _as(compliance_officer)
    response = client.patch(_url("default"), {"quarantine_retention_days": 7}, format="json")
    assert response.status_code == 200 and response.json()["project"] is None
    client.patch(_url(), {"max_steps": 20}, format="json")
    listed = client.get(reverse("api-usage-policies")).json()["results"]
    assert [p["project"] for p in listed] == [None, "spring"]
    assert client.get(_url("no-such-project")).status_code == 404


def test_members_and_api_keys_cannot_govern_policy(owner, project, compliance_officer):
    key = api_key_create(
        actor=owner,
        project=project,
        name="CMS",
        scopes=["assets:read", "generations:submit", "review"],
    )
    for client in (_as(owner), _as(token=key.token)):
        assert client.patch(_url(), {"max_steps": 1}, format="json").status_code == 403
        assert client.get(reverse("api-usage-policies")).status_code == 403
    assert not UsagePolicy.objects.filter(project=project).exists()
    # Members still read the policy in force for their own project.
    assert _as(owner).get(reverse("api-usage-policy", args=["spring"])).status_code == 200
