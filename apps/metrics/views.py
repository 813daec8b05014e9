"""The metrics dashboard: in the portal for managers (their projects), in the
admin for compliance officers (every project); the same figures and CSVs."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.projects.models import Project

from . import charts
from .report import ASSET_TILES, JOB_TILES, LABELS, Report, assets_csv, jobs_csv
from .selectors import DIMENSIONS, asset_rows, dashboard_projects, job_rows

PERIODS = [(7, "7 days"), (30, "30 days"), (90, "90 days")]


class DashboardForm(forms.Form):
    days = forms.TypedChoiceField(choices=PERIODS, coerce=int, initial=30, required=False)
    project = forms.ChoiceField(required=False)
    group = forms.ChoiceField(
        choices=[(d, d.capitalize()) for d in DIMENSIONS], initial="route", required=False
    )

    def __init__(self, *args: Any, projects: QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", "All my projects")] + [  # type: ignore[attr-defined]
            (p.slug, p.name) for p in projects
        ]


def dashboard_context(
    request: HttpRequest, projects: QuerySet[Project]
) -> dict[str, Any] | HttpResponse:
    """The figures for the query string; an HttpResponse when a CSV was asked for."""
    form = DashboardForm(request.GET or None, projects=projects)
    days, group, slug = 30, "route", ""
    if form.is_valid():
        days = form.cleaned_data["days"] or 30
        group = form.cleaned_data["group"] or "route"
        slug = form.cleaned_data["project"]
    chosen = projects.filter(slug=slug) if slug else projects
    today = timezone.localdate()
    since_day = today - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    since = datetime.combine(since_day, time.min, tzinfo=tz)
    until = datetime.combine(today, time.max, tzinfo=tz)
    download = request.GET.get("download")
    if download == "jobs":
        rows = job_rows(projects=chosen, since=since, until=until)
        return _csv(jobs_csv(rows), f"imprimatur-jobs-{since_day}-{today}.csv")
    if download == "assets":
        assets = asset_rows(projects=chosen, since=since, until=until)
        return _csv(assets_csv(assets), f"imprimatur-assets-{since_day}-{today}.csv")
    report = Report(
        since=since_day,
        until=today,
        jobs=job_rows(projects=chosen, since=since, until=until),
        assets=asset_rows(projects=chosen, since=since, until=until),
    )
    breakdown = report.breakdown(group)
    return {
        "form": form,
        "report": report,
        "tiles": report.tiles(),
        "job_tiles": JOB_TILES,
        "asset_tiles": ASSET_TILES,
        "counts": report.counts(),
        "group": group,
        "breakdown": breakdown,
        "charts": [
            (
                f"{LABELS['ttf']}, per day",
                charts.line_chart(report.series("ttf"), title=LABELS["ttf"]),
            ),
            (
                f"{LABELS['ltaq']}, per day",
                charts.line_chart(report.series("ltaq"), title=LABELS["ltaq"]),
            ),
            (
                f"{LABELS['ttf']} by {group}: p50 bar, p90 mark",
                charts.bar_chart(breakdown, metric="ttf", title=f"{LABELS['ttf']} by {group}"),
            ),
        ],
        "query": request.GET.urlencode(),
    }


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    projects = dashboard_projects(user=request.user)  # type: ignore[arg-type]
    if not projects.exists():
        raise PermissionDenied("The metrics dashboard is for project managers.")
    context = dashboard_context(request, projects.order_by("name"))
    if isinstance(context, HttpResponse):
        return context
    return render(request, "metrics/dashboard.html", context)
