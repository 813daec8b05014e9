"""Reads of projects filtered by what the user may see (django-guardian object permissions)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from apps.accounts.models import User

from .models import Membership, Perm, Project


def project_list_for_user(*, user: User) -> QuerySet[Project]:
    """Projects where the user holds the view permission through a membership.

    Global (model-level) permissions are ignored on purpose: a compliance
    officer reads every project in the admin, not in the portal.
    """
    return get_objects_for_user(user, Perm.VIEW, klass=Project, accept_global_perms=False)


def membership_get(*, user: User, project: Project) -> Membership | None:
    return Membership.objects.filter(user=user, project=project).first()


def project_get_for_user(*, user: User, slug: str) -> Project:
    """The project, or 404 as if it did not exist when the user may not see it.

    The same rule as `project_list_for_user` (object permissions only), asked
    of one row: every project-scoped request starts here, and building the
    list query costs several times the two permission lookups.
    """
    project = Project.objects.filter(slug=slug).first()
    if project is None or not ObjectPermissionChecker(user).has_perm(Perm.VIEW, project):
        raise Http404("No such project.")
    return project


def member_list(*, project: Project) -> QuerySet[Membership]:
    return project.memberships.select_related("user").order_by("user__username")
