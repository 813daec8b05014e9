from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from apps.accounts.models import User
from apps.projects.models import Perm, Project

from .models import Asset, AssetState


def asset_list_for_user(*, user: User, project: Project) -> QuerySet[Asset]:
    """Everything for those who may see drafts; only approved assets for viewers."""
    assets = Asset.objects.filter(project=project).select_related("job", "job__route")
    if not user.has_perm(Perm.VIEW_DRAFTS, project):
        assets = assets.filter(state=AssetState.APPROVED)
    return assets


def asset_get_for_user(*, user: User, project: Project, asset_id: str) -> Asset:
    asset = asset_list_for_user(user=user, project=project).filter(pk=asset_id).first()
    if asset is None:
        raise Http404("No such asset.")
    return asset


def asset_lineage(*, asset: Asset) -> list[Asset]:
    """The chain from the first draft to this asset, oldest first."""
    chain = [asset]
    seen = {asset.pk}
    parent_id = asset.job.parent_asset_id
    while parent_id is not None and parent_id not in seen:
        parent = Asset.objects.select_related("job", "job__route").get(pk=parent_id)
        chain.append(parent)
        seen.add(parent.pk)
        parent_id = parent.job.parent_asset_id
    return chain[::-1]


def asset_descendants(*, asset: Asset) -> list[Asset]:
    """Every asset regenerated from this one, directly or further down, breadth first."""
    found: list[Asset] = []
    frontier = [asset.pk]
    while frontier:
        children = list(
            Asset.objects.filter(job__parent_asset_id__in=frontier).select_related(
                "job", "job__route"
            )
        )
        found.extend(children)
        frontier = [child.pk for child in children]
    return found
