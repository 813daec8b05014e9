"""Personal data detectors for prompts.

A prompt is stored in decisions, shown to reviewers and may be rendered into an
image, so personal data in it is refused before anything else happens. Marketing
prompts are full of numbers that are not personal data (sizes like 1024x1024,
years, hex colours, SKUs, prices), so every detector prefers a structural or
checksum proof over "enough digits": cards must pass Luhn, IBANs mod-97 with
the country's length, national ids their own rules, and bare digit runs only
count as phone numbers when the text says they are one.

Each detector answers yes/no. Hits name the detector, never the matched value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

# --- email ------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[a-z0-9][a-z0-9._%+-]{0,63}"
    r"(?:@|\s?[(\[{]\s?at\s?[)\]}]\s?)"
    r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?"
    r"(?:(?:\.|\s?[(\[{]\s?dot\s?[)\]}]\s?)[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*"
    r"(?:\.|\s?[(\[{]\s?dot\s?[)\]}]\s?)[a-z]{2,24}(?![\w-])",
    re.IGNORECASE,
)


def has_email(text: str) -> bool:
    """Addresses, including the "name (at) host (dot) com" disguise."""
    return _EMAIL_RE.search(text) is not None


# --- phone ------------------------------------------------------------------

# Words that say a number is an identifier of a thing, not a phone number.
_NOT_PHONE_CONTEXT = re.compile(
    r"\b(?:sku|isbn|ean|upc|gtin|order|invoice|item|part|model|serial|ref|reference|lot|batch"
    r"|article|product|asin|tracking)(?:\s*(?:no|nr|number|num|id|code))?\s*[.:#-]?\s*$",
    re.IGNORECASE,
)
_PHONE_CONTEXT = re.compile(
    r"(?:phone|tel|telephone|mobile|cell|call|text|sms|whatsapp|fax|hotline|dial|ring|contact)"
    r"\b[^\n\d+]{0,16}$",
    re.IGNORECASE,
)
# +CC ... or 00CC ...: international numbers, separators between digit groups.
_INTERNATIONAL_RE = re.compile(
    r"(?<![\w+#])(?:\+|00)[1-9]\d{0,2}(?:[ .\-\u00a0]?\(?\d{1,5}\)?){2,7}(?![\w])"
)
# North American: (212) 555-0123, 212-555-0123, 212.555.0123, optional leading 1.
_NANP_RE = re.compile(
    r"(?<![\w#])(?:1[ .\-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[ .\-])[2-9]\d{2}[ .\-]\d{4}(?![\w])"
)
# Trunk-prefixed national numbers grouped with separators: 020 7946 0958,
# 07700 900123, 01 23 45 67 89, 030-12345678, 06-12345678.
_NATIONAL_RE = re.compile(r"(?<![\w#])0\d{1,4}(?:[ .\-\u00a0/]\d{2,8}){1,4}(?![\w])")
# Bare digit runs: only with phone context ("call 5551234567").
_BARE_RE = re.compile(r"(?<![\w#])\+?\d{10,13}(?![\w])")


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def has_phone(text: str) -> bool:
    """International and common national phone formats.

    Sizes ("1024x1024"), years, hex colours ("#123456"), SKUs and other short
    numbers never reach the digit counts below, and numbers labelled as a SKU,
    order or ISBN are skipped. Card numbers and IBANs are blanked first: their
    digit groups look like phone numbers and have their own detectors.
    """
    for start, end in _card_spans(text) + _iban_spans(text):
        text = text[:start] + "x" * (end - start) + text[end:]
    for match in _INTERNATIONAL_RE.finditer(text):
        digits = _digits(match.group())
        if match.group().startswith("00"):
            digits = digits[2:]
        if 8 <= len(digits) <= 15 and not _NOT_PHONE_CONTEXT.search(text[: match.start()]):
            return True
    for pattern, low, high in ((_NANP_RE, 10, 11), (_NATIONAL_RE, 10, 11)):
        for match in pattern.finditer(text):
            if low <= len(_digits(match.group())) <= high and not _NOT_PHONE_CONTEXT.search(
                text[: match.start()]
            ):
                return True
    for match in _BARE_RE.finditer(text):
        if _PHONE_CONTEXT.search(text[: match.start()]):
            return True
    return False


# --- payment card -----------------------------------------------------------

_CARD_RE = re.compile(r"(?<![\w#])[2-6]\d{3}(?:[ \-]?\d){9,15}(?![\w])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _CARD_RE.finditer(text):
        digits = _digits(match.group())
        if 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_valid(digits):
            spans.append(match.span())
    return spans


def has_card(text: str) -> bool:
    """13-19 digit card numbers (spaces or dashes allowed) that pass Luhn.

    The first digit must be one card networks issue (2-6), which drops most
    Luhn-valid coincidences such as long order numbers starting with 0, 1, 7-9.
    """
    return bool(_card_spans(text))


# --- IBAN -------------------------------------------------------------------

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21,
    "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18,
    "FR": 27, "GB": 22, "GI": 23, "GL": 18, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21,
    "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TR": 26, "UA": 29,
}  # fmt: skip
_IBAN_RE = re.compile(r"(?<![A-Z0-9])([A-Z]{2})(\d{2})((?:[ \-]?[A-Z0-9]){11,30})(?![A-Z0-9])")


def iban_valid(candidate: str) -> bool:
    """ISO 13616: known country length and mod-97 == 1 over the rearranged digits."""
    iban = re.sub(r"[ \-]", "", candidate).upper()
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def _iban_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _IBAN_RE.finditer(text.upper()):
        raw = match.group()
        # Grouped IBANs may run into the next word; retry shorter prefixes that
        # end on a group boundary.
        compact_len = IBAN_LENGTHS.get(match.group(1))
        if compact_len is None:
            continue
        kept, count = [], 0
        for char in raw:
            if char.isalnum():
                count += 1
            kept.append(char)
            if count == compact_len:
                break
        if iban_valid("".join(kept)):
            spans.append((match.start(), match.start() + len(kept)))
    return spans


def has_iban(text: str) -> bool:
    return bool(_iban_spans(text))


# --- national identifiers ---------------------------------------------------

_SSN_RE = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
_SSN_CONTEXT = re.compile(r"(?:ssn|social security)[^\n]{0,24}$", re.IGNORECASE)
_NINO_RE = re.compile(
    r"(?<![A-Z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D](?![A-Z0-9])"
)
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_BSN_RE = re.compile(r"(?<![\w.])(\d{4})\.?(\d{2})\.?(\d{3})(?![\w])|(?<![\w.])(\d{9})(?![\w])")
_BSN_CONTEXT = re.compile(
    r"(?:bsn|burgerservicenummer|sofinummer|sofi-nummer)[^\n]{0,20}$", re.IGNORECASE
)
_NIR_RE = re.compile(
    r"(?<![\w])([12])\s?(\d{2})\s?(0[1-9]|1[0-2]|[2-9]\d)\s?(\d{2})\s?(\d{3})\s?(\d{3})"
    r"\s?(\d{2})(?![\w])"
)


def _ssn_valid(area: str, group: str, serial: str) -> bool:
    if area in {"000", "666"} or area.startswith("9"):
        return False
    return group != "00" and serial != "0000"


def bsn_valid(digits: str) -> bool:
    """Dutch BSN "11-test": weights 9..2 and -1 on the last digit, sum % 11 == 0."""
    if len(digits) != 9 or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    total -= int(digits[8])
    return total % 11 == 0


def nir_valid(body: str, key: str) -> bool:
    """French NIR: the key is 97 minus the 13-digit body mod 97.

    Corsican numbers (department 2A/2B) are not recognised; they are rare
    enough that the simpler all-digit rule is the better trade.
    """
    return len(body) == 13 and body.isdigit() and 97 - int(body) % 97 == int(key)


def has_national_id(text: str) -> bool:
    """US SSN, UK National Insurance number, Dutch BSN (with context), French NIR."""
    for match in _SSN_RE.finditer(text):
        area, sep, group, serial = match.groups()
        if not _ssn_valid(area, group, serial):
            continue
        # "123 45 6789" with spaces is an ordinary number unless labelled.
        if sep == "-" or _SSN_CONTEXT.search(text[: match.start()]):
            return True
    for match in _NINO_RE.finditer(text.upper()):
        if match.group(1) not in _NINO_BAD_PREFIXES:
            return True
    for match in _BSN_RE.finditer(text):
        digits = _digits(match.group())
        if bsn_valid(digits) and _BSN_CONTEXT.search(text[: match.start()]):
            return True
    for match in _NIR_RE.finditer(text):
        groups = match.groups()
        if nir_valid("".join(groups[:6]), groups[6]):
            return True
    return False


# --- registry ---------------------------------------------------------------

DETECTORS: dict[str, Callable[[str], bool]] = {
    "email": has_email,
    "phone": has_phone,
    "card": has_card,
    "iban": has_iban,
    "national_id": has_national_id,
}


def detect(text: str, names: Iterable[str]) -> list[str]:
    """Names of the enabled detectors that fire on `text`, in registry order.

    Text is NFKC-folded first so fullwidth digits and at-signs count.
    """
    enabled = set(names)
    unknown = enabled - DETECTORS.keys()
    if unknown:
        raise ValueError(f"Unknown PII detectors: {', '.join(sorted(unknown))}")
    folded = unicodedata.normalize("NFKC", text)
    return [name for name, check in DETECTORS.items() if name in enabled and check(folded)]
