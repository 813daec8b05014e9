"""Term lists in several languages: one category, one list per language.

Compliance writes each word once per language; matching does the rest:

* Latin-script languages other than English are reduced with that language's
  Snowball stemmer on both sides (`terms.TermMatcher(stem=...)`), so French
  "nu" matches "nue", "nus", "nues" and German "nackt" "nackten". English keeps
  its generated inflections (see `terms`), which are stricter.
* Japanese and Chinese have no spaces, so their terms are found as substrings
  of the text with separators removed ("裸 体" is "裸体"); an occurrence inside
  an exception ("裸色" for 裸) does not count. Latin-script words in those
  lists ("AV", "loli") are matched as whole words instead.
* Exceptions are pooled across a category's languages: "teinte nude" written
  in the French list also fences the English term "nude".
* `<register:people>` and `<register:marks>` in any list stand for the
  compliance-managed registers of real people and protected marks, so one
  register serves every category and language that needs it.

Which lists run for a text is decided by `language.detect`: every candidate
language, and English always.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .normalize import NormalizedText
from .terms import Stemmer, TermMatcher, compiled

SNOWBALL = {
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
}
REGISTER_RE = re.compile(r"^<register:([a-z_]+)>$")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class LanguageRules:
    """One category's list in one language."""

    language: str
    terms: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    group_a: tuple[str, ...] = ()
    group_b: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, language: str, data: Mapping[str, object]) -> LanguageRules:
        pair = data.get("cooccurrence") or ((), ())
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(f"{language}: cooccurrence must be two term groups")
        return cls(
            language=language,
            terms=_strings(data.get("terms")),
            exceptions=_strings(data.get("exceptions")),
            group_a=_strings(pair[0]),
            group_b=_strings(pair[1]),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "terms": list(self.terms),
            "exceptions": list(self.exceptions),
            "cooccurrence": [list(self.group_a), list(self.group_b)],
        }


def _strings(value: object) -> tuple[str, ...]:
    if not value:
        return ()
    if not isinstance(value, list | tuple):
        raise ValueError("term lists must be lists of strings")
    return tuple(str(v).strip() for v in value if str(v).strip())


_stemmers: dict[str, Stemmer] = {}
_stemmer_lock = threading.Lock()


def stemmer(language: str) -> Stemmer | None:
    """A cached stem function for `language`, or None where we do not stem."""
    name = SNOWBALL.get(language)
    if name is None:
        return None
    with _stemmer_lock:
        found = _stemmers.get(language)
        if found is None:
            import snowballstemmer

            algorithm = snowballstemmer.stemmer(name)
            lock = threading.Lock()  # a Snowball stemmer object is not thread-safe

            @lru_cache(maxsize=65536)
            def stem(word: str, _algorithm: object = algorithm) -> str:
                with lock:
                    stemmed = str(algorithm.stemWord(word))
                # Snowball leaves short words alone ("nus", "photos"); a final
                # plural "s" is dropped on both sides so the base form still matches.
                if len(stemmed) > 2 and stemmed.endswith("s") and not stemmed.endswith("ss"):
                    stemmed = stemmed[:-1]
                return stemmed

            found = _stemmers[language] = stem
    return found


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


# Katakana read as hiragana, so a list names "ヌード" once and "ぬーど" matches.
_KANA_TABLE = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
# Look-alike ideographs used to dodge lists.
_CJK_CONFUSABLES = str.maketrans({"祼": "裸", "躶": "裸"})


def fold_cjk(text: str) -> str:
    """Compatibility forms, case and kana folded; format characters, punctuation,
    symbols and separators removed ("裸♥体" is "裸体").

    Unlike `normalize.fold`, combining marks are kept: stripping them would turn
    Japanese "ガ" into "カ".
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "CPSZ" or ch == "ー")
    return kept.translate(_KANA_TABLE).translate(_CJK_CONFUSABLES)


class SubstringMatcher:
    """CJK terms found anywhere in the text, except inside an exception."""

    def __init__(self, terms: Iterable[str], exceptions: Iterable[str] = ()) -> None:
        self.terms = tuple(dict.fromkeys(t for t in (fold_cjk(x) for x in terms) if t))
        self.exceptions = tuple(dict.fromkeys(e for e in (fold_cjk(x) for x in exceptions) if e))
        self._first_chars = frozenset(t[0] for t in self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, folded: str) -> bool:
        if not self.terms or not self._first_chars.intersection(folded):
            return False
        fenced: list[tuple[int, int]] = []
        for exception in self.exceptions:
            start = folded.find(exception)
            while start != -1:
                fenced.append((start, start + len(exception)))
                start = folded.find(exception, start + 1)
        for term in self.terms:
            start = folded.find(term)
            while start != -1:
                end = start + len(term)
                if not any(a <= start and end <= b for a, b in fenced):
                    return True
                start = folded.find(term, start + 1)
        return False


@dataclass(frozen=True)
class ListMatcher:
    """One language's list compiled: whole-word part and substring part."""

    words: TermMatcher
    substrings: SubstringMatcher

    def __bool__(self) -> bool:
        return bool(self.words) or bool(self.substrings)

    def matches(self, text: NormalizedText, cjk_folded: str) -> bool:
        if self.words and self.words.matches(text):
            return True
        return bool(self.substrings) and self.substrings.matches(cjk_folded)


def expand(terms: Sequence[str], registers: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """Replace `<register:name>` entries with the register's names.

    An unknown register expands to nothing rather than failing the filter;
    `validate_registers` reports it when compliance saves the list.
    """
    out: list[str] = []
    for term in terms:
        found = REGISTER_RE.match(term.strip())
        if found:
            out.extend(registers.get(found.group(1), ()))
        else:
            out.append(term)
    return tuple(dict.fromkeys(out))


def unknown_registers(terms: Iterable[str], known: Iterable[str]) -> list[str]:
    known_set = set(known)
    return sorted(
        {
            m.group(1)
            for t in terms
            if (m := REGISTER_RE.match(t.strip())) and m.group(1) not in known_set
        }
    )


def compile_list(language: str, terms: Sequence[str], exceptions: Sequence[str]) -> ListMatcher:
    """Compile one language's terms against the category's pooled exceptions."""
    cjk_terms = tuple(t for t in terms if has_cjk(t))
    word_terms = tuple(t for t in terms if not has_cjk(t))
    word_exceptions = tuple(e for e in exceptions if not has_cjk(e))
    return ListMatcher(
        words=compiled(word_terms, word_exceptions, stemmer(language)),
        substrings=_substring_matcher(cjk_terms, tuple(e for e in exceptions if has_cjk(e))),
    )


@lru_cache(maxsize=512)
def _substring_matcher(terms: tuple[str, ...], exceptions: tuple[str, ...]) -> SubstringMatcher:
    return SubstringMatcher(terms, exceptions)
