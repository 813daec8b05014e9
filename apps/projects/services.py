from __future__ import annotations

from django.db import transaction

from apps.accounts.models import User

from .models import Membership, Project, Role


@transaction.atomic
def project_create(*, actor: User, name: str, slug: str, description: str = "") -> Project:
    """Create a project; its creator becomes its first manager."""
    project = Project.objects.create(
        name=name, slug=slug, description=description, created_by=actor
    )
    Membership.objects.create(project=project, user=actor, role=Role.MANAGER)
    return project


@transaction.atomic
def membership_set(*, actor: User | None, project: Project, user: User, role: str) -> Membership:
    """Add a member or change their role.

    Who may do this (managers only) is enforced with the access-control issue;
    `actor` is already taken so the audit trail has it when it arrives.
    """
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": Role(role)}
    )
    return membership
