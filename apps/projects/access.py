"""The edge check every project-scoped portal view starts with."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import Membership, Project
from .selectors import project_get_for_user


def project_for_request(
    request: HttpRequest, slug: str, *, minimum_role: str | None = None
) -> tuple[Project, Membership]:
    """404 for a project the user is not in; 403 when their role is below `minimum_role`."""
    project, membership = project_get_for_user(user=request.user, slug=slug)  # type: ignore[arg-type]
    if minimum_role is not None and not membership.has_role(minimum_role):
        raise PermissionDenied(f"Your role in {project.name} does not allow this.")
    return project, membership
