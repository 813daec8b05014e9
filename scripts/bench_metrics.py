"""The cost of one Prometheus scrape of /metrics as the job table grows.

    .venv/bin/python scripts/bench_metrics.py [--jobs 10000,100000]

Each figure is computed at scrape time from the rows (see apps/metrics/prometheus.py),
so the scrape's cost grows with the finished jobs. A scratch PostgreSQL database
is filled with finished jobs and their decisions, then scraped five times per size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from benchlib import admin_sql, cpu_model, database_url, usable_cpus  # noqa: E402

# Our own target (the issue sets none): Prometheus' default scrape timeout is 10 s.
GOAL_MS = 1000.0


def _fill(total: int) -> None:
    from django.utils import timezone

    from apps.generation.models import GenerationJob, ModelRoute, ModelWeights
    from apps.policies.models import Decision
    from tests.factories import ProjectFactory, UserFactory

    owner = UserFactory(username=f"bench-{uuid.uuid4().hex[:6]}")
    project = ProjectFactory(owner=owner, name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}")
    weights, _ = ModelWeights.objects.get_or_create(name="w", defaults={"path": "/none"})
    route, _ = ModelRoute.objects.get_or_create(
        name="draft",
        defaults={
            "label": "Draft",
            "weights": weights,
            "queue": "gpu-draft",
            "steps": 8,
            "max_steps": 12,
            "guidance": 0,
            "max_guidance": 2,
            "allowed_sizes": [[512, 512]],
        },
    )
    now = timezone.now()
    batch = []
    for i in range(total):
        created = now - timedelta(seconds=i)
        batch.append(
            GenerationJob(
                project=project,
                created_by=owner,
                route=route,
                prompt="bench",
                seed=i,
                steps=8,
                guidance=0,
                width=512,
                height=512,
                status="succeeded" if i % 20 else "refused",
                created_at=created,
                started_at=created + timedelta(milliseconds=10),
                first_image_at=created + timedelta(milliseconds=1200),
                finished_at=created + timedelta(milliseconds=1300),
            )
        )
        if len(batch) == 5000:
            jobs = GenerationJob.objects.bulk_create(batch)
            Decision.objects.bulk_create(
                Decision(
                    stage="request",
                    outcome="allowed" if j.status == "succeeded" else "refused",
                    project=project,
                    job=j,
                    route="draft",
                    rules=[] if j.status == "succeeded" else [{"code": "x", "category": "nudity"}],
                )
                for j in jobs
            )
            batch = []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default="10000,100000")
    args = parser.parse_args()
    sizes = [int(n) for n in args.jobs.split(",")]
    db = f"imprimatur_bench_metrics_{uuid.uuid4().hex[:6]}"
    admin_sql(f"CREATE DATABASE {db}")
    os.environ["DATABASE_URL"] = database_url(db)
    try:
        import django
        from django.conf import settings

        django.setup()
        settings.DATABASES["default"]["NAME"] = db
        settings.METRICS_TOKEN = "bench"  # noqa: S105
        settings.ALLOWED_HOSTS = ["*"]
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        call_command("migrate", verbosity=0, interactive=False)
        client = Client(HTTP_AUTHORIZATION="Bearer bench")
        print(f"machine: {cpu_model()}, {usable_cpus()} CPUs")
        filled = 0
        for size in sizes:
            _fill(size - filled)
            filled = size
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                response = client.get("/metrics")
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"/metrics answered {response.status_code}")
            p50 = statistics.median(timings)
            print(
                f"/metrics with {size:,} finished jobs: p50 {p50:.0f} ms of 5 scrapes "
                f"(goal: under {GOAL_MS:.0f} ms: {'met' if p50 < GOAL_MS else 'NOT met'})"
            )
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
