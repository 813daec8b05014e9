"""Model licenses: commercial thresholds, enterprise licenses, required safeguards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.core.exceptions import PolicyRefused
from apps.generation.services import GenerationParams, generation_request
from apps.policies import gate
from apps.policies.models import CommercialUse, IntendedUse
from apps.policies.services import policy_save, route_set_enabled


def _request(user, project, route="draft"):
    params = GenerationParams(route=route, width=512, height=512, prompt="a red shoe")
    return generation_request(actor=user, project=project, params=params)


def _codes(info):
    return {rule["code"] for rule in info.value.rules}


def _edit(instance, **fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    policy_save(actor=None, instance=instance)
    return instance


def test_revenue_over_the_threshold_refuses_commercial_use(
    member, project, draft_route, organisation
):
    _edit(organisation, annual_revenue_usd=5_000_000)
    with pytest.raises(PolicyRefused) as info:
        _request(member, project)
    assert _codes(info) == {"license.threshold"}
    assert "enterprise license" in info.value.rules[0]["message"]


def test_employee_threshold_counts_too(member, project, draft_route, organisation, krea_license):
    _edit(krea_license, max_employees=30)  # the organisation has 40
    with pytest.raises(PolicyRefused) as info:
        _request(member, project)
    assert _codes(info) == {"license.threshold"}


def test_unknown_organisation_size_fails_closed(member, project, draft_route, organisation):
    _edit(organisation, annual_revenue_usd=None)
    with pytest.raises(PolicyRefused):
        _request(member, project)


def test_exploration_projects_are_not_commercial_use(
    member, project, draft_route, organisation, edit_usage
):
    _edit(organisation, annual_revenue_usd=5_000_000)
    edit_usage(project, intended_use=IntendedUse.EXPLORATION)
    assert _request(member, project).pk


def test_a_current_enterprise_license_lifts_the_threshold_and_an_expired_one_does_not(
    member, project, draft_route, organisation, krea_license
):
    _edit(organisation, annual_revenue_usd=5_000_000)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    _edit(
        krea_license,
        enterprise_license_on_file=True,
        enterprise_license_reference="ENT-2026-001",
        enterprise_license_expires=tomorrow,
    )
    assert _request(member, project).pk
    _edit(krea_license, enterprise_license_expires=dt.date.today() - dt.timedelta(days=1))
    with pytest.raises(PolicyRefused) as info:
        _request(member, project)
    assert _codes(info) == {"license.enterprise_expired"}


def test_prohibited_commercial_use_needs_an_enterprise_license(
    member, project, draft_route, krea_license
):
    _edit(krea_license, commercial_use=CommercialUse.PROHIBITED)
    with pytest.raises(PolicyRefused) as info:
        _request(member, project)
    assert _codes(info) == {"license.commercial_prohibited"}


def test_weights_without_a_license_are_refused(member, project, draft_route, krea_license):
    policy_save(actor=None, instance=krea_license, m2m={"weights": []})
    with pytest.raises(PolicyRefused) as info:
        _request(member, project)
    assert _codes(info) == {"license.missing"}


def test_a_filter_required_by_the_license_cannot_be_switched_off_while_its_route_is_enabled(
    draft_route,
):
    flt = gate.filter_settings()
    flt.image_filter_enabled = False
    with pytest.raises(ValidationError, match="draft"):
        policy_save(actor=None, instance=flt)
    assert gate.filter_settings().image_filter_enabled


def test_a_route_cannot_be_enabled_while_its_license_safeguards_are_off(draft_route, owner):
    route_set_enabled(actor=owner, route=draft_route, enabled=False)
    flt = gate.filter_settings()
    flt.prompt_filter_enabled = False
    policy_save(actor=None, instance=flt)  # allowed: no enabled route needs it now

    with pytest.raises(ValidationError) as info:
        route_set_enabled(actor=owner, route=draft_route, enabled=True)
    assert "requires the prompt filter" in str(info.value)
    draft_route.refresh_from_db()
    assert not draft_route.enabled


def test_requests_are_refused_if_safeguards_are_off_anyway(member, project, draft_route):
    """Defence in depth: even a state the services refuse (e.g. raw SQL) is caught by the gate."""
    from apps.policies.models import FilterSettings

    FilterSettings.objects.filter(pk=1).update(image_filter_enabled=False)
    with pytest.raises(PolicyRefused) as info:
        _request(member, project)
    assert _codes(info) == {"safeguard.image_filter_off"}
