from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from apps.projects.models import Project

from .models import Asset


def asset_list_for_project(*, project: Project) -> QuerySet[Asset]:
    return Asset.objects.filter(project=project).select_related("job", "job__route")


def asset_get_in_project(*, project: Project, asset_id: str) -> Asset:
    asset = Asset.objects.filter(project=project, pk=asset_id).select_related("job").first()
    if asset is None:
        raise Http404("No such asset.")
    return asset
