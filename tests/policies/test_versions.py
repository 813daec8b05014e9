"""Every policy edit is a new version, audited with before/after."""

from __future__ import annotations

from apps.audit.models import AuditEvent
from apps.policies import gate
from apps.policies.models import FilterCategory, PolicyVersion
from apps.policies.services import policy_save


def test_each_edit_creates_a_version_and_an_audit_event_with_before_and_after(compliance_officer):
    policy = gate.usage_policy_for(None)
    start = policy.version
    policy.max_steps = 30
    policy_save(actor=compliance_officer, instance=policy)
    policy.prompt_retention_days = 90
    policy_save(actor=compliance_officer, instance=policy)

    versions = PolicyVersion.objects.filter(key="usage:default").order_by("version")
    assert [v.version for v in versions][-2:] == [start + 1, start + 2]
    assert versions.last().snapshot["prompt_retention_days"] == 90
    event = AuditEvent.objects.filter(action="policy.edit").order_by("sequence").last()
    assert event.actor_username == "compliance"
    assert event.payload["changes"] == {"prompt_retention_days": {"before": None, "after": 90}}


def test_filter_rule_edits_bump_the_one_filters_version(compliance_officer):
    before = gate.filter_settings().version
    category = FilterCategory.objects.get(slug="violence")
    category.terms += "\nchainsaw massacre"
    policy_save(actor=compliance_officer, instance=category)

    assert gate.filter_settings().version == before + 1
    event = AuditEvent.objects.filter(action="policy.edit").order_by("sequence").last()
    change = event.payload["changes"]["category:violence"]["terms"]
    assert change["after"].endswith("chainsaw massacre")
    assert not change["before"].endswith("chainsaw massacre")
