"""PII detectors: structural and checksum proof, no firing on marketing numbers."""

from __future__ import annotations

import pytest

from apps.policies.filters.pii import (
    DETECTORS,
    bsn_valid,
    detect,
    has_card,
    has_email,
    has_iban,
    has_national_id,
    has_phone,
    iban_valid,
    luhn_valid,
    nir_valid,
)

MARKETING_NUMBERS = [
    "1024x1024 render at 4k, 16:9",
    "summer campaign 2024, est. 1998",
    "brand colours #FF5733, #33C1FF and #123456",
    "SKU 12345 on the box",
    "shipping label SKU 0012345678",
    "ISBN 978-3-16-148410-0 on the back cover",
    "price tag $1,299.99, 50% off",
    "event on 12.05.2025 from 18:00 to 22:00, 2023-2024 season",
    "desk 120 x 60 x 75 cm, 35mm lens, f/1.8",
    "map with coordinates 40.7128, -74.0060",
    "order #10293847 confirmation",
    "card mockup XXXX XXXX XXXX 1234",
    "a calculator showing 12345678",
    "version 2.3.1, 3 columns, 12 icons",
]


@pytest.mark.parametrize("text", MARKETING_NUMBERS)
def test_marketing_numbers_are_not_pii(text):
    assert detect(text, DETECTORS) == []


@pytest.mark.parametrize(
    "text",
    [
        "contact jane.doe@example.com",
        "jane_doe+promo@mail.example.org on the poster",
        "a.b@company.co.uk",
        "sarah (at) acme (dot) com",
        "sarah [at] acme [dot] io",
        "jane＠example．com",  # fullwidth forms are folded first
    ],
)
def test_email_addresses(text):
    assert detect(text, ["email"]) == ["email"]


@pytest.mark.parametrize("text", ["@brand handle", "meet at noon", "name at example", "a@b"])
def test_not_email(text):
    assert not has_email(text)


@pytest.mark.parametrize(
    "text",
    [
        "call +44 20 7946 0958",
        "phone number: +1 (212) 555-0123",
        "(212) 555-0123",
        "212-555-0123",
        "212.555.0123",
        "1-800-555-0199",
        "0049 30 12345678",
        "020 7946 0958",
        "07700 900123",
        "01 23 45 67 89",
        "030-12345678",
        "call 5551234567",
        "phone: 0612345678",
        "+33 1 42 68 53 00",
    ],
)
def test_phone_numbers(text):
    assert has_phone(text)


@pytest.mark.parametrize(
    "text",
    ["5551234567", "2024", "+44", "serial number 5551234567", "call 555", "room 101"],
)
def test_not_phone(text):
    assert not has_phone(text)


def test_luhn():
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1111",
        "5555-5555-5555-4444",
        "3782 822463 10005",
        "4012888888881881",
        "my visa 4012 8888 8888 1881 on the screen",
    ],
)
def test_luhn_valid_cards(text):
    assert has_card(text)


@pytest.mark.parametrize(
    "text",
    ["4111 1111 1111 1112", "0000 0000 0000 0000", "8111 1111 1111 1119", "4111 1111 111"],
)
def test_invalid_or_implausible_cards(text):
    assert not has_card(text)


@pytest.mark.parametrize(
    "iban",
    [
        "GB82 WEST 1234 5698 7654 32",
        "DE89 3704 0044 0532 0130 00",
        "NL91ABNA0417164300",
        "FR14 2004 1010 0505 0001 3M02 606",
        "FR76 3000 6000 0112 3456 7890 189",
        "GB29 NWBK 6016 1331 9268 19",
    ],
)
def test_valid_ibans(iban):
    assert iban_valid(iban)
    assert has_iban(f"pay to {iban.lower()} please")


@pytest.mark.parametrize(
    "iban",
    [
        "GB82 WEST 1234 5698 7654 33",  # checksum
        "DE89 3704 0044 0532 0130 0",  # length for DE
        "XX82 WEST 1234 5698 7654 32",  # unknown country
    ],
)
def test_invalid_ibans(iban):
    assert not iban_valid(iban)
    assert not has_iban(iban)


def test_iban_and_card_digits_do_not_count_as_phones():
    assert detect("DE89 3704 0044 0532 0130 00", DETECTORS) == ["iban"]
    assert detect("4111 1111 1111 1111", DETECTORS) == ["card"]


@pytest.mark.parametrize("text", ["ssn 123-45-6789", "078-05-1120", "social security: 219 09 9999"])
def test_us_ssn(text):
    assert has_national_id(text)


@pytest.mark.parametrize(
    "text",
    ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "123 45 6789"],
)
def test_ssn_invalid_ranges_and_unlabelled_spaces(text):
    assert not has_national_id(text)


def test_uk_national_insurance_number():
    assert has_national_id("NINO AB 12 34 56 C")
    assert has_national_id("jg103759a")
    assert not has_national_id("QQ123456C")  # Q is never a first letter
    assert not has_national_id("GB123456A")  # reserved prefix


def test_dutch_bsn_eleven_test_and_context():
    assert bsn_valid("111222333") and bsn_valid("123456782")
    assert not bsn_valid("123456789")
    assert has_national_id("BSN 123456782")
    assert not has_national_id("BSN 123456789")
    assert not has_national_id("123456782")  # nine digits alone are too common


def test_french_nir_key():
    assert nir_valid("1841276451089", "46")
    assert not nir_valid("1841276451089", "47")
    assert has_national_id("numéro 1 84 12 76 451 089 46")


def test_detect_reports_names_in_registry_order_and_rejects_unknown():
    text = "mail jo@example.com or call +44 20 7946 0958"
    assert detect(text, DETECTORS) == ["email", "phone"]
    assert detect(text, ["phone"]) == ["phone"]
    with pytest.raises(ValueError, match="Unknown PII detectors: fax"):
        detect(text, ["fax"])


def test_hits_name_the_detector_never_the_value():
    text = "jane@example.com +44 20 7946 0958 4111 1111 1111 1111 DNI 12345678Z"
    hits = detect(text, DETECTORS)
    assert hits == ["email", "phone", "card", "national_id"]
    assert all(hit in DETECTORS for hit in hits)
