"""`make bench`'s end-to-end harness runs in a short mode here, on the real stack
(gunicorn, RabbitMQ, a Celery GPU worker, PostgreSQL), so it cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.workers import ROOT

pytestmark = pytest.mark.integration


def test_the_harness_runs_end_to_end_and_writes_its_report(tmp_path):
    env = dict(os.environ)
    run = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "scripts/bench_generation.py",
            "--short",
            "--out",
            str(tmp_path),
            "--model-dir",
            str(tmp_path / "models"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert [level["concurrency"] for level in result["levels"]] == [1, 2]
    assert all(level["failed"] == 0 and level["jobs"] == 2 for level in result["levels"])
    first = result["levels"][0]
    # Server-side TTF includes the bare pipeline's work, so it cannot be below it by much.
    assert first["ttf_p50_s"] > 0.5 * result["bare_before"]["total_s"]["p50"]
    assert {"gate", "encode", "denoise", "decode", "image_filter", "png"} <= set(
        first["stage_p50_s"]
    )
    assert result["cold_start"]["status"] == "succeeded"
    assert result["machine"]["torch"] and result["settings"]["steps"] == 2
    assert "Platform overhead at c=1" in (tmp_path / "result.md").read_text()
    assert (tmp_path / "ttf.png").read_bytes().startswith(b"\x89PNG")
