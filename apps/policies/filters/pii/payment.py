"""Payment card numbers and IBANs.

Both carry their own proof: cards pass Luhn, IBANs mod-97 with the country's
length. Their digit groups look like phone numbers, so the phone detector
blanks their spans first.
"""

from __future__ import annotations

import re

from .text import Labels, Prepared, labels

# Words that say the number that follows identifies a thing, not a person: an
# EAN or an order number that happens to pass Luhn is still an EAN.
NOT_PERSONAL_LABEL_RE = re.compile(
    r"(?<![^\W\d_])(?:"
    # en
    r"sku|isbn|issn|ean|ean-?13|ean-?8|upc|gtin|asin|mpn|order|invoice|item|part|model|serial"
    r"|ref|reference|lot|batch|article|product|tracking|barcode|catalog(?:ue)?"
    # fr / es / it / pt / de / nl
    r"|commande|facture|réf|référence|série|numéro de série|pedido|factura|fatura|artículo|artigo"
    r"|referencia|referência|modelo|lote|ordine|fattura|articolo|riferimento|modello|lotto"
    r"|seriale|bestellung|bestellnummer|bestell-nr|rechnung|rechnungsnummer|artikel|artikelnummer"
    r"|art\.?-nr|seriennummer|modell|chargennummer|sendungsnummer|bestelling|bestelnummer|factuur"
    r"|serienummer|artikelnr"
    r")(?![^\W\d_])(?:[ \t]*(?:no|nr|number|num|id|code|n°|nº|#)(?![^\W\d_]))?\.?"
    # ja / zh: no word boundaries in these scripts
    r"|注文番号|品番|型番|商品番号|製造番号|シリアル番号?|伝票番号|管理番号|商品コード|janコード"
    r"|订单号码?|訂單號碼?|订单编号|货号|貨號|型号|型號|序列号|序號|条形码|條碼|条码|商品编号",
)
NOT_PERSONAL_GAP_RE = re.compile(r"[ \t]{0,3}[.:#\-]?[ \t]{0,3}")


def not_personal_labels(prepared: Prepared) -> Labels:
    return labels(prepared, "not_personal", NOT_PERSONAL_LABEL_RE)


# --- payment card -----------------------------------------------------------

_CARD_RE = re.compile(r"(?<![A-Za-z0-9_#])[2-6][0-9]{3}(?:[ \-]?[0-9]){9,15}(?![A-Za-z0-9_])")


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


def card_spans(prepared: Prepared) -> list[tuple[int, int]]:
    """Spans of 13-19 digit card numbers (spaces or dashes allowed) that pass Luhn.

    The first digit must be one card networks issue (2-6), which drops most
    Luhn-valid coincidences such as long order numbers starting with 0, 1, 7-9;
    a number labelled as an EAN, SKU or order number is not a card.
    """
    spans: list[tuple[int, int]] | None = prepared.memo.get("card_spans")
    if spans is not None:
        return spans
    spans = []
    if prepared.digit_count >= 13:
        text = prepared.text
        for match in _CARD_RE.finditer(text):
            digits = re.sub(r"[^0-9]", "", match.group())
            if (
                13 <= len(digits) <= 19
                and len(set(digits)) > 1
                and luhn_valid(digits)
                and not not_personal_labels(prepared).precede(match.start(), NOT_PERSONAL_GAP_RE)
            ):
                spans.append(match.span())
    prepared.memo["card_spans"] = spans
    return spans


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
# ASCII-only case folding: the match positions must be positions in the text.
_IBAN_RE = re.compile(
    r"(?<![A-Z0-9])([A-Z]{2})([0-9]{2})((?:[ \-]?[A-Z0-9]){11,30})(?![A-Z0-9])",
    re.IGNORECASE | re.ASCII,
)


def iban_valid(candidate: str) -> bool:
    """ISO 13616: known country length and mod-97 == 1 over the rearranged digits."""
    iban = re.sub(r"[ \-]", "", candidate).upper()
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not (iban.isascii() and iban.isalnum()):
        return False
    rearranged = iban[4:] + iban[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def iban_spans(prepared: Prepared) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] | None = prepared.memo.get("iban_spans")
    if spans is not None:
        return spans
    spans = []
    if prepared.digit_count >= 8:  # Norway's 15 characters hold 13 digits
        for match in _IBAN_RE.finditer(prepared.text):
            # Grouped IBANs may run into the next word; keep the prefix that
            # has the country's length.
            compact_len = IBAN_LENGTHS.get(match.group(1).upper())
            if compact_len is None:
                continue
            kept, count = [], 0
            for char in match.group():
                if char.isalnum():
                    count += 1
                kept.append(char)
                if count == compact_len:
                    break
            if iban_valid("".join(kept)):
                spans.append((match.start(), match.start() + len(kept)))
    prepared.memo["iban_spans"] = spans
    return spans
