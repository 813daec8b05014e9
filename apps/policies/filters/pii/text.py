"""Text preparation shared by the personal data detectors.

Every detector reads the same folded text, so a trick that hides a number or
an address from one reader hides it from none:

- NFKC folds full-width forms ("０６１２", "＠", "．") to ASCII;
- zero-width and other invisible format characters (U+200B..U+200F, U+2060..,
  U+FEFF, the soft hyphen, bidi controls, tag characters) are dropped, so
  "jane\u200b@example.com" and right-to-left embeddings read as written;
- control characters are dropped (vertical tab, form feed and the Unicode line
  separators become spaces), so binary-ish input cannot split a number;
- decimal digits of other scripts (Arabic-Indic, Devanagari, ...) become ASCII,
  so every pattern can say [0-9].

Folding may change the length of the text; nothing reports positions in the
caller's text, only the name of the detector that fired.

Labels ("tel", "SKU", "BSN") are found once per text and looked up by position
with a binary search, instead of searching the text before every candidate,
which would be quadratic on long input.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import cached_property
from typing import Any

_INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f"
    "\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]"
)
_LINE_LIKE_RE = re.compile("[\x0b\x0c\x85\u2028\u2029]")
# Word characters that are digits but not ASCII digits: \w and \d, minus 0-9.
_OTHER_DIGIT_RE = re.compile(r"[^\W\D0-9]")


def _ascii_digit(match: re.Match[str]) -> str:
    return str(unicodedata.decimal(match.group(), 0))


def fold(text: str) -> str:
    """The text every detector reads (see the module docstring)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = _LINE_LIKE_RE.sub(" ", text)
    if not text.isascii():
        text = _OTHER_DIGIT_RE.sub(_ascii_digit, text)
    return text


def _lower(text: str) -> str:
    """Lowercase with every character kept in place ("İ" would become two)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(char if len(low := char.lower()) != 1 else low for char in text)


class Prepared:
    """A folded text plus what the detectors compute about it once.

    `lower` is the same text lowercased position for position: word patterns
    (labels, "at"/"dot", number words) run on it without IGNORECASE, which is
    several times faster in `re`. `memo` holds per-text results (card spans,
    label positions) that more than one detector needs; keys are owned by the
    module that writes them.
    """

    def __init__(self, raw: str, *, folded: bool = False) -> None:
        self.text = raw if folded else fold(raw)
        self.digit_count = sum(self.text.count(digit) for digit in "0123456789")
        self.memo: dict[str, Any] = {}

    @cached_property
    def lower(self) -> str:
        return _lower(self.text)


class Labels:
    """Where label words end in a text, to ask "is this position labelled?".

    The nearest label before a position is the only one worth checking: any
    earlier one has a longer gap that contains the nearer one's gap.
    """

    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        self._text = text
        self._ends = [match.end() for match in pattern.finditer(text)]

    def __bool__(self) -> bool:
        return bool(self._ends)

    def precede(self, position: int, gap: re.Pattern[str]) -> bool:
        """Whether a label ends before `position` with only `gap` in between."""
        index = bisect_right(self._ends, position) - 1
        if index < 0:
            return False
        return gap.fullmatch(self._text, self._ends[index], position) is not None


def labels(prepared: Prepared, key: str, pattern: re.Pattern[str]) -> Labels:
    """The `Labels` of a lowercase `pattern`, computed once per prepared text."""
    found = prepared.memo.get(key)
    if found is None:
        found = prepared.memo[key] = Labels(pattern, prepared.lower)
    return found  # type: ignore[no-any-return]


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span overwritten by "x", keeping every other position."""
    if not spans:
        return text
    pieces, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            start = last
        if end <= start:
            continue
        pieces.append(text[last:start])
        pieces.append("x" * (end - start))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


# --- digits spelled as words ---------------------------------------------------

# Single digits in the product's languages. Words that are also ordinary words
# ("one", "un", "een", "sei") only count inside a run of at least three number
# words, and a spelled-out run only counts as a phone number next to a phone
# label, so "one two three" in a slogan stays a slogan.
_DIGIT_WORDS = {
    # en
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
    # fr
    "zéro": "0", "un": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "sept": "7",
    "huit": "8", "neuf": "9",
    # de
    "null": "0", "eins": "1", "zwei": "2", "zwo": "2", "drei": "3", "vier": "4", "fünf": "5",
    "sechs": "6", "sieben": "7", "acht": "8", "neun": "9",
    # es
    "cero": "0", "uno": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6",
    "siete": "7", "ocho": "8", "nueve": "9",
    # it
    "due": "2", "tre": "3", "quattro": "4", "cinque": "5", "sei": "6", "sette": "7",
    "otto": "8", "nove": "9",
    # pt ("meia" is six when Brazilians read out numbers)
    "um": "1", "dois": "2", "duas": "2", "três": "3", "meia": "6", "sete": "7", "oito": "8",
    # nl
    "nul": "0", "een": "1", "één": "1", "twee": "2", "drie": "3", "vijf": "5", "zes": "6",
    "zeven": "7", "negen": "9",
}  # fmt: skip
_REPEAT_WORDS = {"double": 2, "triple": 3}
_WORD_ALTERNATION = "|".join(
    sorted((*_DIGIT_WORDS, *_REPEAT_WORDS), key=lambda word: (-len(word), word))
)
_NUMBER_WORD_RUN_RE = re.compile(
    rf"\b(?:{_WORD_ALTERNATION})(?:[ \t,.\-]{{1,3}}(?:{_WORD_ALTERNATION})){{2,}}(?![^\W\d_])"
)
_WORD_RE = re.compile(r"[^\W\d_]+")
# Chinese and Japanese numerals written digit by digit ("一三八一二三四五六七八");
# 幺 is how "one" is read out in Chinese phone numbers. Seven in a row is a
# number, not prose.
_CJK_NUMERALS = str.maketrans("〇零一二三四五六七八九幺", "001234567891")
_CJK_NUMERAL_RUN_RE = re.compile("[〇零一二三四五六七八九幺]{7,}")


def _words_to_digits(match: re.Match[str]) -> str:
    digits, repeat, count = [], 1, 0
    for word in _WORD_RE.findall(match.group()):
        if word in _REPEAT_WORDS:
            repeat = _REPEAT_WORDS[word]
            continue
        digits.append(_DIGIT_WORDS[word] * repeat)
        repeat, count = 1, count + 1
    if count < 3:
        return match.group()
    return "".join(digits)


def spelled_digits(text: str) -> str | None:
    """Lowercase `text` with digits spelled as words made digits, or None if none were.

    "call five five five, one two three four" becomes "call 5551234".
    """
    converted = _NUMBER_WORD_RUN_RE.sub(_words_to_digits, text)
    converted = _CJK_NUMERAL_RUN_RE.sub(lambda m: m.group().translate(_CJK_NUMERALS), converted)
    return None if converted == text else converted
