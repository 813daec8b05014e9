"""`flush` that can empty the append-only audit table, for tests only.

pytest-django's transactional tests (and Django's TransactionTestCase) clean
up by calling `flush`, which TRUNCATEs every table. On PostgreSQL the audit
trail's triggers refuse TRUNCATE (apps/audit/migrations/0002), so the plain
command would fail after every transactional test. This override runs
Django's flush with `session_replication_role = replica`, under which ordinary
triggers do not fire. Setting it needs a superuser, which the test role is.

It lives in a test-only app that config.settings.test puts first in
INSTALLED_APPS, so it shadows Django's command there and nowhere else: the
product keeps no way around the triggers.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            super().handle(**options)
            return
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
