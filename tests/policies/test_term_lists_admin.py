"""Compliance officers keep term lists per language and the registers in the admin,
export them as one JSON file and import them again; each import is one audited
filters version and changes what the gate refuses at once."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.policies import gate
from apps.policies.models import FilterRegister, FilterTermList, PolicyVersion
from apps.policies.seeding import LEXICON_FORMAT


def _refused_categories(text: str) -> list[str]:
    verdict = gate.Verdict()
    gate.check_text({"prompt": text}, gate.filter_settings(), verdict)
    return sorted({rule.category for rule in verdict.rules})


def _upload(client, document) -> object:
    body = json.dumps(document).encode() if not isinstance(document, bytes) else document
    upload = SimpleUploadedFile("lists.json", body, content_type="application/json")
    return client.post(reverse("admin:policies_lexicon_import"), {"file": upload})


def test_export_then_import_round_trips_and_is_one_audited_version(client, compliance_officer):
    client.force_login(compliance_officer)
    exported = client.get(reverse("admin:policies_lexicon_export"))
    assert exported.status_code == 200
    document = json.loads(exported.content)
    assert document["format"] == LEXICON_FORMAT
    document["lists"].setdefault("fr", {})["violence"] = {
        "terms": ["zigouiller"],
        "exceptions": [],
        "cooccurrence": [[], []],
    }
    before = gate.filter_settings().version

    response = _upload(client, document)

    assert response.status_code == 302, response.context["form"].errors
    assert gate.filter_settings().version == before + 1
    row = FilterTermList.objects.get(category__slug="violence", language="fr")
    assert row.terms == "zigouiller"
    version = PolicyVersion.objects.filter(key="filters").first()
    assert version.created_by == compliance_officer
    event = AuditEvent.objects.filter(action="policy.edit").order_by("sequence").last()
    assert "term_lists:violence:fr" in event.payload["changes"]
    assert _refused_categories("on va le zigouiller dans la ruelle") == ["violence"]


def test_a_register_edit_changes_every_list_that_refers_to_it(client, compliance_officer):
    client.force_login(compliance_officer)
    document = {
        "format": LEXICON_FORMAT,
        "lists": {"en": {"brand_misuse": {"cooccurrence": [["<register:people>"], ["our can"]]}}},
        "registers": {"people": {"label": "People", "entries": ["Zelda Quokkaworth"]}},
    }
    assert _upload(client, document).status_code == 302
    assert _refused_categories("Zelda Quokkaworth drinking from our can") == ["brand_misuse"]
    assert FilterRegister.objects.get(slug="people").entries == "Zelda Quokkaworth"


def test_bad_files_are_refused_with_a_reason_and_change_nothing(client, compliance_officer):
    client.force_login(compliance_officer)
    before = gate.filter_settings().version
    cases = [
        b"\xff\xfe not json",
        b"[" * 100_000,
        {"format": "other"},
        {"format": LEXICON_FORMAT, "lists": {"xx": {}}},
        {"format": LEXICON_FORMAT, "lists": {"fr": {"nope": {"terms": []}}}},
        {"format": LEXICON_FORMAT, "lists": {"fr": {"sexual": {"terms": "nu"}}}},
        {"format": LEXICON_FORMAT, "lists": {"fr": {"sexual": {"terms": ["<register:ghosts>"]}}}},
    ]
    for document in cases:
        response = _upload(client, document)
        assert response.status_code == 200
        assert response.context["form"].errors["file"]
    assert gate.filter_settings().version == before


def test_members_cannot_read_or_import_the_lists(client, member):
    client.force_login(member)
    assert client.get(reverse("admin:policies_lexicon_export")).status_code in (302, 403)
    document = {"format": LEXICON_FORMAT, "lists": {}, "registers": {}}
    assert _upload(client, document).status_code in (302, 403)


def test_the_shipped_lists_are_installed_in_every_language(db):
    languages = set(FilterTermList.objects.values_list("language", flat=True))
    assert {"fr", "de", "es", "it", "pt", "nl", "ja", "zh"} <= languages
    assert set(FilterRegister.objects.values_list("slug", flat=True)) >= {"people", "marks"}
