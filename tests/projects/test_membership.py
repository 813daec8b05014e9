import pytest

from apps.audit.models import AuditEvent
from apps.core.exceptions import ApplicationError, PermissionDenied
from apps.projects.models import Perm, Role
from apps.projects.services import membership_remove, membership_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_role_grants_exactly_its_object_permissions(owner, project):
    user = UserFactory(username="newbie")
    membership_set(actor=owner, project=project, user=user, role=Role.VIEWER)
    assert user.has_perm(Perm.VIEW, project)
    assert not user.has_perm(Perm.GENERATE, project)

    membership_set(actor=owner, project=project, user=user, role=Role.REVIEWER)
    user = type(user).objects.get(pk=user.pk)  # drop the permission cache
    assert user.has_perm(Perm.REVIEW, project) and user.has_perm(Perm.GENERATE, project)
    assert not user.has_perm(Perm.MANAGE, project)


def test_role_change_is_audited_with_before_and_after(owner, member, project):
    membership_set(actor=owner, project=project, user=member, role=Role.REVIEWER)
    event = AuditEvent.objects.filter(action="membership.role_change").latest("sequence")
    assert event.actor == owner
    assert event.project_slug == project.slug
    assert event.payload["before"] == "creator" and event.payload["after"] == "reviewer"


def test_only_managers_change_roles(member, viewer, project):
    with pytest.raises(PermissionDenied):
        membership_set(actor=member, project=project, user=viewer, role=Role.MANAGER)
    assert not viewer.has_perm(Perm.MANAGE, project)


def test_last_manager_can_neither_step_down_nor_leave(owner, project):
    with pytest.raises(ApplicationError, match="at least one manager"):
        membership_set(actor=owner, project=project, user=owner, role=Role.CREATOR)
    with pytest.raises(ApplicationError, match="at least one manager"):
        membership_remove(actor=owner, project=project, user=owner)
    assert owner.has_perm(Perm.MANAGE, project)


def test_a_manager_may_leave_once_another_is_appointed(owner, member, project):
    membership_set(actor=owner, project=project, user=member, role=Role.MANAGER)
    membership_remove(actor=owner, project=project, user=owner)
    owner = type(owner).objects.get(pk=owner.pk)
    assert not owner.has_perm(Perm.VIEW, project)
    assert AuditEvent.objects.filter(action="membership.remove").exists()


def test_removed_member_loses_the_project(client, owner, member, project):
    membership_remove(actor=owner, project=project, user=member)
    client.force_login(member)
    assert client.get(f"/projects/{project.slug}/").status_code == 404
