"""`/metrics` for Prometheus, read from the shared state at scrape time.

Web processes, GPU workers and CPU workers run on different hosts, so no one
process's in-memory counters would tell the truth. Every figure here comes
from where the truth is kept: job and decision rows (PostgreSQL), the broker
(queue depth and consumers), and the workers' Redis beats (up, busy, GPUs).
Counters derived from rows are monotonic as long as rows are kept (jobs and
decisions are never deleted; retention only redacts their text).

Access: `Authorization: Bearer <METRICS_TOKEN>` (what Prometheus sends with
`authorization: {credentials: ...}`), or a signed-in person allowed to see
every project's metrics. Anyone else gets 401; nothing is public.
"""

from __future__ import annotations

import hmac
import logging
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Sum
from django.db.models.lookups import LessThanOrEqual
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from apps.generation.models import GenerationJob, JobStatus, ModelRoute
from apps.policies.models import Decision, Outcome
from apps.webhooks.models import DeliveryStatus, WebhookDelivery

from . import workers

logger = logging.getLogger(__name__)

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
# stage -> (start field, end field, only succeeded jobs)
STAGES = {
    "queue_wait": ("created_at", "started_at", False),
    "run": ("started_at", "first_image_at", False),
    "store": ("first_image_at", "finished_at", True),
    "ttf": ("created_at", "finished_at", True),
}


def _stage_histograms() -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "imprimatur_job_stage_seconds",
        "Job latency by stage (queue_wait, run, store; ttf = request to visible image) and route.",
        labels=["stage", "route"],
    )
    for stage, (start, end, succeeded_only) in STAGES.items():
        duration = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
        jobs = GenerationJob.objects.filter(**{f"{start}__isnull": False, f"{end}__isnull": False})
        if succeeded_only:
            jobs = jobs.filter(status=JobStatus.SUCCEEDED)
        buckets = {
            f"le{i}": Count("pk", filter=LessThanOrEqual(duration, timedelta(seconds=bound)))
            for i, bound in enumerate(BUCKETS)
        }
        rows = jobs.values("route__name").annotate(n=Count("pk"), total=Sum(duration), **buckets)
        for row in rows.order_by("route__name"):
            counts: dict[str, Any] = dict(row)
            cumulative = [(str(bound), counts[f"le{i}"]) for i, bound in enumerate(BUCKETS)]
            cumulative.append(("+Inf", row["n"]))
            total = row["total"] or timedelta(0)
            family.add_metric(
                [stage, row["route__name"]], cumulative, sum_value=total.total_seconds()
            )
    return family


def _job_counts() -> CounterMetricFamily:
    family = CounterMetricFamily(
        "imprimatur_jobs", "Generation jobs by route and status.", labels=["route", "status"]
    )
    rows = GenerationJob.objects.values("route__name", "status").annotate(n=Count("pk"))
    for row in rows.order_by("route__name", "status"):
        family.add_metric([row["route__name"], row["status"]], row["n"])
    return family


def _queues() -> dict[str, str]:
    """Queue -> what it serves: every enabled route's queue, and the delivery queue."""
    queues = {r.queue: "generation" for r in ModelRoute.objects.filter(enabled=True)}
    queues.setdefault(settings.DELIVERY_QUEUE, "delivery")
    return queues


def _broker_queue_stats(names: list[str]) -> dict[str, tuple[int, int]]:
    """Messages waiting and consumers per queue, as the broker sees them."""
    from config.celery import app

    stats: dict[str, tuple[int, int]] = {}
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            for name in names:
                channel = conn.channel()
                try:
                    _, messages, consumers = channel.queue_declare(queue=name, passive=True)
                    stats[name] = (int(messages), int(consumers))
                except Exception:  # noqa: BLE001 - a queue nobody declared yet is empty
                    stats[name] = (0, 0)
                finally:
                    try:
                        channel.close()
                    except Exception:  # noqa: BLE001, S110 - the broker closed it already
                        pass
    except Exception as exc:  # noqa: BLE001 - the broker down is itself worth a gauge
        logger.warning("Broker not reachable for queue depth: %s", exc)
    return stats


