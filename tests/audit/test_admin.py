"""The audit trail in the admin: who may see it, filters, exports, verification, audited admins."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.contrib.admin.sites import AdminSite
from django.contrib.auth.models import Permission
from django.forms import modelform_factory
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from apps.audit import chain
from apps.audit.admin_mixins import AuditedModelAdmin
from apps.audit.models import Action, AuditEvent
from apps.audit.services import audit_record
from apps.projects.models import Project

from ..factories import UserFactory
from .conftest import record_events, tampering

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:audit_auditevent_changelist"


@pytest.fixture
def officer():
    """A compliance officer: staff with the model's view permission, nothing else."""
    user = UserFactory(username="officer", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="audit", codename="view_auditevent")
    )
    return user


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def _body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_staff_without_the_permission_is_refused(client):
    client.force_login(UserFactory(username="staffer", is_staff=True))
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_verify")).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_export", args=["csv"])).status_code == 403


def test_officer_sees_the_list(officer_client):
    record_events(3)
    response = officer_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 4  # three, and the officer's login
    content = response.content.decode()
    assert "Export CSV" in content and "Verify chain" in content


def test_superuser_sees_the_list(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get(reverse(CHANGELIST)).status_code == 200


def test_nobody_can_add_change_or_delete_events(client):
    event = record_events(1)[0]
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(change_url, {"action": "setting.edit"}).status_code == 403


def test_detail_page_shows_the_payload_pretty_printed(officer_client, project, owner):
    event = audit_record(
        actor=owner,
        action=Action.PROJECT_EDIT,
        target=project,
        project=project,
        payload={"before": {"name": "Old <b>"}, "after": {"name": "New"}},
    )
    page = officer_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    content = page.content.decode()
    assert "<pre" in content
    assert "&quot;before&quot;: {\n    &quot;name&quot;: &quot;Old &lt;b&gt;&quot;" in content
    assert event.hash in content


def test_list_filters_by_action_actor_project_and_dates(officer_client, project, owner):
    record_events(2)
    audit_record(actor=owner, action=Action.PROJECT_EDIT, target=project, project=project)
    url = reverse(CHANGELIST)

    def count(**params: str) -> int:
        response = officer_client.get(url, params)
        assert response.status_code == 200, response
        return response.context["cl"].result_count

    assert count(action__exact="project.edit") == 1
    assert count(actor_username__exact="system") == 2
    assert count(project_slug__exact="spring") >= 1
    today = timezone.now().date()
    assert count(created_at__gte=str(today), created_at__lt=str(today)) >= 3
    assert count(created_at__lt=str(today - dt.timedelta(days=1))) == 0
    assert count(q="spring") >= 1
    assert officer_client.get(url, {"created_at__gte": "not-a-date"}).status_code == 302


def test_csv_export_streams_the_filtered_rows_and_is_audited(officer_client, officer):
    record_events(5)
    audit_record(actor=None, actor_username="=cmd|' /C calc'!A0", action=Action.SETTING_EDIT)
    url = reverse("admin:audit_auditevent_export", args=["csv"])
    response = officer_client.post(f"{url}?action__exact=policy.decision")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    expected = AuditEvent.objects.filter(action="policy.decision").order_by("sequence")
    assert [int(r["sequence"]) for r in rows] == [e.sequence for e in expected]
    assert len(rows) == 5
    assert {r["action"] for r in rows} == {"policy.decision"}
    assert json.loads(rows[0]["payload"]) == {"n": 0, "allowed": True}
    export = AuditEvent.objects.get(action=Action.AUDIT_EXPORT)
    assert export.actor == officer
    assert export.payload == {"format": "csv", "filter": {"action__exact": "policy.decision"}}

    everything = list(csv.DictReader(io.StringIO(_body(officer_client.post(url)))))
    injected = next(r for r in everything if r["action"] == "setting.edit")
    assert injected["actor_username"].startswith("'=")  # not run as a spreadsheet formula


def test_jsonl_export_carries_everything_needed_to_recompute_the_hashes(officer_client):
    record_events(4)
    url = reverse("admin:audit_auditevent_export", args=["jsonl"])
    response = officer_client.post(f"{url}?actor_username__exact=system")
    assert response["Content-Type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in _body(response).splitlines()]
    expected = AuditEvent.objects.filter(actor_username="system").order_by("sequence")
    assert [r["sequence"] for r in records] == [e.sequence for e in expected]
    assert len(records) == 4
    for record in records:
        fields = {k: v for k, v in record.items() if k != "hash"}
        assert chain.compute_hash(record["prev_hash"], fields) == record["hash"]
    event = AuditEvent.objects.get(action=Action.AUDIT_EXPORT)
    assert event.payload["format"] == "jsonl"


def test_export_needs_post(officer_client):
    url = reverse("admin:audit_auditevent_export", args=["csv"])
    assert officer_client.get(url).status_code == 405
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORT).exists()


def test_verify_page_shows_ok_on_a_clean_chain_and_is_audited(officer_client, officer):
    record_events(5)
    url = reverse("admin:audit_auditevent_verify")
    assert "Verify chain" in officer_client.get(url).content.decode()
    assert not AuditEvent.objects.filter(action=Action.AUDIT_VERIFY).exists()
    response = officer_client.post(url)
    content = response.content.decode()
    assert response.status_code == 200
    assert "OK &mdash; 6 events verified" in content
    event = AuditEvent.objects.get(action=Action.AUDIT_VERIFY)
    assert event.actor == officer
    assert event.payload["ok"] is True and event.payload["checked"] == 6


def test_verify_page_names_the_first_bad_sequence(officer_client):
    record_events(5)
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET target_label = 'x' WHERE sequence = 3")
    content = officer_client.post(reverse("admin:audit_auditevent_verify")).content.decode()
    assert "TAMPERED at sequence 3" in content
    assert AuditEvent.objects.get(action=Action.AUDIT_VERIFY).payload["first_bad_sequence"] == 3


class TestAuditedModelAdmin:
    @pytest.fixture
    def model_admin(self):
        return AuditedModelAdmin(Project, AdminSite())

    @pytest.fixture
    def request_(self, owner):
        request = RequestFactory().post("/admin/")
        request.user = owner
        return request

    def test_addition_and_change_are_recorded_with_project_and_changed_values(
        self, model_admin, request_, project
    ):
        form_class = modelform_factory(Project, fields=["name", "slug", "description"])
        form = form_class(
            data={"name": "Spring relaunch", "slug": "spring", "description": ""},
            instance=project,
        )
        assert form.is_valid()
        message = model_admin.construct_change_message(request_, form, None)
        form.save()
        model_admin.log_change(request_, project, message)
        event = AuditEvent.objects.get(action=Action.ADMIN_CHANGE)
        assert event.project == project and event.actor_username == "owner"
        assert event.target_type == "projects.project"
        assert event.payload["change_message"] == [{"changed": {"fields": ["Name"]}}]
        assert event.payload["fields"] == {
            "name": {"before": "Spring launch", "after": "Spring relaunch"}
        }

        model_admin.log_addition(request_, project, [{"added": {}}])
        assert AuditEvent.objects.get(action=Action.ADMIN_ADD).payload["change_message"] == [
            {"added": {}}
        ]

    def test_deletion_is_recorded_before_the_object_goes(self, model_admin, request_, project):
        model_admin.log_deletions(request_, Project.objects.filter(pk=project.pk))
        event = AuditEvent.objects.get(action=Action.ADMIN_DELETE)
        assert event.target_label == "Spring launch" and event.project_slug == "spring"

    def test_secret_looking_fields_are_not_recorded(self, request_):
        from django.contrib.auth.forms import AdminUserCreationForm

        from apps.accounts.models import User

        class CreationForm(AdminUserCreationForm):
            class Meta(AdminUserCreationForm.Meta):
                model = User

        user_admin = AuditedModelAdmin(User, AdminSite())
        form = CreationForm(
            data={
                "username": "newbie",
                "password1": "A-very-secret-pw-1",
                "password2": "A-very-secret-pw-1",
                "usable_password": "true",
            }
        )
        assert form.is_valid(), form.errors
        message = user_admin.construct_change_message(request_, form, None, add=True)
        user = form.save()
        user_admin.log_addition(request_, user, message)
        event = AuditEvent.objects.get(action=Action.ADMIN_ADD)
        assert "A-very-secret-pw-1" not in json.dumps(event.payload)
        assert event.payload["fields"]["password1"] == "(not recorded)"
        assert event.payload["fields"]["username"] == {"before": None, "after": "newbie"}
