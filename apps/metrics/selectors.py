"""Rows for the dashboards: one per job and one per decided asset, with the
dimensions they are grouped by (project, route, model, template, user)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Max, QuerySet
from guardian.shortcuts import get_objects_for_user

from apps.accounts.models import User
from apps.approvals.models import Transition
from apps.assets.models import Asset, Rendition
from apps.generation.models import GenerationJob
from apps.projects.models import Perm, Project

from .definitions import (
    DECISION_STATES,
    AssetFigures,
    JobFigures,
    Lineage,
    asset_figures,
    job_figures,
    review_from_transitions,
)

DIMENSIONS = {
    "project": "project__slug",
    "route": "route__name",
    "model": "model_name",
    "template": "template_version__template__name",
    "user": "created_by__username",
}


def dashboard_projects(*, user: User) -> QuerySet[Project]:
    """The portal's dashboard: the projects the user manages.

    Compliance officers read every project's figures in the admin
    (`metrics.view_all_metrics`), not in the portal, as with everything else.
    """
    return get_objects_for_user(user, Perm.MANAGE, klass=Project, accept_global_perms=False)


@dataclass(frozen=True)
class JobRow:
    id: str
    at: datetime
    status: str
    dims: dict[str, str]
    figures: JobFigures
    timings: dict[str, float]


@dataclass(frozen=True)
class AssetRow:
    id: str
    at: datetime  # approval, else first decision
    state: str
    dims: dict[str, str]
    figures: AssetFigures


def _dims(row: dict[str, Any], prefix: str = "") -> dict[str, str]:
    return {name: row[prefix + column] or "—" for name, column in DIMENSIONS.items()}


def job_rows(*, projects: Iterable[Project], since: datetime, until: datetime) -> list[JobRow]:
    rows = (
        GenerationJob.objects.filter(project__in=projects, created_at__range=(since, until))
        .order_by("created_at")
        .values(
            "id",
            "status",
            "created_at",
            "started_at",
            "first_image_at",
            "finished_at",
            "timings",
            *DIMENSIONS.values(),
        )
    )
    return [
        JobRow(
            id=str(row["id"]),
            at=row["created_at"],
            status=row["status"],
            dims=_dims(row),
            figures=job_figures(row),
            timings=row["timings"] or {},
        )
        for row in rows
    ]


def _lineage(projects: Iterable[Project]) -> Lineage:
    lineage = Lineage()
    for asset_id, parent_id, requested_at in Asset.objects.filter(project__in=projects).values_list(
        "id", "job__parent_asset_id", "job__created_at"
    ):
        lineage.parent[str(asset_id)] = str(parent_id) if parent_id else None
        lineage.requested_at[str(asset_id)] = requested_at
    regenerations = GenerationJob.objects.filter(
        project__in=projects, parent_asset__isnull=False
    ).values_list("parent_asset_id", "created_at")
    for parent_id, created_at in regenerations:
        lineage.children_jobs.setdefault(str(parent_id), []).append(created_at)
    return lineage


def asset_rows(*, projects: Iterable[Project], since: datetime, until: datetime) -> list[AssetRow]:
    """Assets with a decision in the window; lineages are read whole (roots may be older)."""
    projects = list(projects)
    decided_ids = set(
        Transition.objects.filter(
            asset__project__in=projects,
            to_state__in=DECISION_STATES,
            created_at__range=(since, until),
        ).values_list("asset_id", flat=True)
    )
    if not decided_ids:
        return []
    history: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for asset_id, to_state, at in (
        Transition.objects.filter(asset_id__in=decided_ids)
        .order_by("created_at", "pk")
        .values_list("asset_id", "to_state", "created_at")
    ):
        history[str(asset_id)].append((to_state, at))
    delivered = dict(
        Rendition.objects.filter(asset_id__in=decided_ids)
        .values("asset_id")
        .annotate(last=Max("created_at"))
        .values_list("asset_id", "last")
    )
    lineage = _lineage(projects)
    assets = Asset.objects.filter(pk__in=decided_ids).values(
        "id", "state", *(f"job__{column}" for column in DIMENSIONS.values())
    )
    rows = []
    for asset in assets:
        key = str(asset["id"])
        review = review_from_transitions(history[key], delivered.get(asset["id"]))
        figures = asset_figures(key, review, lineage)
        at = review.approved_at or review.decisions[0][1]
        rows.append(AssetRow(key, at, asset["state"], _dims(asset, prefix="job__"), figures))
    return sorted(rows, key=lambda r: r.at)


def day(at: datetime) -> date:
    return at.date()
