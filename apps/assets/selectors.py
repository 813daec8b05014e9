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
