"""Projects and memberships. Roles are stored on Membership and mirrored into
django-guardian object permissions, which every check reads."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.exceptions import ApplicationError, PermissionDenied

from .models import ALL_PROJECT_PERMS, ROLE_PERMISSIONS, Membership, Perm, Project, Role


def _grant(user: User, project: Project, role: str) -> None:
    wanted = set(ROLE_PERMISSIONS[role])
    for perm in ALL_PROJECT_PERMS:
        if perm in wanted:
            assign_perm(perm, user, project)
        else:
            remove_perm(perm, user, project)


def _require_manager(actor: User, project: Project) -> None:
    if not actor.has_perm(Perm.MANAGE, project):
        raise PermissionDenied("Only a manager of this project can change its members.")


@transaction.atomic
def project_create(*, actor: User, name: str, slug: str, description: str = "") -> Project:
    """Create a project; its creator becomes its first manager."""
    if Project.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": "A project with this slug already exists."})
    project = Project.objects.create(
        name=name, slug=slug, description=description, created_by=actor
    )
    Membership.objects.create(project=project, user=actor, role=Role.MANAGER)
    _grant(actor, project, Role.MANAGER)
    audit_record(
        actor=actor,
        action="project.create",
        target=project,
        project=project,
        payload={"after": {"name": name, "slug": slug, "manager": actor.get_username()}},
    )
    return project


def _managers(project: Project) -> int:
    return project.memberships.filter(role=Role.MANAGER).count()


@transaction.atomic
def membership_set(*, actor: User, project: Project, user: User, role: str) -> Membership:
    """Add a member or change their role; only managers may, and a project keeps a manager."""
    _require_manager(actor, project)
    role = Role(role)
    # Lock the project's memberships so two managers demoting each other
    # cannot leave it with none.
    list(Membership.objects.select_for_update().filter(project=project))
    existing = Membership.objects.filter(project=project, user=user).first()
    if (
        existing
        and existing.role == Role.MANAGER
        and role != Role.MANAGER
        and _managers(project) == 1
    ):
        raise ApplicationError("A project needs at least one manager: appoint another first.")
    before = existing.role if existing else None
    if existing:
        existing.role = role
        existing.save(update_fields=["role"])
        membership = existing
    else:
        membership = Membership.objects.create(project=project, user=user, role=role)
    _grant(user, project, role)
    if before != role:
        audit_record(
            actor=actor,
            action="membership.role_change" if existing else "membership.add",
            target=membership,
            target_label=f"{user.get_username()} in {project.slug}",
            project=project,
            payload={"user": user.get_username(), "before": before, "after": role.value},
        )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, project: Project, user: User) -> None:
    _require_manager(actor, project)
    list(Membership.objects.select_for_update().filter(project=project))
    membership = Membership.objects.filter(project=project, user=user).first()
    if membership is None:
        raise ApplicationError(f"{user.get_username()} is not a member of {project.name}.")
    if membership.role == Role.MANAGER and _managers(project) == 1:
        raise ApplicationError("A project needs at least one manager: appoint another first.")
    for perm in ALL_PROJECT_PERMS:
        remove_perm(perm, user, project)
    audit_record(
        actor=actor,
        action="membership.remove",
        target=membership,
        target_label=f"{user.get_username()} in {project.slug}",
        project=project,
        payload={"user": user.get_username(), "before": membership.role, "after": None},
    )
    membership.delete()


@transaction.atomic
def project_review_settings_update(
    *,
    actor: User,
    project: Project,
    brand_colours: list[str],
    min_sharpness: float | None,
    qa_blocks_approval: bool,
) -> Project:
    """What automated QA checks against, and whether a failed check blocks approval."""
    from apps.approvals.qa import parse_hex

    _require_manager(actor, project)
    cleaned = []
    for colour in brand_colours:
        try:
            rgb = parse_hex(colour)
        except ValueError as exc:
            raise ValidationError({"brand_colours": f"'{colour}' is not a hex colour."}) from exc
        cleaned.append("#{:02X}{:02X}{:02X}".format(*rgb))
    if min_sharpness is not None and min_sharpness < 0:
        raise ValidationError({"min_sharpness": "Use zero or more."})
    before = {
        "brand_colours": project.brand_colours,
        "min_sharpness": project.min_sharpness,
        "qa_blocks_approval": project.qa_blocks_approval,
    }
    after = {
        "brand_colours": cleaned,
        "min_sharpness": min_sharpness,
        "qa_blocks_approval": qa_blocks_approval,
    }
    Project.objects.filter(pk=project.pk).update(**after)
    for name, value in after.items():
        setattr(project, name, value)
    audit_record(
        actor=actor,
        action="project.edit",
        target=project,
        project=project,
        payload={"before": before, "after": after},
    )
    return project


MAX_PUBLIC_CONTACTS = 20


@transaction.atomic
def project_public_contacts_update(
    *, actor: User, project: Project, contacts: list[str]
) -> Project:
    """The company contact details this project's prompts may contain (audited).

    Each entry must itself be an email address or a phone number, so the list
    cannot be used to let other personal data (an ID number, a card) through.
    """
    from apps.policies.filters.pii import detect

    _require_manager(actor, project)
    cleaned = list(dict.fromkeys(c.strip() for c in contacts if c.strip()))
    if len(cleaned) > MAX_PUBLIC_CONTACTS:
        raise ValidationError(
            {"public_contacts": f"At most {MAX_PUBLIC_CONTACTS} contact details."}
        )
    for contact in cleaned:
        found = detect(contact, {"email", "phone"})
        if len(contact) > 120 or not found:
            raise ValidationError(
                {"public_contacts": f"'{contact[:60]}' is not an email address or phone number."}
            )
    before = list(project.public_contacts or [])
    Project.objects.filter(pk=project.pk).update(public_contacts=cleaned)
    project.public_contacts = cleaned
    audit_record(
        actor=actor,
        action="project.edit",
        target=project,
        project=project,
        payload={"before": {"public_contacts": before}, "after": {"public_contacts": cleaned}},
    )
    return project
