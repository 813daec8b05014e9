"""Phone numbers in the national formats of the markets served.

Marketing prompts are full of numbers that are not phone numbers (1024x1024,
2024, $1,299.99, #123456, 120 x 60 x 75 cm, SKUs, EANs, dates), so a digit run
only counts when its shape is one that a phone number has and a measurement,
price or product code does not, or when the text says it is a phone number:

- international: "+CC ..." (8-15 digits), or "00CC" with separators;
- trunk-prefixed national numbers with separators, 9-12 digits, as written in
  the UK, France, Germany, the Netherlands, Belgium, Italy (fixed lines),
  Japan, China (fixed lines), Taiwan, Australia: "020 7946 0958",
  "01 23 45 67 89", "030/12345678", "090-1234-5678", "0755-12345678";
- national shapes without a trunk prefix: North America "(212) 555-0123",
  Italian mobiles "347 123 4567", Spanish and Portuguese 9-digit numbers
  "612 34 56 78" / "912 345 678", Chinese mobiles "138 1234 5678", Brazil and
  Mexico "(11) 91234-5678" / "55 1234 5678";
- anything of 7-15 digits right after a phone label in one of the product's
  languages ("tel", "Telefon", "teléfono", "電話", "手机" ...);
- after a word that is only sometimes about phones ("call", "text", "ring",
  "mobile", "portable"): a number standing alone, of 9-15 digits, or written
  "555-1234", or read out as words ("call five five five, one two ...").

Bare digit runs never count on their own: "5551234567" is as likely a serial.
Numbers labelled as a SKU, EAN, order or model number never count, nor do
dates ("12.05.2025 10:00") or runs of years ("2024-2025").

Digits may sit directly against Chinese or Japanese text ("电话13812345678",
"携帯090-1234-5678に連絡"): only ASCII letters and digits end a number.

libphonenumber (the `phonenumbers` package) was measured and left out: its
validity check rejects numbers that people do write, such as the UK's reserved
drama ranges, adds ~60 ms of import and ~35 us per candidate, and the shapes
above already carry the precision it would add to labelled numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .national_id import national_id_spans
from .payment import NOT_PERSONAL_GAP_RE, card_spans, iban_spans, not_personal_labels
from .text import Prepared, blank, fold, labels

_SEP = r"(?:[ \t]?[.\-/][ \t]?|[ \t]{1,2}|[ \t]?\(|\)[ \t\-]?)"
# At most eight digit groups: no phone number has more, and the bound keeps
# the work per match constant on adversarial input.
_BLOB_RE = re.compile(rf"(?:\(\+?|\+)?[0-9]+(?:{_SEP}[0-9]+){{0,7}}\)?")
_GROUP_RE = re.compile(r"[0-9]+")
_MAX_DIGITS = 17

_LATIN = r"A-Za-z\u00c0-\u024f"
_STRONG_WORDS = (
    # en
    "phone|phones|telephone|tel|tel no|cellphone|cell phone|mobile phone|mobile number|whatsapp"
    "|fax|hotline|helpline|landline"
    # fr
    "|téléphone|télephone|telephone|tél|numéro de portable"
    # de
    "|telefon|telefonnummer|telefonisch|handynummer|mobilnummer|mobiltelefon"
    "|rufnummer|festnetz|faxnummer|tel\\.-nr|telnr"
    # es
    "|teléfono|telefono|celular|tlf|tfno|telf"
    # it
    "|cellulare|recapito"
    # pt
    "|telefone|telemóvel|telemovel"
    # nl
    "|telefoon|telefoonnummer"
)
# Words that are about phones only sometimes ("mobile banner", "handy tips",
# "portable speaker", "ring size", "dial of a watch").
_WEAK_WORDS = (
    "call|call me|call us|text|text me|sms|ring|dial|contact|cell|reach|mobile|mobil|handy"
    "|portable|móvil|movil|cel|fone|mobiel|gsm"
    "|appelez|appeler|appelle|appel|contactez|anrufen|ruf|kontakt|llama|llame|llamar|llámanos"
    "|llamanos|contacto|chiama|chiamaci|chiamami|chiamare|contatto|ligue|ligar|liga|contato"
    "|bel|bellen"
)
_CJK_STRONG = (
    "電話番号|電話|携帯電話|携帯番号|携帯|ケータイ|でんわ|ファックス|連絡先|お問い合わせ|問い合わせ先"
    "|电话号码|电话|手机号码|手机号|手机|手機|联系电话|聯絡電話|聯繫電話|座机|热线|熱線|致电|拨打|撥打"
    "|微信|联系方式|聯繫方式|聯絡方式"
)


def _label_re(words: str, cjk: str = "") -> re.Pattern[str]:
    ordered = "|".join(sorted(words.split("|"), key=lambda w: (-len(w), w)))
    latin = rf"(?<![{_LATIN}])(?:{ordered})(?![{_LATIN}])"
    return re.compile(f"{latin}|{cjk}" if cjk else latin)


_STRONG_LABEL_RE = _label_re(_STRONG_WORDS, _CJK_STRONG)
_WEAK_LABEL_RE = _label_re(_WEAK_WORDS)
_LABEL_GAP_RE = re.compile(r"[^\n0-9+]{0,16}")

# 12.05.2025, 2025-05-12, 06/2024 (month and year)
_DATE_RE = re.compile(
    r"(?<![0-9])(?:(?:[0-9]{1,2})([./\-])(?:[0-9]{1,2})\1(?:19|20)[0-9]{2}"
    r"|(?:19|20)[0-9]{2}([./\-])(?:[0-9]{1,2})\2(?:[0-9]{1,2})"
    r"|(?:0?[1-9]|1[0-2])[./](?:19|20)[0-9]{2})(?![0-9])"
)
_YEAR_RE = re.compile(r"(?:19|20)[0-9]{2}")
_BAD_BEFORE = frozenset("#$€£¥₹%&@*^~=_")
_BAD_AFTER = frozenset("%€$£¥₹°″′@#_")


@dataclass(frozen=True)
class Candidate:
    text: str  # as written, from the first digit (or "+"/"(") to the last
    start: int
    groups: tuple[str, ...]
    plus: bool
    last: bool  # no digit group of the same blob follows


def _is_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _left_ok(text: str, start: int) -> bool:
    if start == 0:
        return True
    before = text[start - 1]
    if _is_alnum(before) or before in _BAD_BEFORE:
        return False
    # "1,299.99", "v2.3", "SKU-0012", "f/1.8": part of something else.
    return not (before in ".,:/-" and start >= 2 and _is_alnum(text[start - 2]))


def _right_ok(text: str, end: int) -> bool:
    if end >= len(text):
        return True
    after = text[end]
    if _is_alnum(after) or after in _BAD_AFTER:
        return False
    return not (after in ".,:/-" and end + 1 < len(text) and _is_alnum(text[end + 1]))


def _plausible_digits(digits: str, groups: tuple[str, ...], text: str) -> bool:
    """Not a repeated digit, a date, a run of years or a keypad ("1 2 3 4 5 6 7")."""
    return (
        len(set(digits)) > 1
        and sum(len(g) == 1 for g in groups) < 3
        and _DATE_RE.search(text) is None
        and not all(len(g) == 4 and _YEAR_RE.fullmatch(g) for g in groups)
    )


def _shaped(candidate: Candidate) -> bool:
    """Whether the number has a phone shape that needs no label (module docstring)."""
    groups = candidate.groups
    digits = "".join(groups)
    count = len(digits)
    if candidate.plus:
        digits = "".join(g for g in groups if g != "0")  # "+44 (0)20 ..."
        return 8 <= len(digits) <= 15 and digits[0] != "0"
    if len(groups) < 2 or not _plausible_digits(digits, groups, candidate.text):
        return False
    sizes = tuple(len(g) for g in groups)
    if digits.startswith("00"):  # "0049 30 12345678"
        return 3 <= sizes[0] <= 5 and digits[2] != "0" and 10 <= count <= 17
    if digits[0] == "0":
        # Area code with its trunk 0, then either one subscriber block
        # ("030 12345678") or blocks of 2-4 digits ("020 7946 0958").
        rest = sizes[1:]
        return (
            9 <= count <= 12
            and sizes[0] <= 5
            and min(rest) >= 2
            and (len(rest) == 1 or max(rest) <= 4)
            and digits[sizes[0] :].strip("0") != ""
        )
    if all(g.endswith("0") for g in groups):
        return False  # a list of round numbers: "200 500 800", "300 250 1080"
    if sizes in {(3, 3, 4), (1, 3, 3, 4)}:  # North America, Italian mobiles
        area, exchange = groups[-3], groups[-2]
        if (sizes[0] == 3 or groups[0] == "1") and area[0] in "23456789":
            return exchange[0] in "23456789" or area[0] == "3"
        return False
    if count == 10 and digits[0] == "3" and sizes[0] == 3 and digits[1] != "0":
        return True  # Italian mobiles in other groupings: 347 1234567
    if count == 9 and digits[0] in "26789":  # Spain, Portugal
        return sizes in {(3, 3, 3), (3, 2, 2, 2), (2, 3, 2, 2), (2, 3, 4), (3, 2, 4)} and (
            digits[3:] != "000000"
        )
    if count == 11 and digits[0] == "1" and digits[1] in "3456789":  # Chinese mobiles
        return sizes in {(3, 4, 4), (3, 8)}
    if len(groups) == 3 and sizes[0] == 2 and sizes[2] == 4:  # Brazil, Mexico
        return sizes[1] == 4 or (sizes[1] == 5 and groups[1][0] == "9")
    return False


def _labelled(prepared: Prepared, candidate: Candidate, spelled: bool) -> bool:
    digits = "".join(candidate.groups)
    if not 7 <= len(digits) <= 15:
        return False
    if labels(prepared, "phone:strong", _STRONG_LABEL_RE).precede(candidate.start, _LABEL_GAP_RE):
        return _plausible_digits(digits, candidate.groups, candidate.text)
    # After a weak word: "call 555-1234" and a number read out word by word are
    # phone numbers; "call 2024 2025" and lists ("dial showing 10 20 30 40",
    # "mobile banner 300 250 728 90") are not.
    short_ok = spelled or tuple(len(g) for g in candidate.groups) == (3, 4)
    return (
        (len(digits) >= 9 or short_ok)
        and len(candidate.groups) <= 3
        and candidate.last
        and labels(prepared, "phone:weak", _WEAK_LABEL_RE).precede(candidate.start, _LABEL_GAP_RE)
        and _plausible_digits(digits, candidate.groups, candidate.text)
    )


def has_phone_label(prepared: Prepared) -> bool:
    """Whether any word in the text says a phone number may follow."""
    return bool(labels(prepared, "phone:strong", _STRONG_LABEL_RE)) or bool(
        labels(prepared, "phone:weak", _WEAK_LABEL_RE)
    )


def _thousands(text: str, spans: list[tuple[int, int]]) -> bool:
    """Whether digit groups read as one grouped quantity: "1 234 567 890"."""
    if len(spans) < 4 or text[spans[0][0]] == "0" or spans[0][1] - spans[0][0] > 3:
        return False
    separators = {text[spans[i - 1][1] : spans[i][0]] for i in range(1, len(spans))}
    return len(separators) == 1 and all(end - start == 3 for start, end in spans[1:])


def _blanked(prepared: Prepared) -> str:
    text: str | None = prepared.memo.get("phone_text")
    if text is None:
        spans = card_spans(prepared) + iban_spans(prepared) + national_id_spans(prepared)
        text = prepared.memo["phone_text"] = blank(prepared.text, spans)
    return text


def _candidates(
    text: str, spans: list[tuple[int, int]], index: int, start: int, blob_end: int, plus: bool
) -> list[Candidate]:
    """Runs of whole groups from group `index`, longest first, that could be a number."""
    found = []
    digits = 0
    ends = []
    for end in range(index + 1, len(spans) + 1):
        digits += spans[end - 1][1] - spans[end - 1][0]
        if digits > _MAX_DIGITS:
            break
        if digits >= 7:
            ends.append(end)
    for end in reversed(ends):
        if end == len(spans):
            if not _right_ok(text, blob_end):
                continue
        elif not _has_space(text[spans[end - 1][1] : spans[end][0]]):
            continue
        groups = tuple(text[a:b] for a, b in spans[index:end])
        found.append(
            Candidate(text[start : spans[end - 1][1]], start, groups, plus, end == len(spans))
        )
    return found


def _has_space(separator: str) -> bool:
    return " " in separator or "\t" in separator


def find_phones(prepared: Prepared, *, labelled_only: bool = False) -> Iterator[str]:
    """Each phone number in the text, as written.

    A blob of digit groups may hold a number with a year or a count beside it
    ("020 7946 0958 2024"), or two numbers ("030 1234567 / 040 7654321"), so
    runs of whole groups are tried from each group that can start a number,
    longest first: first for a phone shape, then for a label.
    """
    if prepared.digit_count < 7:
        return
    text = _blanked(prepared)
    for blob in _BLOB_RE.finditer(text):
        offset, written = blob.start(), blob.group()
        if len(written) < 7:
            continue  # fewer than 7 digits: no phone number
        left_ok = _left_ok(text, offset)
        if not left_ok and " " not in written and "\t" not in written:
            continue  # "v1.2.3.4.5.6.7", "SKU-0012345678": no group can start a number
        spans = [(m.start() + offset, m.end() + offset) for m in _GROUP_RE.finditer(blob.group())]
        plus = "+" in text[offset : spans[0][0]]
        quantity = not plus and _thousands(text, spans)
        index = 0
        while index < len(spans):
            if index == 0:
                start, startable = offset, left_ok
            else:
                first = spans[index][0]
                start = first - 1 if text[first - 1] == "(" else first
                startable = _has_space(text[spans[index - 1][1] : first])
            if not startable or not_personal_labels(prepared).precede(start, NOT_PERSONAL_GAP_RE):
                index += 1
                continue
            candidates = _candidates(text, spans, index, start, blob.end(), plus and index == 0)
            hit = None
            if not (labelled_only or quantity):
                hit = next((c for c in candidates if _shaped(c)), None)
            if hit is None:
                hit = next((c for c in candidates if _labelled(prepared, c, labelled_only)), None)
            if hit is None:
                index += 1
                continue
            yield hit.text
            index += len(hit.groups)


_MARKET_CALLING_CODES = (
    "1", "44", "353", "61", "64", "27", "33", "32", "41", "352", "377", "49", "43", "423", "34",
    "52", "54", "56", "57", "51", "58", "39", "351", "55", "31", "81", "86", "886", "852", "853",
    "65", "91",
)  # fmt: skip
_FIRST_DIGIT_RE = re.compile(r"[0-9+(]")


def phone_keys(value: str) -> frozenset[str]:
    """Forms of a phone number to compare an allow-list by.

    "+44 (0)20 7946 0958", "0044 20 7946 0958" and "020 7946 0958" share the
    key "+442079460958". A national number does not say its country, so it
    stands for each market's reading of it (trunk 0 dropped, or kept as in
    Italy); two national numbers also match on their digits.
    """
    value = fold(value)
    first = _FIRST_DIGIT_RE.search(value)
    value = value[first.start() :] if first else value
    international = value.lstrip("(").startswith("+")
    if international:
        value = value.replace("(0)", "")
    digits = re.sub(r"[^0-9]", "", value)
    if not digits:
        return frozenset()
    if international:
        return frozenset({"+" + digits})
    if digits.startswith("00") and len(digits) > 4:
        return frozenset({"+" + digits[2:]})
    national = digits[1:] if digits.startswith("0") else digits
    keys = {digits, *("+" + code + national for code in _MARKET_CALLING_CODES)}
    if digits.startswith("0"):
        keys.add("+39" + digits)
    if len(digits) == 11 and digits.startswith("1"):
        keys.add("+" + digits)
    return frozenset(keys)
