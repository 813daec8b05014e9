"""On PostgreSQL the table refuses UPDATE, DELETE and TRUNCATE, whoever asks."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connection, transaction

from apps.audit.models import AuditEvent

from .conftest import record_events

pytestmark = pytest.mark.django_db


def test_update_is_refused_by_the_database():
    event = record_events(1)[0]
    with pytest.raises(ProgrammingError, match="append-only: UPDATE refused"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="setting.edit")
    event.refresh_from_db()
    assert event.action == "policy.decision"


def test_saving_a_loaded_event_is_refused():
    event = record_events(1)[0]
    event.actor_username = "someone else"
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        event.save()


def test_delete_is_refused_by_the_database():
    event = record_events(1)[0]
    with pytest.raises(ProgrammingError, match="append-only: DELETE refused"), transaction.atomic():
        event.delete()
    with pytest.raises(ProgrammingError, match="append-only: DELETE refused"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_truncate_is_refused_by_the_database():
    record_events(2)
    with (
        pytest.raises(ProgrammingError, match="append-only: TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Fire the pending deferred foreign-key checks first, or PostgreSQL
        # refuses the TRUNCATE for that reason before the trigger is reached.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 2


def test_only_nulling_a_deleted_actor_is_let_through(owner, member):
    from apps.audit.services import audit_record

    event = audit_record(actor=owner, action="setting.edit")
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        # Pointing the event at someone else is not a deletion.
        AuditEvent.objects.filter(pk=event.pk).update(actor=member)
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        # Nor is nulling the actor while changing anything else.
        AuditEvent.objects.filter(pk=event.pk).update(actor=None, actor_username="x")
    AuditEvent.objects.filter(pk=event.pk).update(actor=None)  # what SET_NULL does
    event.refresh_from_db()
    assert event.actor_id is None and event.actor_username == "owner"


@pytest.mark.django_db(transaction=True)
def test_flush_used_by_transactional_tests_still_empties_the_table():
    """tests/support overrides flush; the product's own flush would be refused."""
    from django.core.management import call_command, get_commands
    from django.core.management.base import CommandError
    from django.core.management.commands.flush import Command as DjangoFlush

    assert get_commands()["flush"] == "tests.support"
    record_events(3)
    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command(DjangoFlush(), verbosity=0, interactive=False)
    assert AuditEvent.objects.count() == 3
    call_command("flush", verbosity=0, interactive=False)
    assert AuditEvent.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
