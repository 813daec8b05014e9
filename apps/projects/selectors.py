"""Reads of projects filtered by what the user may see.

Object permissions proper (django-guardian) arrive with the access-control
issue; until then membership is the boundary, and every lookup answers 404
for projects the user is not a member of.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from apps.accounts.models import User

from .models import Membership, Project


def project_list_for_user(*, user: User) -> QuerySet[Project]:
    return Project.objects.filter(memberships__user=user).distinct()


def membership_get(*, user: User, project: Project) -> Membership | None:
    return Membership.objects.filter(user=user, project=project).first()


def project_get_for_user(*, user: User, slug: str) -> tuple[Project, Membership]:
    """Return the project and the user's membership, or 404 as if it did not exist."""
    membership = (
        Membership.objects.select_related("project").filter(user=user, project__slug=slug).first()
    )
    if membership is None:
        raise Http404("No such project.")
    return membership.project, membership
