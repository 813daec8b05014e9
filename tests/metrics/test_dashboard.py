"""Managers read their projects' figures in the portal, compliance officers every
project's in the admin; nobody else. Figures come from real jobs and reviews."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.approvals.models import Transition
from apps.generation.models import GenerationJob
from apps.projects.models import Role
from apps.projects.services import membership_set
from tests.factories import ProjectFactory, UserFactory
from tests.metrics.lineages import reviewed_lineage

pytestmark = pytest.mark.django_db


@pytest.fixture
def lineage(member, reviewer, project, draft_route):
    return reviewed_lineage(member, reviewer, project)


def _login(client, user):
    client.force_login(user)
    return client


def test_a_manager_sees_ltaq_pass_rate_and_iterations_for_their_project(client, owner, lineage):
    response = _login(client, owner).get(reverse("metrics:dashboard"), {"group": "user"})
    assert response.status_code == 200
    report = response.context["report"]
    tiles = {t["key"]: t for t in response.context["tiles"]}
    # LTAQ runs from the first draft's request, an hour before the approval.
    assert 3590 < tiles["ltaq"]["p50"] < 3700
    assert tiles["iterations"]["p50"] == 2
    assert tiles["ttf"]["n"] == 2
    assert response.context["counts"]["pass_rate"] == 0.5
    assert [row["value"] for row in response.context["breakdown"]] == ["member"]
    assert len(report.jobs) == 2
    page = response.content.decode()
    assert "Latency to an acceptable image" in page and "<svg" in page and "50%" in page


def test_the_csv_holds_one_row_per_job_and_per_reviewed_asset(client, owner, lineage):
    client = _login(client, owner)
    jobs = client.get(reverse("metrics:dashboard"), {"download": "jobs"})
    assert jobs["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(jobs.content.decode())))
    assert len(rows) == 2 and all(float(r["ttf_s"]) > 0 for r in rows)
    assert {r["project"] for r in rows} == {"spring"} and rows[0]["route"] == "draft"
    assets = client.get(reverse("metrics:dashboard"), {"download": "assets"})
    rows = list(csv.DictReader(io.StringIO(assets.content.decode())))
    assert sorted(r["passed"] for r in rows) == ["false", "true"]
    assert [r["iterations"] for r in rows if r["state"] == "approved"] == ["2"]


def test_managers_see_only_their_projects_and_members_none(client, owner, member, lineage):
    other_owner = UserFactory(username="other-owner")
    other = ProjectFactory(owner=other_owner, name="Autumn", slug="autumn")
    membership_set(actor=other_owner, project=other, user=owner, role=Role.CREATOR)
    _login(client, owner)
    response = client.get(reverse("metrics:dashboard"), {"project": "autumn"})
    # Not a manager there: not a choice, and the figures stay those of spring.
    assert response.status_code == 200
    assert [c[0] for c in response.context["form"].fields["project"].choices] == ["", "spring"]
    assert response.context["report"].jobs and all(
        j.dims["project"] == "spring" for j in response.context["report"].jobs
    )
    client.force_login(member)
    assert client.get(reverse("metrics:dashboard")).status_code == 403
    client.force_login(other_owner)
    assert client.get(reverse("metrics:dashboard")).context["report"].jobs == []


def test_compliance_officers_see_every_project_in_the_admin(client, compliance_officer, lineage):
    client.force_login(compliance_officer)
    response = client.get(reverse("admin:metrics_dashboard_changelist"))
    assert response.status_code == 200
    assert len(response.context["report"].jobs) == 2
    assert "Metrics: every project" in response.content.decode()
    index = client.get(reverse("admin:index")).content.decode()
    assert "Metrics dashboard" in index


def test_a_staff_user_without_the_permission_gets_no_admin_dashboard(client, owner):
    owner.is_staff = True
    owner.save()
    client.force_login(owner)
    assert client.get(reverse("admin:metrics_dashboard_changelist")).status_code == 403


def test_old_decisions_fall_outside_the_period(client, owner, lineage):
    Transition.objects.update(created_at=timezone.now() - timedelta(days=40))
    GenerationJob.objects.update(created_at=timezone.now() - timedelta(days=40))
    response = _login(client, owner).get(reverse("metrics:dashboard"), {"days": 30})
    assert response.context["report"].assets == [] and response.context["report"].jobs == []
    assert (
        _login(client, owner)
        .get(reverse("metrics:dashboard"), {"days": 90})
        .context["counts"]["approved"]
        == 1
    )


def test_compliance_officers_do_not_get_every_project_in_the_portal(
    client, compliance_officer, lineage
):
    client.force_login(compliance_officer)
    assert client.get(reverse("metrics:dashboard")).status_code == 403
