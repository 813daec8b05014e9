"""Fold prompt text into tokens that term lists can match despite obfuscation.

People who want a blocked image through a term filter write "nüde", "n.u.d.e",
"p0rn", "sееx" with Cyrillic letters, or "seeeex". Each trick is undone here so
the term lists can stay short and plain. The opposite risk matters as much: a
marketing prompt full of sizes ("1024x1024"), counts ("4 people") and hex
colours must not be turned into words, so digit-to-letter decoding only applies
inside tokens that already read as words.

The result keeps alternatives instead of guessing: a token position holds every
plausible reading ("k1ll" reads as "kill" and "klll"), and hyphen/dot-joined
pieces are offered both split and joined. Term matching succeeds when any reading
matches, which is what an evasion-resistant check needs; the readings are narrow
enough that benign text rarely produces a listed term by accident.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Look-alike letters from other scripts, mapped to the Latin letter a reader
# sees. Applied after casefolding, so only lowercase forms are needed. Fullwidth
# and mathematical alphanumerics are already folded by NFKC.
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "м": "m", "н": "h", "о": "o", "п": "n", "р": "p", "с": "c", "т": "t", "у": "y",
    "х": "x", "ш": "w", "щ": "w", "ъ": "b", "ь": "b", "ѕ": "s", "ԁ": "d", "ԛ": "q",
    "ԝ": "w", "һ": "h", "ӏ": "l", "ү": "y", "ғ": "f",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u",
    "ν": "v", "ο": "o", "π": "n", "ρ": "p", "σ": "o", "ς": "s", "τ": "t", "υ": "u",
    "χ": "x", "ω": "w",
    # Latin look-alikes NFKC and accent stripping leave alone
    "ı": "i", "ȷ": "j", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ß": "ss",
    "æ": "ae", "œ": "oe", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ʏ": "y", "ᴀ": "a", "ʙ": "b",
    "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k",
    "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t",
    "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z",
    # Typographic apostrophes, so "assassin’s" folds like "assassin's"
    "’": "'", "‘": "'", "ʼ": "'", "`": "'",
}  # fmt: skip
_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)
# Greek capitals whose lowercase looks like a different Latin letter (Ν/ν, Η/η):
# mapped before casefolding.
_CAPITAL_CONFUSABLE_TABLE = str.maketrans(
    {"Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
     "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x"}
)  # fmt: skip

# Digits and symbols read as letters inside words. "1" and "|" are ambiguous
# (i or l), so both readings are produced.
_LEET_COMMON = {
    "0": "o", "2": "z", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b",
    "9": "g", "@": "a", "$": "s", "!": "i", "+": "t", "€": "e", "£": "l",
}  # fmt: skip
_LEET_AS_I = str.maketrans({**_LEET_COMMON, "1": "i", "|": "i"})
_LEET_AS_L = str.maketrans({**_LEET_COMMON, "1": "l", "|": "l"})
_LEET_CHARS = frozenset(_LEET_COMMON) | {"1", "|"}

# A token: letters/digits plus the symbols leetspeak borrows, inside a word or,
# for the ones that stand for letters at a word's edge, leading ("@ss", "$ex") or
# trailing ("ki$$"). Apostrophes inside words are removed beforehand ("don't").
_TOKEN_RE = re.compile(r"[@$€£]*[^\W_]+(?:[@$!|+€£]+[^\W_]+)*\$*")
_HEX_RE = re.compile(r"[0-9a-f]{3,8}")
# What may sit between the letters of a spaced-out word: "s e x", "s.e.x", "s-e-x".
_SPACED_GAP_RE = re.compile(r"[ \t._\-*~·•]{1,3}")
# What joins pieces of one word without spaces: "nu-de", "blow.job".
_JOIN_GAP_RE = re.compile(r"[._\-*~·•]")
_INNER_APOSTROPHE_RE = re.compile(r"(?<=[^\W_])'(?=[^\W_])")
# Numbers with units and dimensions are not words in disguise: 1024x1024, 4k,
# 35mm, 1080p, 3d, 2x, 16px, 1990s, 21st.
_MEASURE_RE = re.compile(
    r"\d+(?:[.,]\d+)?(?:x\d+(?:[.,]\d+)?)*"
    r"(?:k|p|x|d|s|st|nd|rd|th|mm|cm|m|km|px|pt|em|fps|mp|gb|mb|tb|kb|hz|khz|mhz|ghz|"
    r"ml|l|g|kg|mg|oz|lb|lbs|in|ft|yo|yr|yrs|h|hr|hrs|min|sec|ms|w|kw|v|mah|am|pm)?"
)
_REPEAT_RE = re.compile(r"([^\W\d_])\1{2,}")


@dataclass(frozen=True)
class NormalizedText:
    """Folded text and its token readings.

    `streams` holds one or two token sequences: the text split at every
    separator, and (when it differs) the text with hyphen/dot-joined pieces
    glued back together. Each token is a tuple of readings, the plain one first.
    """

    folded: str
    streams: tuple[tuple[tuple[str, ...], ...], ...]
    # The folded text with spaced-out runs joined and leetspeak decoded, for
    # checks that read whole sentences (the semantic filter) rather than tokens.
    plain: str = ""

    @property
    def tokens(self) -> tuple[str, ...]:
        """The plain reading of each token of the split stream."""
        return tuple(readings[0] for readings in self.streams[0])


# Letters NFKC leaves alone: squared, negative circled and negative squared Latin
# capitals (🅽🆄🅳🅴) and regional indicators (🇳🇺🇩🇪), typed to dodge word lists.
_ENCLOSED_TABLE = {
    start + i: chr(ord("a") + i)
    for start in (0x1F130, 0x1F150, 0x1F170, 0x1F1E6)
    for i in range(26)
}


def fold(text: str) -> str:
    """Unicode-fold text: compatibility forms, case, accents and look-alikes.

    Format characters (zero-width spaces and joiners, soft hyphens) are dropped
    first because they are the cheapest way to split a word invisibly.
    """
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.translate(_ENCLOSED_TABLE)
    text = unicodedata.normalize("NFKC", text).translate(_CAPITAL_CONFUSABLE_TABLE).casefold()
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFC", text)
    return text.translate(_CONFUSABLE_TABLE)


def _leet_readings(token: str, *, after_hash: bool = False) -> list[str]:
    if not any(ch in _LEET_CHARS for ch in token):
        return []
    if after_hash and _HEX_RE.fullmatch(token):  # "#ff5733" is a colour
        return []
    if not any(ch.isalpha() for ch in token) or _MEASURE_RE.fullmatch(token):
        return []
    readings = [token.translate(_LEET_AS_I)]
    if "1" in token or "|" in token:
        readings.append(token.translate(_LEET_AS_L))
    return readings


def _squash_readings(token: str) -> list[str]:
    """Readings with letter runs of three or more cut to one and to two.

    Runs of two are left alone: "boob" or "kill" are spelled that way, and
    squashing them would turn ordinary words into other ones.
    """
    if not _REPEAT_RE.search(token):
        return []
    return [_REPEAT_RE.sub(r"\1", token), _REPEAT_RE.sub(r"\1\1", token)]


def readings(token: str, *, after_hash: bool = False) -> tuple[str, ...]:
    """Every reading of one raw token, the plain one first, without duplicates."""
    found = [token]
    if token.startswith("@") and len(token) > 1:  # "@brand" handles read as the name too
        found.append(token.lstrip("@"))
    for candidate in _leet_readings(token, after_hash=after_hash):
        found.append(candidate)
    for base in list(found):
        found.extend(_squash_readings(base))
    return tuple(dict.fromkeys(found))


_CJK_RUN = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SCRIPT_RUN_RE = re.compile(f"[{_CJK_RUN}]+|[^{_CJK_RUN}]+")


def _raw_tokens(folded: str) -> list[tuple[str, int, int]]:
    """Word tokens; a token is split where it changes between CJK and other scripts,
    since Chinese and Japanese text glue Latin words on ("nike的logo")."""
    tokens = []
    for m in _TOKEN_RE.finditer(folded):
        word = m.group()
        if word.isascii():
            tokens.append((word, m.start(), m.end()))
            continue
        for run in _SCRIPT_RUN_RE.finditer(word):
            tokens.append((run.group(), m.start() + run.start(), m.start() + run.end()))
    return tokens


def _collapse_spaced(tokens: list[tuple[str, int, int]], folded: str) -> list[tuple[str, int, int]]:
    """Join runs of three or more single characters: "s e x" -> "sex".

    The run needs two letters, so "4 x 4" or "1 2 3" stay as they are.
    """
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(tokens):
        j = i
        gap = None  # one run uses one separator: "c h i l d  n u d e" is two words
        while j + 1 < len(tokens) and len(tokens[j][0]) == 1 and len(tokens[j + 1][0]) == 1:
            between = folded[tokens[j][2] : tokens[j + 1][1]]
            if not _SPACED_GAP_RE.fullmatch(between) or gap not in (None, between):
                break
            gap = between
            j += 1
        run = tokens[i : j + 1]
        # Digits at the edges of a run are numbers, not letters: "2 s e x" is 2 + sex.
        alpha = [k for k, (tok, _, _) in enumerate(run) if tok.isalpha()]
        core = run[alpha[0] : alpha[-1] + 1] if alpha else []
        if len(core) >= 3 and len(alpha) >= 2:
            out.extend(run[: alpha[0]])
            out.append(("".join(tok for tok, _, _ in core), core[0][1], core[-1][2]))
            out.extend(run[alpha[-1] + 1 :])
        else:  # no later start inside the run can qualify either: skip it whole
            out.extend(run)
        i = j + 1
    return out


def _join_pieces(tokens: list[tuple[str, int, int]], folded: str) -> list[tuple[str, int, int]]:
    """Glue pieces separated by one joiner and no space: "nu-de" -> "nude"."""
    out: list[tuple[str, int, int]] = []
    for tok in tokens:
        if out and _JOIN_GAP_RE.fullmatch(folded[out[-1][2] : tok[1]]):
            prev = out.pop()
            out.append((prev[0] + tok[0], prev[1], tok[2]))
        else:
            out.append(tok)
    return out


# French and Italian elision ("l'enfant", "dell'uomo", "qu'elle"): the article is
# its own word. Other inner apostrophes join ("don't" -> "dont").
_ELISION_RE = re.compile(
    r"(?<![^\W_])(l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|un|dell|all|nell|sull|dall|quell|"
    r"bell|sant|nessun)['\u2019](?=[^\W_])"
)


@lru_cache(maxsize=4096)
def normalize(text: str) -> NormalizedText:
    """Fold `text` and split it into token readings for whole-word matching."""
    folded = _INNER_APOSTROPHE_RE.sub("", _ELISION_RE.sub(r"\1 ", fold(text)))
    split = _collapse_spaced(_raw_tokens(folded), folded)
    joined = _join_pieces(split, folded)

    def stream(tokens: list[tuple[str, int, int]]) -> tuple[tuple[str, ...], ...]:
        return tuple(
            readings(tok, after_hash=start > 0 and folded[start - 1] == "#")
            for tok, start, _ in tokens
        )

    streams = [stream(split)]
    if len(joined) != len(split):
        streams.append(stream(joined))
    return NormalizedText(folded=folded, streams=tuple(streams), plain=_plain(folded, split))


def _plain(folded: str, tokens: list[tuple[str, int, int]]) -> str:
    parts: list[str] = []
    cursor = 0
    for token, start, end in tokens:
        leet = _leet_readings(token, after_hash=start > 0 and folded[start - 1] == "#")
        parts.append(folded[cursor:start])
        parts.append(leet[0] if leet else token)
        cursor = end
    parts.append(folded[cursor:])
    return "".join(parts)


@lru_cache(maxsize=65536)
def fold_term(term: str) -> tuple[str, ...]:
    """Split a listed term into folded words, the way prompt text is folded.

    Terms get no leetspeak or squashing: lists are written in plain spelling.
    """
    folded = _INNER_APOSTROPHE_RE.sub("", _ELISION_RE.sub(r"\1 ", fold(term)))
    return tuple(m.group() for m in _TOKEN_RE.finditer(folded))
