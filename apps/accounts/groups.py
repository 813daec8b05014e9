"""Site-wide groups, kept in step with the code after every migrate."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

COMPLIANCE_OFFICERS = "Compliance officers"
ADMINISTRATORS = "Administrators"


def ensure_groups(**kwargs: Any) -> None:
    """Compliance officers read everything in the admin (every project's jobs,
    assets, decisions, the audit trail) and manage policy (licenses, usage and
    data handling, content-filter rules, quarantine), nothing else; in the
    portal they see only projects they are members of, so they never generate
    unless also a member. Administrators hold every permission."""
    compliance, _ = Group.objects.get_or_create(name=COMPLIANCE_OFFICERS)
    view_perms = Permission.objects.filter(codename__startswith="view_").exclude(
        content_type__app_label__in=["sessions", "contenttypes", "axes", "guardian"]
    )
    # They manage policy: licenses, usage and data handling, filter rules, quarantine.
    policy_perms = Permission.objects.filter(content_type__app_label="policies").exclude(
        codename__in=[
            "add_decision",
            "change_decision",
            "delete_decision",
            "add_policyversion",
            "change_policyversion",
            "delete_policyversion",
        ]
    )
    compliance.permissions.set(view_perms | policy_perms)
    administrators, _ = Group.objects.get_or_create(name=ADMINISTRATORS)
    administrators.permissions.set(Permission.objects.all())
