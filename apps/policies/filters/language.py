"""Which language a prompt is written in, so the right term lists judge it.

A refusal says which language was judged, and compliance reads per-language
figures, so the guess is part of the record. It is deliberately generous with
*candidates*: a short prompt ("donna nuda") or a mixed one ("teinte nude,
studio shot") gives several languages a real chance, and every candidate's
lists run. Only a clearly identified language narrows the lists, because the
cost of a wrong narrowing is a miss while the cost of an extra list is a few
microseconds (and a false positive only where two languages share a spelling
with different meanings, which exceptions fence).

Script decides first: kana means Japanese; Han characters without kana are
Chinese or Japanese (both lists run); Latin text goes to py3langid (a
naive-Bayes byte n-gram model shipped in its wheel, BSD licence, ~0.04 ms per
prompt) restricted to the Latin-script languages we ship lists for.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

SUPPORTED: dict[str, str] = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ja": "Japanese",
    "zh": "Chinese",
}
LATIN = ("en", "fr", "de", "es", "it", "pt", "nl")
CJK = ("ja", "zh")
# A language below this probability is not a candidate. py3langid gives every
# language 1/7 on text it cannot tell apart, so such text keeps them all.
CANDIDATE_FLOOR = 0.05
# Below this many words the n-gram model guesses ("photos nues" reads as
# Spanish), so every Latin-script list runs.
SHORT_TEXT_WORDS = 6
_CLAUSE_RE = re.compile(r"[.,;:!?\n|()\[\]]+")
MAX_CLAUSES = 1000  # distinct clauses, ~0.04 ms each; the gate accepts 2,000 characters
CLAUSE_CONFIDENCE = 0.6


@dataclass(frozen=True)
class LanguageGuess:
    """The judged language, how sure the guess is, and every language whose lists run."""

    language: str
    confidence: float
    candidates: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "confidence": round(self.confidence, 3),
            "candidates": list(self.candidates),
        }


_identifier: Any = None
_identifier_lock = threading.Lock()


def _latin_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LATIN))
                _identifier = identifier
    return _identifier


def warm() -> None:
    """Load the model now (process start), not on the first request."""
    _latin_identifier()


def _scripts(text: str) -> tuple[int, int, int]:
    """Counts of kana, Han and Latin letters."""
    kana = han = latin = 0
    for ch in text:
        code = ord(ch)
        if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D:
            kana += 1
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
            han += 1
        elif ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN"):
            latin += 1
    return kana, han, latin


def detect(text: str) -> LanguageGuess:
    """Guess the language of `text` among `SUPPORTED`; never raises.

    Text in another script (Cyrillic, Arabic, Hangul...) or with no letters is
    reported as "und" with every Latin list as a candidate, so the English
    and other lists still run over whatever Latin words it contains.
    """
    sample = text[:2000]
    kana, han, latin = _scripts(sample)
    candidates: list[str] = []
    if kana or han:
        candidates = ["ja", "zh"] if kana else ["zh", "ja"]
    # Japanese and Chinese copy carries Latin brand names and addresses, so a few
    # kana or Han characters decide even where Latin letters outnumber them.
    if kana >= 2 or (han >= 2 and han + kana >= latin / 4):
        cjk_first = candidates[0]
        confidence = 1.0 if kana else 0.8
        return LanguageGuess(cjk_first, confidence, (*candidates, *LATIN))
    if not latin:
        return LanguageGuess("und", 0.0, (*LATIN, *candidates))
    identifier = _latin_identifier()
    ranked = identifier.rank(sample)
    best, confidence = ranked[0]
    latin_candidates = [lang for lang, p in ranked if p >= CANDIDATE_FLOOR]
    if len(sample.split()) < SHORT_TEXT_WORDS:
        latin_candidates += [code for code in LATIN if code not in latin_candidates]
    else:
        # A clause in another language inside clear text ("studio shot, soft light,
        # une femme nue") is judged by its own language's lists too.
        seen: set[str] = set()
        for clause in _CLAUSE_RE.split(text):
            clause = clause.strip()
            if clause in seen or len(clause.split()) < 2:
                continue
            seen.add(clause)
            if len(seen) > MAX_CLAUSES:
                break
            language, p = identifier.rank(clause)[0]
            if p >= CLAUSE_CONFIDENCE and language not in latin_candidates:
                latin_candidates.append(language)
    if "en" not in latin_candidates:
        # English marketing vocabulary ("nude", "sexy", "shooting") appears in
        # every language's copy, so English lists always run.
        latin_candidates.append("en")
    return LanguageGuess(str(best), float(confidence), (*latin_candidates, *candidates))
