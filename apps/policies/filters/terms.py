"""Whole-word and whole-phrase matching of compliance term lists.

Substring matching is what makes term filters notorious ("Scunthorpe",
"cocktail", "analysis", "therapist"): here a term only matches complete tokens
of the normalised text (see `normalize`), and a multi-word term only matches
the same words in a row. A multi-word term also matches its words written
together ("blow job" finds "blowjob"), which is how such words are often typed.

Inflection (English): each listed word also matches its regular inflections,
generated on the term side: plural ("-s", "-es", "-y" -> "-ies"), and for a
verb-like word "-ed" and "-ing" (with the final "e" dropped or the consonant
doubled); a listed "-ing" or "-ed" form also matches its sibling, and a listed
plural its singular. Prompt words are never stemmed into something they are
not ("analysis" stays "analysis", "executive" never becomes "execute"), and a
listed "stripping" never produces the bare "strip".

Other languages (`stem`): a matcher may instead reduce both the listed words
and the prompt's words with that language's Snowball stemmer, so a French list
names "nu" once and matches "nue", "nus" and "nues". See `lexicon`.

Wildcards: a single-word term with a leading and/or trailing "*" matches any
token that ends with / starts with / contains the rest ("nackt*" finds
"nacktfoto"). They exist for compounding languages and are never stemmed.

Exceptions are phrases that take their words out of play for one category's
terms: with "nude" listed and "nude lipstick" excepted, "nude lipstick on a
model" passes while "a nude model" still matches. This is how an ambiguous
word stays usable in a list.

One macro is understood inside lists: `<age:under-18>` matches a stated age
below 18 ("12-year-old", "aged 9", "15yo", "six year old", "8 months old").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
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


_VOWELS = "aeiou"


def _verb_forms(base: str) -> set[str]:
    """-ed and -ing forms of a verb-like base ("rape" -> raped, raping; "stab" -> stabbed)."""
    if len(base) < 3 or not base.isalpha():
        return set()
    if base.endswith("e"):
        return {base + "d", base[:-1] + "ing"}
    if base.endswith("y") and base[-2] not in _VOWELS:
        return {base[:-1] + "ied", base + "ing"}
    vowel_groups = len(re.findall(f"[{_VOWELS}]+", base))
    if (
        vowel_groups == 1
        and base[-1] not in _VOWELS + "wxy"
        and base[-2] in _VOWELS
        and base[-3] not in _VOWELS
    ):
        # One-syllable consonant-vowel-consonant: only the doubled forms, so "strip"
        # gives "stripped", never "striped".
        return {base + base[-1] + "ed", base + base[-1] + "ing"}
    return {base + "ed", base + "ing"}


def _inflections(word: str) -> frozenset[str]:
    forms = {word, word + "s"}
    if word.endswith(("s", "x", "z", "ch", "sh", "o")):
        forms.add(word + "es")
    if len(word) > 2 and word.endswith("y") and word[-2] not in _VOWELS:
        forms.add(word[:-1] + "ies")
    if word.endswith("ing") and len(word) > 5:
        # "stabbing" -> stabbed, "raping" -> raped, "killing" -> killed. The bare
        # stem is never added: "stripping" must not produce "strip".
        forms.add(word[:-3] + "ed")
    elif word.endswith("ed") and not word.endswith("eed") and len(word) > 4:
        forms.add(word[:-2] + "ing")  # "stabbed" -> stabbing, "raped" -> raping
    elif word.endswith("ies") and len(word) > 4:
        forms.add(word[:-3] + "y")
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        # "corpses" -> "corpse", never "corps"; "-es" comes off only where it was added.
        forms.add(word[:-1])
        if word.endswith(("ses", "xes", "zes", "ches", "shes")):
            forms.add(word[:-2])
    else:
        forms |= _verb_forms(word)
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


Stemmer = Callable[[str], str]


class TermMatcher:
    """A compiled term list: `matches(text)` says whether any term occurs.

    Deliberately answers yes/no rather than which term: hits must never carry
    the matched text, and the list's name is the only identifier they need.
    With `stem`, listed words and prompt words are both reduced by it instead
    of the English inflections (see the module docstring).
    """

    def __init__(
        self,
        terms: Iterable[str],
        exceptions: Iterable[str] = (),
        *,
        stem: Stemmer | None = None,
    ) -> None:
        self.terms = tuple(terms)
        self.exceptions = tuple(exceptions)
        self._stem = stem
        self._age = AGE_UNDER_18 in self.terms
        plain = [t for t in self.terms if t != AGE_UNDER_18 and "*" not in t]
        self._wildcards = _wildcards(t for t in self.terms if "*" in t)
        self._index = _compile(plain, stem)
        # A category's pooled exceptions are shared by its terms and both groups in
        # every language: compiled once per stemmer.
        self._exception_index = _compiled_exceptions(
            tuple(e for e in self.exceptions if "*" not in e), stem
        )
        self._exception_wildcards = _wildcards(e for e in self.exceptions if "*" in e)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, text: NormalizedText) -> bool:
        if self._age and mentions_minor_age(text.folded):
            return True
        if not self._index and not self._wildcards:
            return False
        for raw_stream in text.streams:
            stream = _stemmed(raw_stream, self._stem) if self._stem else raw_stream
            masked: set[int] = set()
            if self._exception_index:
                masked = _matched_positions(self._exception_index, stream)
            if self._exception_wildcards:
                masked |= _wildcard_positions(self._exception_wildcards, raw_stream)
            if self._index and _find(self._index, stream, masked):
                return True
            if self._wildcards and _find_wildcard(self._wildcards, raw_stream, masked):
                return True
        return False


Wildcard = tuple[str, str]  # ("prefix" | "suffix" | "infix", folded letters)


def _wildcards(terms: Iterable[str]) -> tuple[Wildcard, ...]:
    found = []
    for term in terms:
        words = fold_term(term.replace("*", ""))
        if len(words) != 1 or len(words[0]) < 3:
            continue  # wildcards are single words of three letters or more
        head, tail = term.strip().startswith("*"), term.strip().endswith("*")
        mode = "infix" if head and tail else "suffix" if head else "prefix"
        found.append((mode, words[0]))
    return tuple(found)


def _wildcard_hit(wildcards: tuple[Wildcard, ...], reading: str) -> bool:
    return any(
        (mode == "prefix" and reading.startswith(letters))
        or (mode == "suffix" and reading.endswith(letters))
        or (mode == "infix" and letters in reading)
        for mode, letters in wildcards
    )


def _find_wildcard(
    wildcards: tuple[Wildcard, ...], stream: tuple[tuple[str, ...], ...], masked: set[int]
) -> bool:
    return any(
        position not in masked and any(_wildcard_hit(wildcards, r) for r in token_readings)
        for position, token_readings in enumerate(stream)
    )


def _wildcard_positions(
    wildcards: tuple[Wildcard, ...], stream: tuple[tuple[str, ...], ...]
) -> set[int]:
    """Tokens an exception wildcard covers ("nacktschnecke*" fences "nacktschneckenschutz")."""
    return {
        position
        for position, token_readings in enumerate(stream)
        if any(_wildcard_hit(wildcards, r) for r in token_readings)
    }


def _stemmed(stream: tuple[tuple[str, ...], ...], stem: Stemmer) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(dict.fromkeys(stem(r) for r in readings)) for readings in stream)


@lru_cache(maxsize=256)
def _compiled_exceptions(
    exceptions: tuple[str, ...], stem: Stemmer | None
) -> dict[str, list[Phrase]]:
    return _compile(exceptions, stem)


def _compile(terms: Iterable[str], stem: Stemmer | None = None) -> dict[str, list[Phrase]]:
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
            if stem is None:
                phrase = tuple(_inflections(word) for word in variant)
            else:
                phrase = tuple(frozenset({stem(word)}) for word in variant)
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


@lru_cache(maxsize=512)
def compiled(
    terms: tuple[str, ...], exceptions: tuple[str, ...] = (), stem: Stemmer | None = None
) -> TermMatcher:
    """A shared matcher per list, so rebuilding a filter per request stays cheap."""
    return TermMatcher(terms, exceptions, stem=stem)