def _queue_metrics() -> Iterator[GaugeMetricFamily]:
    queues = _queues()
    stats = _broker_queue_stats(sorted(queues))
    up = GaugeMetricFamily("imprimatur_broker_up", "Whether the broker answered this scrape.")
    up.add_metric([], 1.0 if stats or not queues else 0.0)
    yield up
    depth = GaugeMetricFamily(
        "imprimatur_queue_depth",
        "Messages waiting in each queue (scale GPU workers on this).",
        labels=["queue", "kind"],
    )
    consumers = GaugeMetricFamily(
        "imprimatur_queue_consumers", "Consumers attached to each queue.", labels=["queue", "kind"]
    )
    for name, kind in sorted(queues.items()):
        if name in stats:
            depth.add_metric([name, kind], stats[name][0])
            consumers.add_metric([name, kind], stats[name][1])
    yield depth
    yield consumers
    waiting = GaugeMetricFamily(
        "imprimatur_jobs_waiting",
        "Jobs queued or running per route queue, from the database (broker-independent).",
        labels=["queue", "status"],
    )
    rows = GenerationJob.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    for row in rows.values("route__queue", "status").annotate(n=Count("pk")):
        waiting.add_metric([row["route__queue"], row["status"]], row["n"])
    yield waiting


def _worker_metrics() -> Iterator[GaugeMetricFamily]:
    try:
        beats = workers.read_beats()
    except Exception as exc:  # noqa: BLE001
        logger.warning("Worker beats not readable: %s", exc)
        beats = []
    up, busy = Counter[str](), Counter[str]()
    for beat in beats:
        for queue in beat.get("queues", []):
            up[queue] += 1
            busy[queue] += 1 if beat.get("busy") else 0
    up_family = GaugeMetricFamily(
        "imprimatur_workers_up", "Workers with a fresh beat, per queue.", labels=["queue"]
    )
    busy_family = GaugeMetricFamily(
        "imprimatur_workers_busy", "Workers running a task now, per queue.", labels=["queue"]
    )
    for queue in sorted(up):
        up_family.add_metric([queue], up[queue])
        busy_family.add_metric([queue], busy[queue])
    yield up_family
    yield busy_family
    labels = ["worker", "gpu", "name"]
    used = GaugeMetricFamily(
        "imprimatur_gpu_memory_used_bytes", "GPU memory in use.", labels=labels
    )
    total = GaugeMetricFamily("imprimatur_gpu_memory_total_bytes", "GPU memory.", labels=labels)
    util = GaugeMetricFamily(
        "imprimatur_gpu_utilisation_ratio", "GPU busy fraction (NVML).", labels=labels
    )
    for beat in beats:
        for gpu in beat.get("gpus", []):
            key = [beat.get("hostname", ""), str(gpu["index"]), gpu.get("name", "")]
            used.add_metric(key, gpu["memory_used"])
            total.add_metric(key, gpu["memory_total"])
            util.add_metric(key, gpu["utilisation"])
    yield used
    yield total
    yield util


def _filter_decisions() -> CounterMetricFamily:
    family = CounterMetricFamily(
        "imprimatur_filter_decisions",
        "Policy gate and filter decisions by stage, outcome and (refusals) category.",
        labels=["stage", "outcome", "category"],
    )
    allowed = (
        Decision.objects.filter(outcome=Outcome.ALLOWED).values("stage").annotate(n=Count("pk"))
    )
    for row in allowed.order_by("stage"):
        family.add_metric([row["stage"], Outcome.ALLOWED, ""], row["n"])
    refused: Counter[tuple[str, str]] = Counter()
    for stage, rules in Decision.objects.filter(outcome=Outcome.REFUSED).values_list(
        "stage", "rules"
    ):
        categories = {(r.get("category") or r.get("code") or "other") for r in rules or []}
        for category in categories or {"other"}:
            refused[(stage, category)] += 1
    for (stage, category), n in sorted(refused.items()):
        family.add_metric([stage, Outcome.REFUSED, category], n)
    return family


def _webhook_deliveries() -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    finished = CounterMetricFamily(
        "imprimatur_webhook_deliveries",
        "Webhook deliveries that finished, by event and outcome.",
        labels=["event", "outcome"],
    )
    pending = GaugeMetricFamily(
        "imprimatur_webhook_deliveries_pending",
        "Webhook deliveries not finished yet (not tried, or failed and scheduled again).",
        labels=["event", "status"],
    )
    rows = WebhookDelivery.objects.values("event", "status").annotate(n=Count("pk"))
    for row in rows.order_by("event", "status"):
        if row["status"] in (DeliveryStatus.SUCCEEDED, DeliveryStatus.GAVE_UP):
            finished.add_metric([row["event"], row["status"]], row["n"])
        else:
            pending.add_metric([row["event"], row["status"]], row["n"])
    yield finished
    yield pending


class ImprimaturCollector(Collector):
    def collect(self) -> Iterator[Any]:
        yield _stage_histograms()
        yield _job_counts()
        yield from _queue_metrics()
        yield from _worker_metrics()
        yield _filter_decisions()
        yield from _webhook_deliveries()


def _authorised(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    return bool(request.user.is_authenticated and request.user.has_perm("metrics.view_all_metrics"))


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        response = HttpResponse("Authentication required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ImprimaturCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


__all__ = ["metrics_view"]
