"""Make audit_auditevent append-only on PostgreSQL.

Rows may be inserted, never changed, deleted or truncated. The one UPDATE let
through is Django's on_delete=SET_NULL when a user or project is deleted: a
foreign key going to NULL with every other column unchanged (the hash covers
the recorded ids, not the foreign keys, so the chain still verifies).

Nothing in the product bypasses this. Test databases are flushed with
session_replication_role = replica by tests/support's flush command.
SQLite (the demo) gets no triggers.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.actor_id IS NULL OR NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id)
           AND (NEW.project_id IS NULL OR NEW.project_id IS NOT DISTINCT FROM OLD.project_id)
           AND (to_jsonb(NEW) - 'actor_id' - 'project_id')
               = (to_jsonb(OLD) - 'actor_id' - 'project_id')
        THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING HINT = 'Audit events are never changed or removed.';
END;
$$;

CREATE TRIGGER audit_auditevent_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only();

CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_auditevent_no_update_delete ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_append_only();
"""


class PostgreSQLOnlyRunSQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases (the demo's SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [PostgreSQLOnlyRunSQL(FORWARD, BACKWARD)]
