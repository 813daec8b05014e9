"""Signed checkpoints: written outside the database, audited, refused with the published key."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apps.audit import chain
from apps.audit.checkpoints import checkpoint_write, checkpoints_load, public_key_b64
from apps.audit.models import Action, AuditEvent
from apps.audit.tasks import write_checkpoint

from .conftest import new_key_b64, record_events, tampering

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_checkpoint_signs_the_head_as_read_then_records_itself():
    events = record_events(5)
    checkpoint = checkpoint_write()
    assert checkpoint is not None and checkpoint.path is not None
    document = json.loads(checkpoint.path.read_text())
    assert document["sequence"] == 5
    assert document["hash"] == events[-1].hash
    assert document["created_at"].endswith("Z")
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["public_key"]))
    signed = {k: v for k, v in document.items() if k != "signature"}
    public.verify(
        base64.b64decode(document["signature"]), chain.canonical_json(signed).encode()
    )  # raises if it does not verify
    own = AuditEvent.objects.get(sequence=6)
    assert own.action == Action.AUDIT_CHECKPOINT
    assert own.payload == {"sequence": 5, "hash": events[-1].hash, "file": checkpoint.path.name}
    assert checkpoint.path.parent == Path(settings.AUDIT_CHECKPOINT_DIR)
    assert stat.S_IMODE(checkpoint.path.stat().st_mode) == 0o444


def test_checkpoint_of_an_empty_chain_pins_genesis():
    checkpoint = checkpoint_write()
    assert checkpoint is not None
    assert (checkpoint.sequence, checkpoint.hash) == (0, "0" * 64)


def test_no_new_checkpoint_when_only_the_last_checkpoint_event_was_added():
    record_events(3)
    assert checkpoint_write() is not None
    assert checkpoint_write() is None
    assert write_checkpoint() is None
    assert checkpoint_write(force=True) is not None
    record_events(1)
    assert write_checkpoint() == 6  # 3 events, checkpoint event, forced one's event, 1 more
    good, bad = checkpoints_load()
    assert [c.sequence for c in good] == [3, 4, 6] and bad == []


def test_published_dev_key_is_refused_outside_debug(settings):
    settings.AUDIT_SIGNING_KEY = settings.AUDIT_DEV_SIGNING_KEY
    settings.DEBUG = False
    settings.AUDIT_ALLOW_DEV_KEY = False
    with pytest.raises(ImproperlyConfigured, match="published development key"):
        checkpoint_write()
    settings.AUDIT_ALLOW_DEV_KEY = True
    assert checkpoint_write() is not None
    settings.AUDIT_ALLOW_DEV_KEY = False
    settings.DEBUG = True
    assert checkpoint_write(force=True) is not None


def test_malformed_signing_key_is_a_configuration_error(settings):
    settings.AUDIT_SIGNING_KEY = "not base64!"
    with pytest.raises(ImproperlyConfigured, match="AUDIT_SIGNING_KEY"):
        checkpoint_write()


def test_checkpoints_of_a_rotated_key_verify_while_its_public_key_is_trusted(settings):
    from apps.audit.verify import Problem, verify_chain

    record_events(3)
    checkpoint_write()
    old_public = public_key_b64()
    settings.AUDIT_SIGNING_KEY = new_key_b64()
    settings.AUDIT_TRUSTED_PUBLIC_KEYS = [old_public]
    record_events(2)
    checkpoint_write()
    result = verify_chain()
    assert result.ok and result.checkpoints == 2, result.summary()
    settings.AUDIT_TRUSTED_PUBLIC_KEYS = []
    assert verify_chain().kind == Problem.BAD_CHECKPOINT


def test_verifier_can_hold_only_the_public_key(settings):
    from apps.audit.verify import verify_chain

    record_events(3)
    checkpoint_write()
    settings.AUDIT_TRUSTED_PUBLIC_KEYS = [public_key_b64()]
    settings.AUDIT_SIGNING_KEY = ""
    result = verify_chain()
    assert result.ok and result.checkpoints == 1, result.summary()


def test_checkpoint_task_is_scheduled_every_ten_minutes_on_the_cpu_queue():
    entry = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert entry["task"] == write_checkpoint.name == "apps.audit.tasks.write_checkpoint"
    assert entry["schedule"] == 600.0
    assert entry["options"] == {"queue": "cpu"}


def test_checkpoint_command_writes_and_reports(capsys):
    record_events(2)
    call_command("audit_checkpoint")
    assert "Checkpoint at sequence 2" in capsys.readouterr().out
    call_command("audit_checkpoint")
    assert "none written" in capsys.readouterr().out


def test_verify_command_reports_count_and_time_on_a_clean_chain(capsys):
    record_events(7)
    checkpoint_write()
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "OK: 8 events verified against 1 checkpoint(s)" in out
    assert " s." in out


def test_verify_command_fails_naming_the_first_bad_sequence():
    record_events(7)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 4")
    with pytest.raises(CommandError, match="TAMPERED at sequence 4: missing row") as error:
        call_command("audit_verify")
    assert error.value.returncode == 1


def test_keygen_prints_a_key_that_signs_and_its_public_key(capsys):
    call_command("audit_keygen")
    lines = capsys.readouterr().out.splitlines()
    private = base64.b64decode(lines[0].removeprefix("AUDIT_SIGNING_KEY="))
    public = base64.b64decode(lines[1].removeprefix("# public key: "))
    key = Ed25519PrivateKey.from_private_bytes(private)
    key.public_key().verify(key.sign(b"x"), b"x")
    assert public == base64.b64decode(public_key_b64(key))


@pytest.mark.django_db(transaction=True)
def test_verify_command_exit_status_is_nonzero_on_tampering(tmp_path):
    """The real process, as cron or an operator runs it."""
    record_events(5)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "AUDIT_SIGNING_KEY": settings.AUDIT_SIGNING_KEY,
        "AUDIT_CHECKPOINT_DIR": str(tmp_path),
    }

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "audit_verify"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    clean = verify()
    assert clean.returncode == 0, clean.stderr
    assert "OK: 5 events verified" in clean.stdout
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET payload = '{}' WHERE sequence = 2")
    tampered = verify()
    assert tampered.returncode == 1
    assert "TAMPERED at sequence 2: changed row" in tampered.stderr
