"""End-to-end generation benchmark: the real stack, under closed-loop load.

    .venv/bin/python scripts/bench_generation.py --help   (settings: config.settings.bench)

HTTP API (gunicorn) -> policy gate -> broker (RabbitMQ) -> GPU worker (Celery,
pre-warmed Krea2Pipeline) -> image filter -> storage, on a scratch PostgreSQL
database. Steps:

1. seeds the demo users, project, license and routes on the tiny model (CPU
   mode) or on weights from `--weights` (real or full-size random, GPU mode);
2. cold start: a job is queued, then a worker is started; worker start -> image;
3. bare pipeline in this process (same loader, model and settings) before;
4. concurrency levels (default 1, 5, 10), closed loop: each client submits
   through the API and sends its next request once its job is final, for
   `--requests` jobs per level;
5. bare pipeline again, to catch drift; then the report (JSON, Markdown, PNG).

TTF is measured by the server (job created -> image stored and visible); the
client's own view (request sent -> job seen final) is reported beside it.
The database is dropped afterwards unless `--keep-db`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get("BENCH_SETTINGS", "config.settings.bench")

from bench_generation_report import report  # noqa: E402
from benchlib import admin_sql as _admin  # noqa: E402
from benchlib import database_url as _server_url  # noqa: E402
from benchlib import free_port as _free_port  # noqa: E402

DEFAULT_PROMPTS = ROOT.parent / "shared/bench/prompts.jsonl"


def _seed(args: argparse.Namespace, queue: str) -> dict[str, Any]:
    from django.core.management import call_command

    from apps.api.keys import api_key_create
    from apps.generation.models import ModelWeights
    from apps.generation.services import route_configure
    from apps.generation.weights import weights_register
    from apps.policies.models import ModelLicense
    from apps.policies.services import policy_save
    from apps.projects.models import Project

    call_command("seed_demo", verbosity=0)
    size = [args.width, args.height]
    weights = ModelWeights.objects.get(name="krea2-turbo-tiny")
    if args.weights:
        weights = weights_register(name="bench-weights", path=Path(args.weights), revision="bench")
        license_ = ModelLicense.objects.get()
        policy_save(
            actor=None, instance=license_, m2m={"weights": [*license_.weights.all(), weights]}
        )
    route = route_configure(
        name="draft",
        weights=weights,
        sizes=[size],
        queue=queue,
        steps=args.steps,
        min_steps=1,
        max_steps=max(args.steps, 12),
        guidance=args.guidance,
        max_sequence_length=args.max_sequence_length,
    )
    project = Project.objects.get(slug="spring-launch")
    manager = project.memberships.get(user__username="maya").user
    token = api_key_create(
        actor=manager,
        project=project,
        name="bench",
        scopes=["generations:submit"],
        expires_in_days=1,
    ).token
    return {"route": route, "project": project.slug, "token": token}


class Stack:
    """gunicorn and the GPU workers as child processes, with their logs."""

    def __init__(self, args: argparse.Namespace, env: dict[str, str], log_dir: Path) -> None:
        self.args, self.env, self.log_dir = args, env, log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.port = _free_port()

    def _spawn(self, cmd: list[str], name: str) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        self.procs.append(proc)
        return proc

    def start_web(self) -> str:
        self._spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "config/gunicorn.conf.py",
                "config.wsgi",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(self.args.web_workers),
            ],
            "web",
        )
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/accounts/login/", timeout=2)  # noqa: S310
                return url
            except OSError:
                time.sleep(0.3)
        raise TimeoutError("the web server did not start")

    def start_worker(self, queue: str, index: int) -> float:
        started = time.time()
        self._spawn(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                f"--pool={self.args.pool}",
                "--concurrency=1",
                "-n",
                f"bench-gpu-{index}@%h",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
            ],
            f"worker-{index}",
        )
        return started

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


class Client:
    """Submits through the API; learns completion from one shared database watcher
    (one query per tick for every job in flight), so waiting costs the server nothing."""

    def __init__(self, base: str, project: str, token: str, args: argparse.Namespace) -> None:
        self.url = f"{base}/api/v1/projects/{project}/jobs/"
        self.token, self.args = token, args
        self.done: dict[str, float] = {}
        self.waiting: dict[str, threading.Event] = {}
        self.lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        from django.db import connection

        from apps.generation.models import FINAL_STATES, GenerationJob

        while not self._stop.is_set():
            with self.lock:
                pending = list(self.waiting)
            if pending:
                final = GenerationJob.objects.filter(pk__in=pending, status__in=FINAL_STATES)
                for job_id in final.values_list("pk", flat=True):
                    with self.lock:
                        self.done[str(job_id)] = time.time()
                        self.waiting.pop(str(job_id)).set()
            time.sleep(0.02)  # 50 queries/s: cheap beside the worker it shares CPUs with
        connection.close()

    def submit(self, prompt: str) -> str:
        body = json.dumps(
            {
                "route": "draft",
                "width": self.args.width,
                "height": self.args.height,
                "prompt": prompt,
                "seed": 1,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.url,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": str(uuid.uuid4()),
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            job_id = str(json.loads(response.read())["id"])
        return job_id

    def run_one(self, prompt: str) -> dict[str, Any]:
        sent = time.time()
        event = threading.Event()
        job_id = self.submit(prompt)
        with self.lock:
            if job_id in self.done:
                event.set()
            else:
                self.waiting[job_id] = event
        event.wait(timeout=600)
        return {"job": job_id, "sent": sent, "seen_final": self.done.get(job_id, time.time())}

    def level(self, concurrency: int, requests: int, prompts: list[str]) -> dict[str, Any]:
        results: list[dict[str, Any]] = []
        counter = iter(range(requests))
        counter_lock = threading.Lock()

        def loop() -> None:
            while True:
                with counter_lock:
                    index = next(counter, None)
                if index is None:
                    return
                results.append(self.run_one(prompts[index % len(prompts)]))

        started = time.time()
        threads = [threading.Thread(target=loop) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return {"concurrency": concurrency, "wall_s": time.time() - started, "calls": results}

    def close(self) -> None:
        self._stop.set()


def _job_rows(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from apps.generation.models import GenerationJob

    by_id = {c["job"]: c for c in calls}
    rows = []
    for job in GenerationJob.objects.filter(pk__in=list(by_id)):
        call = by_id[str(job.pk)]
        rows.append(
            {
                "job": str(job.pk),
                "status": job.status,
                "timings": job.timings,
                "ttf_s": (job.finished_at - job.created_at).total_seconds()
                if job.finished_at
                else None,
                "queue_wait_s": (job.started_at - job.created_at).total_seconds()
                if job.started_at
                else None,
                "run_s": (job.first_image_at - job.started_at).total_seconds()
                if job.first_image_at
                else None,
                "client_s": call["seen_final"] - call["sent"],
                "pipeline_s": sum(job.timings.get(k, 0.0) for k in ("encode", "denoise", "decode"))
                if job.timings
                else None,
                "submit_to_created_s": job.created_at.timestamp() - call["sent"],
            }
        )
    return rows


def _bare(args: argparse.Namespace, weights: Any, prompts: list[str]) -> dict[str, Any]:
    from bench_pipeline import run_bare

    from apps.generation.worker.pipelines import _load_pipeline

    loaded = _load_pipeline(weights, ({}, None))  # the workers' own loader
    result = run_bare(
        loaded.pipe,
        prompts,
        width=args.width,
        height=args.height,
        steps=args.steps,
        guidance=args.guidance,
        runs=args.bare_runs,
        warmup=1,
        max_sequence_length=args.max_sequence_length,
    )
    del loaded
    return result


def _prompts(path: Path) -> list[str]:
    if not path.is_file():
        return ["studio product photo of a red running shoe on a white table"]
    return [json.loads(line)["prompt"] for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    db = args.db or f"imprimatur_bench_gen_{uuid.uuid4().hex[:6]}"
    _admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    _admin(f"CREATE DATABASE {db}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    queue = f"bench-gpu-{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "DATABASE_URL": _server_url(db),
        "API_RATE_LIMIT": "1000000",
        "DJANGO_MEDIA_ROOT": str(out / "media"),
        "QUARANTINE_ROOT": str(out / "quarantine"),
        "IMPRIMATUR_MODEL_DIR": str(Path(args.model_dir).resolve()),
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DATABASE_URL",
                "DJANGO_MEDIA_ROOT",
                "QUARANTINE_ROOT",
                "IMPRIMATUR_MODEL_DIR",
            )
        }
    )
    stack = Stack(args, env, out)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        seeded = _seed(args, queue)
        prompts = _prompts(Path(args.prompts))
        base = stack.start_web()
        client = Client(base, seeded["project"], seeded["token"], args)
        # Cold start: a job waits in the queue before any worker exists.
        cold_job = client.submit(prompts[0])
        worker_started = stack.start_worker(queue, 0)
        for index in range(1, args.workers):
            stack.start_worker(queue, index)
        cold = _cold_start(cold_job, worker_started)
        bare_before = _bare(args, seeded["route"].weights, prompts)
        for _ in range(args.workers * 2):  # every worker and web thread warm
            client.run_one(prompts[0])
        levels = []
        for concurrency in args.levels:
            level = client.level(concurrency, args.requests, prompts)
            level["jobs"] = _job_rows(level.pop("calls"))
            levels.append(level)
            print(
                f"c={concurrency}: {len(level['jobs'])} jobs in {level['wall_s']:.1f} s", flush=True
            )
        bare_after = _bare(args, seeded["route"].weights, prompts)
        client.close()
        result = report(
            args, cold=cold, bare_before=bare_before, bare_after=bare_after, levels=levels, out=out
        )
        print(result["markdown"])
        return 0 if result["ok"] else 1
    finally:
        stack.stop()
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            _admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        _delete_queue(queue)


def _cold_start(job_id: str, worker_started: float) -> dict[str, Any]:
    from apps.generation.models import GenerationJob

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        job = GenerationJob.objects.get(pk=job_id)
        if job.is_final:
            break
        time.sleep(0.05)
    return {
        "status": job.status,
        "worker_start_to_image_s": job.first_image_at.timestamp() - worker_started
        if job.first_image_at
        else None,
        "pipeline_loaded_s": job.pipeline_loaded_at.timestamp() - worker_started
        if job.pipeline_loaded_at
        else None,
    }


def _delete_queue(queue: str) -> None:
    try:
        from config.celery import app

        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
    except Exception:  # noqa: BLE001, S110 - best effort
        pass


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", default=str(DEFAULT_PROMPTS))
    parser.add_argument("--levels", default="1,5,10", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--requests", type=int, default=20, help="jobs per concurrency level")
    parser.add_argument("--workers", type=int, default=1, help="GPU workers (one pipeline each)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--pool", default="threads", help="the GPU workers' Celery pool")
    parser.add_argument("--resolution", default="512x512")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--guidance", type=float, default=0.0)
    parser.add_argument("--max-sequence-length", type=int, default=128)
    parser.add_argument("--bare-runs", type=int, default=10)
    parser.add_argument(
        "--weights", help="a diffusers directory (real or full-size random weights)"
    )
    parser.add_argument("--model-dir", default=str(ROOT / "var/models"), help="tiny model home")
    parser.add_argument("--out", default=str(ROOT / "var/bench/generation"))
    parser.add_argument("--db", help="scratch database name (default: a fresh one)")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--short",
        action="store_true",
        help="a handful of small requests: proves the harness runs, measures little",
    )
    args = parser.parse_args(argv)
    if args.short:
        args.levels, args.requests, args.resolution, args.steps, args.bare_runs = (
            [1, 2],
            2,
            "256x256",
            2,
            2,
        )
    args.width, args.height = (int(n) for n in args.resolution.lower().split("x"))
    return args


if __name__ == "__main__":
    sys.exit(main())
