"""National ids of every market: valid check digits count, wrong ones are SKUs.

Valid examples are the issuers' or python-stdnum's published ones; each
invalid twin differs only in its check character.
"""

from __future__ import annotations

import pytest

from apps.policies.filters.pii import DETECTORS, detect, has_national_id


@pytest.mark.parametrize(
    "text",
    [
        # Spanish DNI: 8 digits and the mod-23 letter, usual separators
        "DNI 12345678Z",
        "12345678-Z",
        "12.345.678-Z",
        "mi dni es 12345678z",
        "12 345 678 Z",
        # Spanish NIE
        "NIE X1234567L",
        "X-1234567-L",
        "y 2345678 z".upper(),
        # Italian codice fiscale: 16 characters, birth date, check letter
        "codice fiscale RSSMRA85T10A562S",
        "cf: rssmra85t10a562s",
        "RSS MRA 85T10 A562S",
        # German Steuer-ID (IdNr): grouped anywhere, bare digits with a label
        "36 574 261 809",
        "Steuer-ID 36574261809",
        "Steueridentifikationsnummer: 36574261809",
        "IdNr 36.574.261.809",
        # Japanese My Number: 12 digits with a label
        "マイナンバー 6214 9832 0257",
        "My Number: 621498320257",
        "個人番号6214-9832-0257",
        # Chinese resident identity number: 18 characters, ISO 7064 MOD 11-2
        "身份证号码11010519491231002X",
        "ID 110105 19491231 002X",
        "11010519491231002x",
        # Brazilian CPF: formatted anywhere, bare digits with a label
        "CPF 390.533.447-05",
        "390.533.447-05",
        "cpf 39053344705",
        "CPF: 390 533 447 05",
        # Corsican French NIR (department 2A)
        "NIR 2 69 05 2A 004 012 28",
    ],
)
def test_valid_national_ids(text):
    assert has_national_id(text)
    assert detect(text, DETECTORS) == ["national_id"]


@pytest.mark.parametrize(
    "text",
    [
        "12345678A",  # DNI letter wrong
        "DNI 12345678-Y",
        "X1234567A",  # NIE letter wrong
        "RSSMRA85T10A562T",  # codice fiscale check letter wrong
        "RSSMRA85T70A562S",  # no such birth day
        "36 574 261 808",  # IdNr check digit wrong
        "Steuer-ID 36574261808",
        "12 345 678 903",  # IdNr: no digit repeated, so never issued
        "マイナンバー 6214 9832 0258",  # My Number check digit wrong
        "11010519491231002Y",  # resident number check wrong
        "110105194913310028",  # no 31st of the 13th month
        "390.533.447-06",  # CPF check digits wrong
        "111.111.111-11",  # passes the checksum, never issued
        "cpf 39053344706",
    ],
)
def test_wrong_check_digits_are_product_codes(text):
    assert not has_national_id(text)


@pytest.mark.parametrize(
    "text",
    [
        "36574261809",  # an 11-digit run: an order number unless labelled
        "6214 9832 0257",  # 12 digits in fours: a serial unless labelled My Number
        "621498320257",
        "39053344705",  # CPF digits without the format or a label
        "Bestellnummer 36 574 261 809",  # labelled as an order number
        "SKU 12345678Z",
        "entre 10000000 y 20000000 euros",  # "y" is a word here, not a DNI letter
        "4111 1111 1111 1111",  # a card's first 12 digits are not a My Number
    ],
)
def test_weak_shapes_need_a_label(text):
    assert not has_national_id(text)


def test_ids_next_to_cjk_text_and_fullwidth_digits():
    assert has_national_id("身份证１１０１０５１９４９１２３１００２Ｘ号")
    assert has_national_id("個人番号：６２１４ ９８３２ ０２５７")


def test_existing_ids_still_count():
    assert has_national_id("ssn 123-45-6789")
    assert has_national_id("NINO AB 12 34 56 C")
    assert has_national_id("BSN 123456782")
    assert has_national_id("numéro 1 84 12 76 451 089 46")


def test_an_id_is_not_also_a_phone_number():
    assert detect("ssn 078-05-1120", DETECTORS) == ["national_id"]
    assert detect("CPF 390.533.447-05, call me", DETECTORS) == ["national_id"]
