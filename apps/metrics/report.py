"""Figures for a dashboard: headline p50/p90s, daily series, and a breakdown by one dimension."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .definitions import pass_rate, summarise
from .selectors import DIMENSIONS, AssetRow, JobRow

LABELS = {
    "ttf": "Time to first image",
    "queue_wait": "Queue wait",
    "run": "GPU run",
    "store": "Filter and store",
    "ltaq": "Latency to an acceptable image (LTAQ)",
    "cycle": "Cycle time (request to approval)",
    "review_wait": "Review wait",
    "delivery": "Delivery (approval to signed files)",
    "iterations": "Iterations per accepted asset",
}
JOB_TILES = ("ttf", "queue_wait", "run", "store")
ASSET_TILES = ("ltaq", "cycle", "review_wait", "delivery", "iterations")


@dataclass
class Report:
    since: date
    until: date
    jobs: list[JobRow]
    assets: list[AssetRow]

    def tiles(self) -> list[dict[str, Any]]:
        tiles = [
            {"key": k, "label": LABELS[k], **summarise(getattr(j.figures, k) for j in self.jobs)}
            for k in JOB_TILES
        ]
        tiles += [
            {"key": k, "label": LABELS[k], **summarise(getattr(a.figures, k) for a in self.assets)}
            for k in ASSET_TILES
        ]
        return tiles

    def counts(self) -> dict[str, Any]:
        by_status: dict[str, int] = defaultdict(int)
        for job in self.jobs:
            by_status[job.status] += 1
        figures = [a.figures for a in self.assets]
        return {
            "jobs": len(self.jobs),
            "by_status": dict(sorted(by_status.items())),
            "decided": sum(1 for f in figures if f.decided),
            "approved": sum(1 for f in figures if f.approved),
            "pass_rate": pass_rate(figures),
        }

    def days(self) -> list[date]:
        count = (self.until - self.since).days + 1
        return [self.since + timedelta(days=i) for i in range(count)]

    def series(self, metric: str) -> list[dict[str, Any]]:
        """p50 and p90 of one metric per day (by request time for jobs, decision for assets)."""
        rows: Sequence[JobRow | AssetRow] = self.jobs if metric in JOB_TILES else self.assets
        per_day: dict[date, list[float]] = defaultdict(list)
        for row in rows:
            value = getattr(row.figures, metric)
            if value is not None:
                per_day[row.at.date()].append(value)
        return [{"day": d, **summarise(per_day.get(d, []))} for d in self.days()]

    def breakdown(self, dimension: str) -> list[dict[str, Any]]:
        jobs = _group(self.jobs, lambda r: r.dims[dimension])
        assets = _group(self.assets, lambda r: r.dims[dimension])
        out = []
        for value in sorted(jobs.keys() | assets.keys()):
            group_jobs, group_assets = jobs.get(value, []), assets.get(value, [])
            out.append(
                {
                    "value": value,
                    "jobs": len(group_jobs),
                    "ttf": summarise(j.figures.ttf for j in group_jobs),
                    "queue_wait": summarise(j.figures.queue_wait for j in group_jobs),
                    "ltaq": summarise(a.figures.ltaq for a in group_assets),
                    "iterations": summarise(a.figures.iterations for a in group_assets),
                    "pass_rate": pass_rate(a.figures for a in group_assets),
                    "decided": sum(1 for a in group_assets if a.figures.decided),
                }
            )
        return out


def _group(rows: Iterable[Any], key: Callable[[Any], str]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def _text(value: str) -> str:
    """Names people typed (templates, users) must not run as spreadsheet formulas."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def jobs_csv(rows: Iterable[JobRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    stages = ("encode", "denoise", "decode", "image_filter", "png")
    writer.writerow(
        [
            "job",
            "requested_at",
            "status",
            *DIMENSIONS,
            "ttf_s",
            "queue_wait_s",
            "run_s",
            "store_s",
            *(f"{s}_s" for s in stages),
        ]
    )
    for row in rows:
        f = row.figures
        writer.writerow(
            [
                row.id,
                row.at.isoformat(),
                row.status,
                *map(_text, row.dims.values()),
                _num(f.ttf),
                _num(f.queue_wait),
                _num(f.run),
                _num(f.store),
                *(_num(row.timings.get(s)) for s in stages),
            ]
        )
    return out.getvalue()


def assets_csv(rows: Iterable[AssetRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "asset",
            "decided_at",
            "state",
            *DIMENSIONS,
            "passed",
            "review_wait_s",
            "cycle_s",
            "ltaq_s",
            "delivery_s",
            "iterations",
        ]
    )
    for row in rows:
        f = row.figures
        writer.writerow(
            [
                row.id,
                row.at.isoformat(),
                row.state,
                *map(_text, row.dims.values()),
                "" if f.passed is None else str(f.passed).lower(),
                _num(f.review_wait),
                _num(f.cycle),
                _num(f.ltaq),
                _num(f.delivery),
                "" if f.iterations is None else f.iterations,
            ]
        )
    return out.getvalue()
