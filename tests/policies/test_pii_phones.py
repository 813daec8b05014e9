"""Phone numbers as the product's markets write them, and what must not count."""

from __future__ import annotations

import pytest

from apps.policies.filters.pii import DETECTORS, detect, has_phone


@pytest.mark.parametrize(
    "text",
    [
        # Digits directly against Chinese or Japanese text
        "电话13812345678",
        "携帯090-1234-5678に連絡",
        "手机：138 1234 5678",
        "联系电话010-12345678",
        "お問い合わせ 03-1234-5678 まで",
        # Full-width digits and dashes (NFKC)
        "０９０－１２３４－５６７８",
        "電話：０３－１２３４－５６７８",
        # Context words in each language, before numbers with no shape of their own
        "téléphone 0612345678",
        "Telefon: 3012345678",
        "teléfono 612345678",
        "telefono 3471234567",
        "telefone 11912345678",
        "telefoon 0201234567",
        "電話 0312345678",
        "电话 2345 6789",
        "手机 13812345678",
        "Tel. 2345 6789",
        "call 555-1234",
        # National formats that need no label
        "06 12 34 56 78",
        "01.23.45.67.89",
        "030/12345678",
        "(030) 1234567",
        "0171 1234567",
        "020-1234567",
        "06-12345678",
        "0470 12 34 56",
        "02 1234 5678",
        "347 123 4567",
        "612 34 56 78",
        "91 123 45 67",
        "912 345 678",
        "(11) 91234-5678",
        "11 91234-5678",
        "55 1234 5678",
        "090-1234-5678",
        "(03)1234-5678",
        "0120-123-456",
        "138 1234 5678",
        "0755-12345678",
        "0912-345-678",
        # International
        "+34 612 34 56 78",
        "+39 347 123 4567",
        "+351 912 345 678",
        "+55 11 91234-5678",
        "+31 6 12345678",
        "+81 90-1234-5678",
        "+86 138 1234 5678",
        "+852 2345 6789",
        "+44 (0)20 7946 0958",
        "+14155550123",
        # Right-to-left text around the number
        "اتصل على 050 123 4567",
        "טלפון: 050-1234567",
    ],
)
def test_phone_numbers_of_every_market(text):
    assert has_phone(text)


@pytest.mark.parametrize(
    "text",
    [
        "call five five five, one two three four",
        "phone: oh two oh, seven nine four six, oh nine five eight",
        "call me on double five five one two three four",
        "téléphone zéro six, un deux trois quatre cinq six sept",
        "Telefon null drei null eins zwei drei vier fünf sechs",
        "teléfono seis uno dos tres cuatro cinco seis siete ocho",
        "telefono tre quattro sette uno due tre quattro cinque sei sette",
        "手机一三八一二三四五六七八",
    ],
)
def test_digits_spelled_as_words_next_to_a_phone_label(text):
    assert has_phone(text)


@pytest.mark.parametrize(
    "text",
    [
        "five five five, one two three four",  # no phone label
        "one two three four five six seven eight nine countdown",
        "call it one two three",  # too few digits
    ],
)
def test_spelled_digits_without_a_label_are_words(text):
    assert not has_phone(text)


@pytest.mark.parametrize(
    "text",
    [
        "Größe 36 38 40 42 44 46",
        "Artikelnummer 4006381333931",
        "EAN 4006381333931",
        "EAN-13: 5 901234 123457",
        "4 006381 333931",
        "UPC 0 36000 29145 2",
        "Bestellnummer 0123 4567 89",
        "注文番号：090-1234-5678",
        "货号 13812345678",
        "prix 1 299,00 €",
        "€600 123 456",
        "600 000 000 users",
        "1 234 567 890 impressions",
        "1 000 000 téléchargements",
        "población de 47 000 000 habitantes",
        "2024年12月31日まで、価格は12,800円",
        "2024-06-15 10:30",
        "01.02.2024 10:00",
        "05/06/2024 - 07/06/2024",
        "collection 06.2024 - 08.2024",
        "contact sheet 2024-2025",
        "text overlay 1920 1080",
        "ring sizes 52 54 56 58",
        "a dial showing 10 20 30 40 50 60",
        "mobile banner 300 250 728 90",
        "phone screen with keypad 1 2 3 4 5 6 7 8 9 0",
        "手机 1200万像素 5000mAh",
        "a 1:1 aspect ratio, seed 1234567890",
        "IP 192.168.100.254 on a router mockup",
        "version 10.0.19045.3693",
        "0.99 1.99 2.99 3.99 4.99",
        "東京都千代田区1-1-1 〒100-0001",
        "São Paulo, CEP 01310-100",
        "tel aviv skyline 2024",
        "portion sizes 200 500 800",
        "banner widths 300 250 1080",
        "our hotline is open 24/7, 365 days",
    ],
)
def test_marketing_numbers_in_every_language_are_not_phones(text):
    assert not has_phone(text)
    assert "phone" not in detect(text, DETECTORS)


def test_two_numbers_in_one_run_of_digits_are_both_seen():
    # The second is found even when the first is allowed (see test_pii_allowlist).
    assert has_phone("Tel. 030 1234567 / 040 7654321")
