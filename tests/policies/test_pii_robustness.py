"""Bad input: no exception, a correct answer, and no pattern that backtracks.

The long inputs assert the answer, not the time: a catastrophic pattern shows
up as a test run that does not end, a quadratic one as minutes instead of the
few seconds these take.
"""

from __future__ import annotations

import pytest

from apps.policies.filters.pii import DETECTORS, detect, fold

TWO_MB = 2 * 1024 * 1024

PROMPT = (
    "a cozy coffee shop interior at golden hour, 35mm lens, warm tones, 1024x1024, "
    "brand colours #FF5733, summer sale 2024 with 50% off, 16:9, look at this dot pattern. "
)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00" * 64,
        "\ud800 lone surrogates \udfff",
        "\ufeff" * 100,
        "a\u0300" * 100,
        "\u202e\u2066 bidi controls only \u2069\u202c",
        "مرحبا بكم في متجرنا",
        "ברוכים הבאים לחנות שלנו",
        "".join(chr(code) for code in range(0, 0x250)),
        bytes(range(256)).decode("latin-1") * 4,
        "@@@@ .... (at) [dot] +++ ---- //// ((((",
    ],
)
def test_odd_input_finds_nothing_and_raises_nothing(text):
    assert detect(text, DETECTORS) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u202bاتصل على 020 7946 0958\u202c", ["phone"]),
        ("טלפון: 050-1234567", ["phone"]),
        ("tel\x07 020\x01 7946 0958", ["phone"]),
        ("tel ٠٢٠ ٧٩٤٦ ٠٩٥٨", ["phone"]),  # Arabic-Indic digits
        ("tel ०२० ७९४६ ०९५८", ["phone"]),  # Devanagari digits
        ("jane\x00@exam\x1fple.com", ["email"]),
        ("\x00\x01binary\xff\xfe 4111 1111 1111 1111", ["card"]),
    ],
)
def test_personal_data_inside_odd_input_is_found(text, expected):
    assert detect(text, DETECTORS) == expected


def test_fold_removes_invisible_characters_and_unifies_digits():
    assert fold("ｊａｎｅ\u200b＠ex\u00adample．com") == "jane@example.com"
    assert fold("٠١٢٣ ０１２３ 𝟎𝟏𝟐𝟑") == "0123 0123 0123"
    assert fold("a\x00b\x0bc") == "ab c"
    assert fold("") == ""


def test_two_megabytes_of_prose_with_data_at_the_end():
    filler = (PROMPT * (TWO_MB // len(PROMPT) + 1))[:TWO_MB]
    assert detect(filler, DETECTORS) == []
    tail = " contact jane@example.com or +44 20 7946 0958"
    assert detect(filler + tail, DETECTORS) == ["email", "phone"]


def test_two_megabytes_of_adversarial_runs():
    pieces = [
        "1." * 65536,  # a version string that never ends
        "".join(str(n) for n in range(30000)),  # one run of 138,890 digits
        "a" * 131072 + "@",  # a local part that never ends
        "a at b dot " * 12000,  # spelled addresses with no TLD
        "one two three " * 9000,  # number words without a label
        " " * 131072,
        "(" * 65536 + ")" * 65536,
        "x-" * 65536,
        "٠" * 65536,
        "\u200b" * 65536,
        # Many candidates, each of which asks "is there a label before me?":
        # searching the text before each one would be quadratic.
        "5551234567 serial 0012345678 " * 4000,
    ]
    text = "".join(pieces)
    text = (text * (TWO_MB // len(text) + 1))[:TWO_MB]
    assert detect(text, DETECTORS) == []
