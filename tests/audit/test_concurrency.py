"""Concurrent writers on separate connections never fork the chain or leave a gap."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from apps.audit.models import Action, AuditEvent
from apps.audit.services import audit_record
from apps.audit.verify import verify_chain

WRITERS = 8
EVENTS_PER_WRITER = 1000


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_make_one_gapless_valid_chain():
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for i in range(EVENTS_PER_WRITER):
                audit_record(
                    actor=None,
                    actor_username=f"writer-{writer}",
                    action=Action.POLICY_DECISION,
                    payload={"writer": writer, "i": i},
                )
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began

    assert not errors, errors
    total = WRITERS * EVENTS_PER_WRITER
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, total + 1))
    for writer in range(WRITERS):
        assert AuditEvent.objects.filter(actor_username=f"writer-{writer}").count() == (
            EVENTS_PER_WRITER
        )
    result = verify_chain()
    assert result.ok, result.summary()
    assert result.checked == total
    print(f"\n{total} events by {WRITERS} writers in {elapsed:.1f} s ({total / elapsed:.0f}/s)")
