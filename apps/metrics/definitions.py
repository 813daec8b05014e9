"""What each product metric means, computed from plain records.

Kept free of the ORM so each definition can be read (and tested) on its own,
on lineages built by hand. The selectors feed these with rows from the
database.

Definitions (all durations in seconds):
- TTF, time to first image: the request was received (job created) -> its
  image is stored and visible (job finished, succeeded). A refused, failed or
  cancelled job has no TTF.
- queue wait: received -> a GPU worker claimed the job (its last attempt).
- run: claimed -> the pipeline returned the image.
- store: the image returned -> filtered, stored and visible.
- delivery: approved -> the last delivered (signed) file was written.
- review wait: submitted for review -> the first decision on that asset.
- cycle time: this asset's request -> its approval.
- LTAQ, latency to an acceptable image: the first request of the asset's
  lineage (its oldest ancestor's job) -> the approval of the accepted asset.
- iterations: generations in the accepted asset's lineage tree up to its
  approval: the root's job and every job that regenerated from an asset of
  that tree (abandoned branches count: they were tries too).
- passed: the asset's first decision was an approval (no change request and
  no rejection before it). The pass rate is the share of decided assets that
  passed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


JOB_METRICS = ("ttf", "queue_wait", "run", "store")
ASSET_METRICS = ("ltaq", "cycle", "review_wait", "delivery", "iterations")


@dataclass(frozen=True)
class JobFigures:
    ttf: float | None
    queue_wait: float | None
    run: float | None
    store: float | None


def job_figures(job: Mapping[str, Any]) -> JobFigures:
    """`job` holds created_at, started_at, first_image_at, finished_at and status."""
    succeeded = job["status"] == "succeeded"
    return JobFigures(
        ttf=seconds(job["created_at"], job["finished_at"]) if succeeded else None,
        queue_wait=seconds(job["created_at"], job["started_at"]),
        run=seconds(job["started_at"], job["first_image_at"]),
        store=seconds(job["first_image_at"], job["finished_at"]) if succeeded else None,
    )


@dataclass(frozen=True)
class Review:
    """One asset's review history: (to_state, when) in order, and delivery time."""

    submitted_at: datetime | None = None
    decisions: tuple[tuple[str, datetime], ...] = ()
    delivered_at: datetime | None = None

    @property
    def approved_at(self) -> datetime | None:
        return next((at for verdict, at in self.decisions if verdict == "approved"), None)


DECISION_STATES = ("approved", "rejected", "changes_requested")


def review_from_transitions(
    transitions: Iterable[tuple[str, datetime]], delivered_at: datetime | None = None
) -> Review:
    submitted = None
    decisions = []
    for to_state, at in transitions:
        if to_state == "in_review" and submitted is None:
            submitted = at
        elif to_state in DECISION_STATES:
            decisions.append((to_state, at))
    return Review(submitted, tuple(decisions), delivered_at)


@dataclass
class Lineage:
    """Assets and jobs of a project as a forest: asset -> parent asset, job times."""

    parent: dict[str, str | None] = field(default_factory=dict)  # asset -> parent asset
    requested_at: dict[str, datetime] = field(default_factory=dict)  # asset -> its job's created_at
    # Jobs that regenerated from an asset (whether or not they produced one):
    # parent asset -> creation times of those jobs.
    children_jobs: dict[str, list[datetime]] = field(default_factory=dict)
    _trees: dict[str, set[str]] | None = field(default=None, repr=False)

    def root(self, asset: str) -> str:
        seen = {asset}
        while (up := self.parent.get(asset)) is not None and up not in seen:
            seen.add(up)
            asset = up
        return asset

    def tree(self, root: str) -> set[str]:
        if self._trees is None:  # one pass over the forest, then lookups
            trees: dict[str, set[str]] = {}
            for member in self.parent:
                trees.setdefault(self.root(member), set()).add(member)
            self._trees = trees
        return self._trees.get(root, set()) | {root}


@dataclass(frozen=True)
class AssetFigures:
    decided: bool
    passed: bool | None
    approved: bool
    review_wait: float | None
    cycle: float | None
    ltaq: float | None
    delivery: float | None
    iterations: int | None


def asset_figures(asset: str, review: Review, lineage: Lineage) -> AssetFigures:
    first = review.decisions[0] if review.decisions else None
    approved_at = review.approved_at
    cycle = ltaq = None
    iterations = None
    if approved_at is not None:
        cycle = seconds(lineage.requested_at.get(asset), approved_at)
        root = lineage.root(asset)
        ltaq = seconds(lineage.requested_at.get(root), approved_at)
        tree = lineage.tree(root)
        iterations = 1 + sum(
            1
            for member in tree
            for at in lineage.children_jobs.get(member, ())
            if at <= approved_at
        )
    return AssetFigures(
        decided=first is not None,
        passed=None if first is None else first[0] == "approved",
        approved=approved_at is not None,
        review_wait=seconds(review.submitted_at, first[1]) if first else None,
        cycle=cycle,
        ltaq=ltaq,
        delivery=seconds(approved_at, review.delivered_at) if approved_at else None,
        iterations=iterations,
    )


def summarise(values: Iterable[float | None]) -> dict[str, float | int | None]:
    data = [v for v in values if v is not None]
    return {"n": len(data), "p50": percentile(data, 0.5), "p90": percentile(data, 0.9)}


def pass_rate(figures: Iterable[AssetFigures]) -> float | None:
    decided = [f for f in figures if f.decided]
    if not decided:
        return None
    return sum(1 for f in decided if f.passed) / len(decided)
