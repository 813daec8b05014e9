"""Whole-word and whole-phrase matching of compliance term lists.

Substring matching is what makes term filters notorious ("Scunthorpe",
"cocktail", "analysis", "therapist"): here a term only matches complete tokens
of the normalised text (see `normalize`), and a multi-word term only matches
the same words in a row. A multi-word term also matches its words written
together ("blow job" finds "blowjob"), which is how such words are often typed.

Inflection: lists hold base forms and each listed word also matches its plural
("-s", "-es", and "-y" -> "-ies"). That is done on the term side, so prompt
words are never stemmed into something they are not ("analysis" stays
"analysis"). Other inflections ("-ing", "-ed") are listed explicitly where they
matter, which keeps every accepted spelling visible to compliance.

Exceptions are phrases that take their words out of play for one category's
terms: with "nude" listed and "nude lipstick" excepted, "nude lipstick on a
model" passes while "a nude model" still matches. This is how an ambiguous
word stays usable in a list.

One macro is understood inside lists: `<age:under-18>` matches a stated age
below 18 ("12-year-old", "aged 9", "15yo", "six year old", "8 months old").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .normalize import NormalizedText, fold_term

AGE_UNDER_18 = "<age:under-18>"

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
}  # fmt: skip
_NUM = r"(\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")"
_AGE_RES = (
    re.compile(rf"\b{_NUM}\s*-?\s*(?:years?|yrs?)\s*-?\s*olds?\b"),
    re.compile(rf"\b{_NUM}\s*(?:yo|y/o|y\.o\.?)(?![^\W_])"),
    re.compile(rf"\b(?:aged?|age of)\s*{_NUM}\b"),
)
_INFANT_AGE_RE = re.compile(rf"\b{_NUM}\s*-?\s*(?:months?|weeks?|days?)\s*-?\s*olds?\b")

Phrase = tuple[frozenset[str], ...]


def _inflections(word: str) -> frozenset[str]:
    forms = {word, word + "s", word + "es"}
    if len(word) > 2 and word.endswith("y") and word[-2] not in "aeiou":
        forms.add(word[:-1] + "ies")
    return frozenset(forms)


def mentions_minor_age(folded: str) -> bool:
    """Whether folded text states an age under 18."""
    if _INFANT_AGE_RE.search(folded):
        return True
    for pattern in _AGE_RES:
        for match in pattern.finditer(folded):
            raw = match.group(1)
            age = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
            if age < 18:
                return True
    return False


class TermMatcher:
    """A compiled term list: `matches(text)` says whether any term occurs.

    Deliberately answers yes/no rather than which term: hits must never carry
    the matched text, and the list's name is the only identifier they need.
    """

    def __init__(self, terms: Iterable[str], exceptions: Iterable[str] = ()) -> None:
        self.terms = tuple(terms)
        self.exceptions = tuple(exceptions)
        self._age = AGE_UNDER_18 in self.terms
        self._index = _compile(t for t in self.terms if t != AGE_UNDER_18)
        self._exception_index = _compile(self.exceptions)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, text: NormalizedText) -> bool:
        if self._age and mentions_minor_age(text.folded):
            return True
        if not self._index:
            return False
        for stream in text.streams:
            masked: set[int] = set()
            if self._exception_index:
                masked = _matched_positions(self._exception_index, stream)
            if _find(self._index, stream, masked):
                return True
        return False


def _compile(terms: Iterable[str]) -> dict[str, list[Phrase]]:
    """Index phrases by every accepted form of their first word."""
    index: dict[str, list[Phrase]] = {}
    for term in terms:
        words = fold_term(term)
        if not words:
            continue
        variants = [words]
        if len(words) > 1:
            variants.append(("".join(words),))
        for variant in variants:
            phrase = tuple(_inflections(word) for word in variant)
            for form in phrase[0]:
                index.setdefault(form, []).append(phrase)
    return index


def _phrase_at(phrase: Phrase, stream: tuple[tuple[str, ...], ...], start: int) -> bool:
    if start + len(phrase) > len(stream):
        return False
    return all(
        not forms.isdisjoint(stream[start + offset])
        for offset, forms in enumerate(phrase)
        if offset
    )


def _find(
    index: dict[str, list[Phrase]], stream: tuple[tuple[str, ...], ...], masked: set[int]
) -> bool:
    for position, token_readings in enumerate(stream):
        if position in masked:
            continue
        for reading in token_readings:
            for phrase in index.get(reading, ()):
                if _phrase_at(phrase, stream, position) and not any(
                    position + offset in masked for offset in range(len(phrase))
                ):
                    return True
    return False


def _matched_positions(
    index: dict[str, list[Phrase]], stream: tuple[tuple[str, ...], ...]
) -> set[int]:
    positions: set[int] = set()
    for position, token_readings in enumerate(stream):
        for reading in token_readings:
            for phrase in index.get(reading, ()):
                if _phrase_at(phrase, stream, position):
                    positions.update(range(position, position + len(phrase)))
    return positions


@lru_cache(maxsize=256)
def compiled(terms: tuple[str, ...], exceptions: tuple[str, ...] = ()) -> TermMatcher:
    """A shared matcher per list, so rebuilding a filter per request stays cheap."""
    return TermMatcher(terms, exceptions)
