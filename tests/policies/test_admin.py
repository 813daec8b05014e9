"""Compliance officers edit policy in the admin; every edit is versioned and
safeguards cannot be switched off under an enabled route that needs them."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.policies import gate
from apps.policies.models import PolicyVersion

EVAL_SET = "tests/policies/data/filter_eval.jsonl"


def _form(instance, **changes):
    from django.forms.models import model_to_dict

    data = {k: v for k, v in model_to_dict(instance).items() if v is not None}
    data.update(changes)
    return {
        k: ([getattr(x, "pk", x) for x in v] if isinstance(v, list) else v) for k, v in data.items()
    }


def test_compliance_officer_edits_a_license_and_it_becomes_a_new_version(
    client, compliance_officer, krea_license
):
    client.force_login(compliance_officer)
    url = reverse("admin:policies_modellicense_change", args=[krea_license.pk])
    data = _form(krea_license, max_employees=250)
    data["weights"] = [w.pk for w in krea_license.weights.all()]
    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    krea_license.refresh_from_db()
    assert krea_license.max_employees == 250
    latest = PolicyVersion.objects.filter(key=f"license:{krea_license.pk}").first()
    assert latest.version == krea_license.version and latest.created_by == compliance_officer
    event = AuditEvent.objects.filter(action="policy.edit").order_by("sequence").last()
    assert event.payload["changes"]["max_employees"] == {"before": None, "after": 250}


def test_the_admin_refuses_to_switch_off_a_filter_an_enabled_route_requires(
    client, compliance_officer, draft_route
):
    client.force_login(compliance_officer)
    flt = gate.filter_settings()
    url = reverse("admin:policies_filtersettings_change", args=[flt.pk])
    data = _form(flt, image_filter_enabled="")
    data.pop("image_filter_enabled")  # an unticked checkbox is absent
    data["pii_detectors"] = '["email"]'
    data["image_classifier_options"] = "{}"

    response = client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "draft" in str(errors["image_filter_enabled"])
    assert gate.filter_settings().image_filter_enabled


def test_project_members_cannot_reach_policy_admin(client, owner):
    client.force_login(owner)
    response = client.get(reverse("admin:policies_modellicense_changelist"))
    assert response.status_code == 302  # to the admin login: not staff


def test_filter_eval_passes_the_shipped_set_and_fails_below_its_floors(capsys, db):
    call_command("filter_eval", EVAL_SET)
    out = capsys.readouterr().out
    assert "overall" in out and "All figures meet the floors" in out

    with pytest.raises(CommandError) as info:
        call_command("filter_eval", EVAL_SET, "--min-recall", "1.0", "--max-fpr", "0.0")
    assert info.value.returncode == 1
