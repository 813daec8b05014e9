"""A project registers its company contacts; prompts may contain exactly those."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.core.exceptions import ApplicationError
from apps.policies import gate
from apps.projects.services import project_public_contacts_update


def _refused(project, text: str) -> list[str]:
    verdict = gate.Verdict()
    gate.check_text(
        {"prompt": text}, gate.filter_settings(), verdict, contacts=project.public_contacts
    )
    return sorted({rule.category for rule in verdict.rules})


def test_a_registered_press_email_and_hotline_pass_and_others_do_not(project, owner):
    project_public_contacts_update(
        actor=owner, project=project, contacts=["press@northwind.example", "+1 800 555 0199"]
    )
    assert _refused(project, "poster: contact press@northwind.example") == []
    assert _refused(project, "call our hotline +1 800 555 0199 today") == []
    assert _refused(project, "poster: contact maria.lopez@gmail.com") == ["pii.email"]
    assert _refused(project, "call +44 20 7946 0958 today") == ["pii.phone"]
    event = AuditEvent.objects.filter(action="project.edit").order_by("sequence").last()
    assert event.payload["after"]["public_contacts"] == [
        "press@northwind.example",
        "+1 800 555 0199",
    ]


def test_only_emails_and_phone_numbers_can_be_registered(project, owner):
    with pytest.raises(ValidationError):
        project_public_contacts_update(actor=owner, project=project, contacts=["123-45-6789 x"])
    with pytest.raises(ValidationError):
        project_public_contacts_update(actor=owner, project=project, contacts=["our bakery"])


def test_only_managers_register_contacts(project, member):
    with pytest.raises(ApplicationError):
        project_public_contacts_update(actor=member, project=project, contacts=["a@b.example"])


def test_the_settings_page_saves_contacts_and_shows_errors_beside_the_form(client, owner, project):
    client.force_login(owner)
    url = reverse("projects:settings", args=[project.slug])
    bad = client.post(url, {"contacts": "1", "public_contacts": "not a contact"})
    assert bad.status_code == 400
    assert "not an email address or phone number" in bad.content.decode()
    good = client.post(url, {"contacts": "1", "public_contacts": "press@northwind.example"})
    assert good.status_code == 302
    project.refresh_from_db()
    assert project.public_contacts == ["press@northwind.example"]


def test_templates_may_contain_the_registered_contacts_too(project, owner):
    from apps.prompts.services import template_create

    project_public_contacts_update(actor=owner, project=project, contacts=["+1 800 555 0199"])
    template = template_create(
        actor=owner, project=project, name="Hotline", body="poster, call +1 800 555 0199 now"
    )
    assert template.pk
    with pytest.raises(ValidationError):
        template_create(
            actor=owner, project=project, name="Other", body="poster, call +44 20 7946 0958"
        )
