"""A project's registered contacts are not personal data; everything else still is."""

from __future__ import annotations

import pytest

from apps.policies.filters.pii import DETECTORS, AllowList, detect
from apps.policies.filters.pii.phone import phone_keys

CONTACTS = [
    "Support@Acme.com",
    "+44 20 7946 0958",
    "(212) 555-0123",
    "+39 02 1234 5678",
    "+33 (0)1 42 68 53 00",
    "０９０－１２３４－５６７８",
]


@pytest.mark.parametrize(
    "text",
    [
        "write to support@acme.com",
        "write to SUPPORT@ACME.COM",
        "write to support (at) acme (dot) com",
        "call 020 7946 0958",  # national form of an allowed +44 number
        "call +44 (0)20 7946 0958",
        "call 0044 20 7946 0958",
        "call +44 20 7946 0958",
        "call +1 212-555-0123",
        "call 1-212-555-0123",
        "call 212.555.0123",
        "tel 02 1234 5678",  # Italy keeps the leading 0 after +39
        "tel 01 42 68 53 00",
        "携帯090-1234-5678に連絡",
        "support@acme.com or 020 7946 0958 on the poster",
        "tel 020 7946 0958 2024 edition",
    ],
)
def test_allowed_contacts_are_not_reported(text):
    assert detect(text, DETECTORS) != []
    assert detect(text, DETECTORS, allowed=CONTACTS) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call +44 20 7946 0959", ["phone"]),  # one digit off
        ("call +33 20 7946 0958", ["phone"]),  # same digits, another country
        ("mail jane@acme.com", ["email"]),
        ("support@acme.com or jane@acme.com", ["email"]),
        ("call 020 7946 0958 or 020 7946 0959", ["phone"]),
        ("Tel. 020 7946 0958 / 040 7654321", ["phone"]),
        ("support@acme.com, ssn 123-45-6789", ["national_id"]),
        ("call 020 7946 0958, visa 4111 1111 1111 1111", ["card"]),
        ("support@acme.com IBAN GB82 WEST 1234 5698 7654 32", ["iban"]),
    ],
)
def test_other_personal_data_is_still_reported(text, expected):
    assert detect(text, DETECTORS, allowed=CONTACTS) == expected


def test_allow_list_is_optional_and_accepts_any_iterable():
    text = "write to support@acme.com"
    assert detect(text, DETECTORS) == ["email"]
    assert detect(text, DETECTORS, allowed=()) == ["email"]
    assert detect(text, DETECTORS, allowed=iter(["support@acme.com"])) == []
    assert detect(text, DETECTORS, allowed={"support@acme.com"}) == []
    assert detect(text, ["email"], ["support@acme.com"]) == []


def test_allow_list_ignores_blank_and_odd_entries():
    allow = AllowList(["", "   ", "no contact here", "support@acme.com"])
    assert allow.emails == {"support@acme.com"}
    assert not allow.phones
    assert detect("call 020 7946 0958", DETECTORS, allowed=["", "n/a"]) == ["phone"]


def test_phone_keys_normalise_separators_prefixes_and_trunks():
    assert phone_keys("+44 (0)20 7946 0958") == {"+442079460958"}
    assert phone_keys("0044-20-7946-0958") == {"+442079460958"}
    assert "+442079460958" in phone_keys("020 7946 0958")
    assert "+390212345678" in phone_keys("02 1234 5678")
    assert "+12125550123" in phone_keys("(212) 555-0123")
    assert "+12125550123" in phone_keys("1 212 555 0123")
    assert "+8613812345678" in phone_keys("138 1234 5678")
    assert phone_keys("Tel: +49 30 1234567") == {"+49301234567"}
    assert phone_keys("") == frozenset()
