"""API benchmarks: API-key authentication cost, and asset listing under load.

    DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python scripts/bench_api.py

Creates a scratch PostgreSQL database (imprimatur_bench_api), migrates it,
makes one project with 1,000 assets and an API key, then:
1. times `ApiKeyAuthentication.authenticate` (token parse, one indexed query,
   HMAC check) in-process; goal: under 1 ms per request;
2. starts gunicorn (2 workers) on loopback and, from a second process, sends
   GET /api/v1/projects/<p>/assets/ at 100 requests/s for 15 s (open loop);
   goal: p99 under 100 ms, no errors.
The database is dropped afterwards. Results go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchlib import admin_sql as _admin  # noqa: E402
from benchlib import database_url as _server_url  # noqa: E402
from benchlib import free_port as _free_port  # noqa: E402

BENCH_DB = "imprimatur_bench_api"
RATE, SECONDS = 100, 15


def _seed() -> tuple[str, str]:
    from django.utils import timezone

    from apps.api.keys import api_key_create
    from apps.assets.models import Asset
    from apps.generation.models import GenerationJob, ModelRoute, ModelWeights
    from tests.factories import ProjectFactory, UserFactory

    owner = UserFactory(username="bench-owner")
    project = ProjectFactory(owner=owner, name="Bench", slug="bench")
    weights = ModelWeights.objects.create(name="w", path="/nonexistent")
    route = ModelRoute.objects.create(
        name="draft",
        label="Draft",
        weights=weights,
        queue="gpu-draft",
        steps=8,
        max_steps=12,
        guidance=0,
        max_guidance=2,
        allowed_sizes=[[512, 512]],
    )
    jobs = GenerationJob.objects.bulk_create(
        GenerationJob(
            project=project,
            created_by=owner,
            route=route,
            prompt=f"bench {i}",
            seed=i,
            steps=8,
            guidance=0,
            width=512,
            height=512,
            status="succeeded",
        )
        for i in range(1000)
    )
    now = timezone.now()
    Asset.objects.bulk_create(
        Asset(
            project=project,
            job=job,
            file=f"assets/bench/{job.pk}.png",
            sha256="0" * 64,
            size_bytes=1,
            format="PNG",
            width=512,
            height=512,
            state="approved",
            created_at=now,
        )
        for job in jobs
    )
    token = api_key_create(
        actor=owner, project=project, name="bench", scopes=["assets:read"], expires_in_days=1
    ).token
    return token, project.slug


def bench_auth(token: str, runs: int = 2000) -> tuple[float, float]:
    from rest_framework.test import APIRequestFactory

    from apps.api.auth import ApiKeyAuthentication

    auth = ApiKeyAuthentication()
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    from rest_framework.request import Request

    for _ in range(100):
        auth.authenticate(Request(request))
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        auth.authenticate(Request(request))
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99)]


def bench_listing(token: str, slug: str) -> dict[str, float]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _server_url(BENCH_DB), "API_RATE_LIMIT": "1000000"}
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/api/v1/projects/{slug}/assets/"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        # The load comes from a second process, as the issue asks.
        load = subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--load", url, token],
            capture_output=True,
            text=True,
            check=True,
        )
        values = dict(line.split("=") for line in load.stdout.split())
        return {k: float(v) for k, v in values.items()}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _load(url: str, token: str) -> None:
    """Open loop: one request every 1/RATE s, each on its own thread; latency per request."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one() -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()
                ok = response.status == 200
        except OSError:
            ok = False
        with lock:
            latencies.append((time.perf_counter() - started) * 1000)
            errors += 0 if ok else 1

    threads = []
    began = time.perf_counter()
    for i in range(RATE * SECONDS):
        delay = began + i / RATE - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=one)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    latencies.sort()
    print(f"p50={statistics.median(latencies):.1f}")
    print(f"p99={latencies[int(len(latencies) * 0.99)]:.1f}")
    print(f"errors={errors}")
    print(f"requests={len(latencies)}")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    _admin(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    _admin(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = _server_url(BENCH_DB)
    try:
        import django
        from django.conf import settings

        django.setup()
        settings.DATABASES["default"]["NAME"] = BENCH_DB
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        token, slug = _seed()
        from django.db import connection

        with connection.cursor() as cursor:  # as autovacuum would, after a bulk load
            cursor.execute("ANALYZE")
        p50, p99 = bench_auth(token)
        print(
            f"API-key authentication: p50 {p50:.3f} ms, p99 {p99:.3f} ms "
            f"(goal: under 1 ms per request: {'met' if p50 < 1 else 'NOT met'})"
        )
        result = bench_listing(token, slug)
        verdict = "met" if result["p99"] < 100 and result["errors"] == 0 else "NOT met"
        print(
            f"asset listing, 1,000 assets, {RATE} req/s for {SECONDS} s from a second process: "
            f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, "
            f"errors {result['errors']:.0f} of {result['requests']:.0f} "
            f"(goal: p99 under 100 ms, no errors: {verdict})"
        )
    finally:
        from django.db import connections

        connections.close_all()
        _admin(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--load":
        _load(sys.argv[2], sys.argv[3])
    else:
        main()
