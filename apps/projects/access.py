"""The edge check every project-scoped portal view starts with."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from .models import Perm, Project
from .selectors import project_get_for_user


def has_perm(request: HttpRequest, perm: str, project: Project) -> bool:
    return bool(request.user.has_perm(perm, project))


def project_for_request(
    request: HttpRequest, slug: str, *, perm: str | None = None, hidden: bool = False
) -> Project:
    """404 for a project the user cannot see; for `perm`, 403 when missing.

    `hidden=True` answers 404 instead of 403 too: for objects whose very
    existence the role should not learn (drafts for a viewer).
    """
    project = project_get_for_user(user=request.user, slug=slug)  # type: ignore[arg-type]
    if perm is not None and not has_perm(request, perm, project):
        if hidden:
            raise Http404("Not found.")
        raise PermissionDenied(f"Your role in {project.name} does not allow this.")
    return project


__all__ = ["Perm", "has_perm", "project_for_request"]
