"""National identity and tax numbers of the markets the product is sold in.

Check digits come from python-stdnum (LGPL-2.1-or-later, imported unmodified)
rather than hand-written algorithms: it is maintained, tested against the
issuers' published examples, and also checks the parts a check digit cannot
(the birth date inside a codice fiscale or a Chinese resident number, the
region of the latter, the digit-repetition rule of a German IdNr).

A number whose check digits fail is an order number or a SKU and never counts,
nor does one labelled as such ("Bestellnummer 36 574 261 809").
How much more proof a valid number needs depends on how easily a random number
passes:

- distinctive shapes with strong checks count anywhere: codice fiscale
  (16 characters, date, check letter), Chinese resident number (18 characters,
  date, region, ISO 7064 MOD 11-2), CPF written "123.456.789-09" (two check
  digits), DNI/NIE (check letter), UK NINO (letter rules), French NIR (key),
  US SSN written with dashes (area/group/serial rules);
- a German IdNr counts when grouped "12 345 678 901"; written as a bare run of
  11 digits it needs a label ("Steuer-ID");
- shapes that any counter produces need a label: My Number (12 digits, one
  check digit), Dutch BSN (9 digits), CPF as bare digits, SSN with spaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from stdnum.br import cpf
from stdnum.cn import ric
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.jp import in_ as mynumber
from stdnum.nl import bsn

from .payment import NOT_PERSONAL_GAP_RE, not_personal_labels
from .text import Prepared, labels

# A number is not the middle of a longer grouped number: no letter or digit
# next to it, and no "-5" / ".5" / " 5" continuing it.
_START = r"(?<![A-Za-z0-9])(?<![0-9][ .\-])"
_END = r"(?![A-Za-z0-9])(?![ .\-][0-9])"
_LABEL_GAP_RE = re.compile(r"[^\n0-9]{0,24}")
_ANY_GAP_RE = re.compile(r"[^\n]{0,24}")

_SSN_RE = re.compile(r"(?<![A-Za-z0-9\-])([0-9]{3})([- ])([0-9]{2})\2([0-9]{4})(?![A-Za-z0-9\-])")
_SSN_LABEL_RE = re.compile(r"ssn|social security")
_NINO_RE = re.compile(
    r"(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?[0-9]{2}\s?[0-9]{2}\s?[0-9]{2}"
    r"\s?[A-D](?![A-Za-z0-9])",
    re.IGNORECASE | re.ASCII,
)
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_BSN_RE = re.compile(_START + r"[0-9]{4}[ .]?[0-9]{2}[ .]?[0-9]{3}" + _END)
_BSN_LABEL_RE = re.compile(r"bsn|burgerservicenummer|sofinummer|sofi-nummer")
_NIR_RE = re.compile(
    _START + r"([12])\s?([0-9]{2})\s?(0[1-9]|1[0-2]|[2-9][0-9])\s?([0-9]{2}|2[AB])\s?([0-9]{3})"
    r"\s?([0-9]{3})\s?([0-9]{2})" + _END,
    re.IGNORECASE | re.ASCII,
)
# Spanish DNI: 8 digits and a check letter; a space before the letter only
# when it is a capital, so "entre 10000000 y ..." stays prose.
_DNI_RE = re.compile(
    _START + r"([0-9]{2})([. ]?)([0-9]{3})\2([0-9]{3})(?:-?([A-Za-z])|[ ]([A-Z]))(?![A-Za-z0-9])"
)
_NIE_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:([XYZ])[ \-]?([0-9]{7})[ \-]?([A-Z])|([xyz])-?([0-9]{7})-?([a-z]))"
    r"(?![A-Za-z0-9])"
)
_CODICE_FISCALE_RE = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{3} ?[A-Z]{3} ?[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}"
    r" ?[A-Z][0-9LMNPQRSTUV]{3} ?[A-Z](?![A-Za-z0-9])",
    re.IGNORECASE | re.ASCII,
)
_IDNR_RE = re.compile(_START + r"([1-9][0-9])([ .]?)([0-9]{3})\2([0-9]{3})\2([0-9]{3})" + _END)
_IDNR_LABEL_RE = re.compile(
    r"steuer-?id(?:entifikationsnummer)?|steuerliche identifikationsnummer"
    r"|identifikationsnummer|id-?nr|tax id|tax identification number|tin(?![a-z])"
)
_MYNUMBER_RE = re.compile(_START + r"([0-9]{4})([ \-]?)([0-9]{4})\2([0-9]{4})" + _END)
_MYNUMBER_LABEL_RE = re.compile(
    r"マイナンバー|個人番号|my ?number|individual number|kojin bang[oō]"
)
_RIC_RE = re.compile(_START + r"([0-9]{6})([ \-]?)([0-9]{8})\2([0-9]{3}[0-9Xx])" + _END)
_CPF_RE = re.compile(_START + r"([0-9]{3})([ .]?)([0-9]{3})\2([0-9]{3})([ .\-/]?)([0-9]{2})" + _END)
_CPF_LABEL_RE = re.compile(r"cpf|cadastro de pessoas? f[íi]sicas?")


def _ssn_valid(area: str, group: str, serial: str) -> bool:
    if area in {"000", "666"} or area.startswith("9"):
        return False
    return group != "00" and serial != "0000"


def bsn_valid(digits: str) -> bool:
    """Dutch BSN "11-test" (weights 9..2 and -1 on the last digit)."""
    return bsn.is_valid(digits)


def nir_valid(body: str, key: str) -> bool:
    """French NIR: the key is 97 minus the 13-character body mod 97 (2A/2B for Corsica)."""
    return nir.is_valid(body + key)


def _digits(value: str) -> str:
    return re.sub(r"[^0-9]", "", value)


def _labelled(prepared: Prepared, name: str, pattern: re.Pattern[str], start: int) -> bool:
    return labels(prepared, f"id:{name}", pattern).precede(start, _LABEL_GAP_RE)


Finder = Callable[[Prepared], Iterator[tuple[int, int]]]


def _ssn(prepared: Prepared) -> Iterator[tuple[int, int]]:
    for match in _SSN_RE.finditer(prepared.text):
        area, sep, group, serial = match.groups()
        if not _ssn_valid(area, group, serial):
            continue
        # "123 45 6789" with spaces is an ordinary number unless labelled.
        if sep == "-" or labels(prepared, "id:ssn", _SSN_LABEL_RE).precede(
            match.start(), _ANY_GAP_RE
        ):
            yield match.span()


def _nino(prepared: Prepared) -> Iterator[tuple[int, int]]:
    for match in _NINO_RE.finditer(prepared.text):
        if match.group(1).upper() not in _NINO_BAD_PREFIXES:
            yield match.span()


def _bsn(prepared: Prepared) -> Iterator[tuple[int, int]]:
    for match in _BSN_RE.finditer(prepared.text):
        if bsn_valid(_digits(match.group())) and labels(prepared, "id:bsn", _BSN_LABEL_RE).precede(
            match.start(), _ANY_GAP_RE
        ):
            yield match.span()


def _nir(prepared: Prepared) -> Iterator[tuple[int, int]]:
    for match in _NIR_RE.finditer(prepared.text):
        groups = match.groups()
        if nir_valid("".join(groups[:6]).upper(), groups[6]):
            yield match.span()


def _dni_nie(prepared: Prepared) -> Iterator[tuple[int, int]]:
    for match in _DNI_RE.finditer(prepared.text):
        letter = match.group(5) or match.group(6)
        if dni.is_valid(_digits(match.group()) + letter.upper()):
            yield match.span()
    for match in _NIE_RE.finditer(prepared.text):
        if nie.is_valid("".join(g for g in match.groups() if g).upper()):
            yield match.span()


def _codice_fiscale(prepared: Prepared) -> Iterator[tuple[int, int]]:
    for match in _CODICE_FISCALE_RE.finditer(prepared.text):
        if codicefiscale.is_valid(match.group().replace(" ", "").upper()):
            yield match.span()


def _idnr(prepared: Prepared) -> Iterator[tuple[int, int]]:
    for match in _IDNR_RE.finditer(prepared.text):
        if not idnr.is_valid(_digits(match.group())):
            continue
        if match.group(2) or _labelled(prepared, "idnr", _IDNR_LABEL_RE, match.start()):
            yield match.span()


def _mynumber(prepared: Prepared) -> Iterator[tuple[int, int]]:
    for match in _MYNUMBER_RE.finditer(prepared.text):
        if mynumber.is_valid(_digits(match.group())) and _labelled(
            prepared, "mynumber", _MYNUMBER_LABEL_RE, match.start()
        ):
            yield match.span()


def _ric(prepared: Prepared) -> Iterator[tuple[int, int]]:
    for match in _RIC_RE.finditer(prepared.text):
        if ric.is_valid(re.sub(r"[ \-]", "", match.group()).upper()):
            yield match.span()


def _cpf(prepared: Prepared) -> Iterator[tuple[int, int]]:
    for match in _CPF_RE.finditer(prepared.text):
        digits = _digits(match.group())
        if len(set(digits)) == 1 or not cpf.is_valid(digits):
            continue  # 111.111.111-11 passes the checksum but is never issued
        formatted = match.group(2) == "." and match.group(5) == "-"
        if formatted or _labelled(prepared, "cpf", _CPF_LABEL_RE, match.start()):
            yield match.span()


_FINDERS: tuple[Finder, ...] = (
    _ssn,
    _nino,
    _bsn,
    _nir,
    _dni_nie,
    _codice_fiscale,
    _idnr,
    _mynumber,
    _ric,
    _cpf,
)


def national_id_spans(prepared: Prepared) -> list[tuple[int, int]]:
    """Spans of every national id in the text (the phone detector blanks them)."""
    spans: list[tuple[int, int]] | None = prepared.memo.get("national_id_spans")
    if spans is None:
        spans = []
        if prepared.digit_count >= 6:  # a NINO has 6, every other id more
            for finder in _FINDERS:
                spans.extend(
                    span
                    for span in finder(prepared)
                    if not not_personal_labels(prepared).precede(span[0], NOT_PERSONAL_GAP_RE)
                )
        prepared.memo["national_id_spans"] = spans
    return spans
