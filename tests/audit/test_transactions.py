"""An event commits or rolls back with the change it records; the sequence stays gapless."""

from __future__ import annotations

import pytest
from django.db import transaction

from apps.audit.models import Action, AuditEvent
from apps.audit.services import audit_record
from apps.audit.verify import verify_chain
from apps.projects.models import Project

from .conftest import record_events

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_event_written_in_a_rolled_back_transaction_is_gone(owner):
    record_events(2)
    with pytest.raises(Boom), transaction.atomic():
        project = Project.objects.create(name="Doomed", slug="doomed", created_by=owner)
        audit_record(actor=owner, action=Action.PROJECT_CREATE, target=project, project=project)
        raise Boom
    assert not Project.objects.filter(slug="doomed").exists()
    assert not AuditEvent.objects.filter(action=Action.PROJECT_CREATE).exists()
    after = audit_record(actor=owner, action=Action.SETTING_EDIT)
    assert after.sequence == 3
    assert list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)) == [
        1,
        2,
        3,
    ]
    assert verify_chain().ok


def test_rolled_back_savepoint_takes_only_its_own_event(owner):
    with transaction.atomic():
        audit_record(actor=owner, action=Action.SETTING_EDIT, payload={"kept": 1})
        with pytest.raises(Boom), transaction.atomic():
            audit_record(actor=owner, action=Action.SETTING_EDIT, payload={"kept": 0})
            raise Boom
        audit_record(actor=owner, action=Action.SETTING_EDIT, payload={"kept": 2})
    payloads = list(AuditEvent.objects.order_by("sequence").values_list("sequence", "payload"))
    assert payloads == [(1, {"kept": 1}), (2, {"kept": 2})]
    assert verify_chain().ok


def test_failed_audit_write_rolls_back_the_change_it_records(owner):
    with pytest.raises(ValueError), transaction.atomic():
        Project.objects.create(name="Half", slug="half", created_by=owner)
        audit_record(actor=owner, action="not.an.action")
    assert not Project.objects.filter(slug="half").exists()


def test_service_change_and_its_event_commit_together(owner):
    from apps.projects.services import project_create

    project = project_create(actor=owner, name="Summer", slug="summer")
    event = AuditEvent.objects.get(action=Action.PROJECT_CREATE, project_slug="summer")
    assert event.project == project
    assert event.actor == owner
