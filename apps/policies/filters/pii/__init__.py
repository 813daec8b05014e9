"""Personal data detectors for prompts.

A prompt is stored in decisions, shown to reviewers and may be rendered into an
image, so personal data in it is refused before anything else happens, in every
market the product is sold in (en, fr, de, es, it, pt, nl, ja, zh).

Marketing prompts are full of numbers that are not personal data (sizes like
1024x1024, years, hex colours, SKUs, EANs, prices), so every detector prefers a
structural or checksum proof over "enough digits": cards must pass Luhn, IBANs
mod-97 with the country's length, national ids their own check digits
(python-stdnum), and digit runs only count as phone numbers in a phone's shape
or when the text says they are one. Disguises count as the real thing:
full-width characters, zero-width characters, "(at)"/"arroba"/"アット",
digits spelled as words next to a phone label.

Each detector answers yes/no; hits name the detector, never the matched value.

A project's own published contacts (its support address, its switchboard) are
not personal data: `detect(..., allowed=[...])` leaves out emails and phone
numbers equal to an allowed one after normalisation, and still reports every
other email, phone number and personal datum in the text.

Modules: `text` (folding, labels, spelled digits), `email`, `phone`, `payment`
(cards, IBANs), `national_id`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

from .email import email_key, find_emails
from .national_id import bsn_valid, national_id_spans, nir_valid
from .payment import IBAN_LENGTHS, card_spans, iban_spans, iban_valid, luhn_valid
from .phone import find_phones, has_phone_label, phone_keys
from .text import Prepared, fold, spelled_digits

__all__ = [
    "DETECTORS",
    "IBAN_LENGTHS",
    "AllowList",
    "bsn_valid",
    "detect",
    "fold",
    "has_card",
    "has_email",
    "has_iban",
    "has_national_id",
    "has_phone",
    "iban_valid",
    "luhn_valid",
    "nir_valid",
]


class AllowList:
    """A project's registered contacts, normalised once.

    Entries with an "@" are emails (compared lowercased, with disguises undone);
    others with digits are phone numbers (compared by `phone_keys`).
    """

    def __init__(self, entries: Iterable[str]) -> None:
        emails: set[str] = set()
        phones: set[str] = set()
        for entry in entries:
            if not isinstance(entry, str) or not entry.strip():
                continue
            key = email_key(entry)
            if key is not None:
                emails.add(key)
            else:
                phones.update(phone_keys(entry))
        self.emails = frozenset(emails)
        self.phones = frozenset(phones)

    def __bool__(self) -> bool:
        return bool(self.emails or self.phones)

    def allows_email(self, value: str) -> bool:
        return value in self.emails

    def allows_phone(self, value: str) -> bool:
        return not self.phones.isdisjoint(phone_keys(value))


_NOTHING_ALLOWED = AllowList(())


@lru_cache(maxsize=64)
def _allow_list(entries: tuple[str, ...]) -> AllowList:
    return AllowList(entries)


def _email(prepared: Prepared, allowed: AllowList) -> bool:
    return any(not allowed.allows_email(value) for value in find_emails(prepared))


def _phones(prepared: Prepared) -> Iterable[str]:
    yield from find_phones(prepared)
    if "spelled" not in prepared.memo:
        # Spelled-out digits only count next to a phone label: skip the
        # conversion when there is none.
        converted = spelled_digits(prepared.lower)
        if converted is not None and not has_phone_label(prepared):
            converted = None
        prepared.memo["spelled"] = None if converted is None else Prepared(converted, folded=True)
    spelled: Prepared | None = prepared.memo["spelled"]
    if spelled is not None:
        yield from find_phones(spelled, labelled_only=True)


def _phone(prepared: Prepared, allowed: AllowList) -> bool:
    return any(not allowed.allows_phone(value) for value in _phones(prepared))


def _card(prepared: Prepared, allowed: AllowList) -> bool:
    return bool(card_spans(prepared))


def _iban(prepared: Prepared, allowed: AllowList) -> bool:
    return bool(iban_spans(prepared))


def _national_id(prepared: Prepared, allowed: AllowList) -> bool:
    return bool(national_id_spans(prepared))


_CHECKS: dict[str, Callable[[Prepared, AllowList], bool]] = {
    "email": _email,
    "phone": _phone,
    "card": _card,
    "iban": _iban,
    "national_id": _national_id,
}


def has_email(text: str) -> bool:
    """Addresses, plain or disguised ("name (at) host (dot) com", "arroba", "アット")."""
    return _email(Prepared(text), _NOTHING_ALLOWED)


def has_phone(text: str) -> bool:
    """Phone numbers in the markets' formats, or labelled as phone numbers (see `phone`)."""
    return _phone(Prepared(text), _NOTHING_ALLOWED)


def has_card(text: str) -> bool:
    """13-19 digit card numbers that pass Luhn (see `payment.card_spans`)."""
    return _card(Prepared(text), _NOTHING_ALLOWED)


def has_iban(text: str) -> bool:
    return _iban(Prepared(text), _NOTHING_ALLOWED)


def has_national_id(text: str) -> bool:
    """US SSN, UK NINO, Dutch BSN, French NIR, Spanish DNI/NIE, Italian codice
    fiscale, German IdNr, Japanese My Number, Chinese resident number, Brazilian
    CPF (see `national_id` for how much proof each needs)."""
    return _national_id(Prepared(text), _NOTHING_ALLOWED)


DETECTORS: dict[str, Callable[[str], bool]] = {
    "email": has_email,
    "phone": has_phone,
    "card": has_card,
    "iban": has_iban,
    "national_id": has_national_id,
}


def detect(text: str, names: Iterable[str], allowed: Iterable[str] = ()) -> list[str]:
    """Names of the enabled detectors that fire on `text`, in registry order.

    `allowed` lists a project's registered contacts (emails and phone numbers
    as typed); an email or phone number equal to one of them is not reported.
    Text is folded first (NFKC, invisible characters dropped, digits of every
    script made ASCII) so disguised data counts.
    """
    enabled = set(names)
    unknown = enabled - DETECTORS.keys()
    if unknown:
        raise ValueError(f"Unknown PII detectors: {', '.join(sorted(unknown))}")
    if not text:
        return []
    allow = _allow_list(tuple(allowed)) if allowed else _NOTHING_ALLOWED
    prepared = Prepared(text)
    return [name for name, check in _CHECKS.items() if name in enabled and check(prepared, allow)]
