"""How a guard model's answer is read: the taxonomies, our category map, the parsers.

Plain string handling, apart from `guard` (which loads and runs the model) and
`guard_prompt` (what the model is asked), so whoever owns the category map can
review it on its own.

Two output formats are understood:

* Llama Guard 2/3/4: ``safe``, or ``unsafe`` and a second line of codes,
  ``unsafe\\nS1,S10``. The codes are numbered categories whose meaning depends
  on the checkpoint's taxonomy; the names are read from the rendered prompt
  when the chat template lists them (``S7: Privacy.``), else the Llama Guard 3
  list below is assumed (our built-in prompt lists exactly that one).
* Qwen3Guard-Gen: ``Safety: Unsafe\\nCategories: Violent`` with the verdicts
  Safe, Unsafe and Controversial and named categories.

Anything else is "unparseable", and the filter refuses on it (see `guard`).
Labels returned by the parsers are always one of a fixed set of identifiers,
never free text from the model, which could echo the prompt being checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

LLAMA_GUARD = "llama_guard"
QWEN3GUARD = "qwen3guard"
FLAVOURS = (LLAMA_GUARD, QWEN3GUARD)

# Hit categories of our own, beside the content slugs.
OTHER = "guard_other"  # the model named a category we have no slug for
UNPARSEABLE = "guard_unparseable"  # the model's answer could not be read: refuse

# The Llama Guard 3 taxonomy (MLCommons hazards), as its chat template lists it.
# Llama Guard 4 uses the same codes, with longer names for S3, S4 and S11.
LLAMA_GUARD_3_CATEGORIES: dict[str, str] = {
    "S1": "Violent Crimes",
    "S2": "Non-Violent Crimes",
    "S3": "Sex Crimes",
    "S4": "Child Exploitation",
    "S5": "Defamation",
    "S6": "Specialized Advice",
    "S7": "Privacy",
    "S8": "Intellectual Property",
    "S9": "Indiscriminate Weapons",
    "S10": "Hate",
    "S11": "Self-Harm",
    "S12": "Sexual Content",
    "S13": "Elections",
    "S14": "Code Interpreter Abuse",
}

QWEN3GUARD_CATEGORIES: tuple[str, ...] = (
    "Violent",
    "Non-violent Illegal Acts",
    "Sexual Content or Sexual Acts",
    "PII",
    "Suicide & Self-Harm",
    "Unethical Acts",
    "Politically Sensitive Topics",
    "Copyright Violation",
    "Jailbreak",
)


def normalize_name(name: str) -> str:
    """'Suicide & Self-Harm.' -> 'suicide self harm': the key of CATEGORY_SLUGS."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", name.lower()).split())


# Category names (normalised) of both model families -> our slugs. Names that
# have no counterpart among our categories map to OTHER: the prompt is still
# refused, with a generic label. ncii has no counterpart in either taxonomy
# (the term and semantic checks cover it).
CATEGORY_SLUGS: dict[str, str] = {
    # Llama Guard 2/3/4
    "violent crimes": "violence",
    "non violent crimes": OTHER,
    "sex crimes": "sexual",
    "sex related crimes": "sexual",
    "child exploitation": "minors",
    "child sexual exploitation": "minors",
    "defamation": OTHER,
    "specialized advice": OTHER,
    "privacy": "pii",
    "intellectual property": "brand_misuse",
    "indiscriminate weapons": "violence",  # nearest: weapons of mass harm
    "hate": "hate",
    "self harm": "self_harm",
    "suicide self harm": "self_harm",
    "sexual content": "sexual",
    "elections": OTHER,
    "code interpreter abuse": OTHER,
    # Qwen3Guard
    "violent": "violence",
    "non violent illegal acts": OTHER,
    "sexual content or sexual acts": "sexual",
    "pii": "pii",
    # Broad: bias, discrimination and hate speech, but also harassment and
    # misinformation; mapping it to "hate" would mislabel much of it.
    "unethical acts": OTHER,
    "politically sensitive topics": OTHER,
    "copyright violation": "brand_misuse",
    "jailbreak": OTHER,
}


def label_id(label: str) -> str:
    """A rule-safe identifier for a model label: 'S10', 'sexual_content_or_sexual_acts'."""
    if re.fullmatch(r"[A-Z]\d{1,2}", label):
        return label
    return normalize_name(label).replace(" ", "_")


def slug_for(
    label: str,
    code_names: Mapping[str, str],
    overrides: Mapping[str, str] | None = None,
) -> str:
    """Our slug for one model label (a code like 'S7' or a name like 'PII').

    `overrides` (compliance's setting) are looked up first, by code and then by
    name, case-insensitively; an empty string there means "do not refuse on
    this category". Then the built-in table by name; anything unknown is OTHER.
    """
    name = code_names.get(label, label)
    wanted = {normalize_name(k): v for k, v in (overrides or {}).items()}
    for key in (normalize_name(label), normalize_name(name)):
        if key in wanted:
            return wanted[key]
    return CATEGORY_SLUGS.get(normalize_name(name), OTHER)


# --- reading the answer -------------------------------------------------------

Status = Literal["safe", "unsafe", "unparseable"]


@dataclass(frozen=True)
class Verdict:
    status: Status
    labels: tuple[str, ...] = ()  # codes ("S1") or canonical names ("Violent"); fixed set
    severity: str = ""  # "unsafe" | "controversial" (Qwen3Guard); "" when safe

    @property
    def unsafe(self) -> bool:
        return self.status == "unsafe"


_THINK_RE = re.compile(r"<think>.*?</think>", re.DOTALL)
_CODE_RE = re.compile(r"[SO]\d{1,2}", re.IGNORECASE)


def _strip(text: str) -> str:
    return _THINK_RE.sub("", text).strip()


def parse_llama_guard(text: str) -> Verdict:
    """'safe' alone, or 'unsafe' with codes on the same or the next lines.

    "safe" followed by anything else is unparseable: a verdict that contradicts
    itself is not read in the permissive direction.
    """
    lines = [line.strip() for line in _strip(text).splitlines() if line.strip()]
    if not lines:
        return Verdict("unparseable")
    head, _, rest = lines[0].partition(" ")
    word = head.strip(" .:,").lower()
    if word == "safe":
        if rest.strip() or len(lines) > 1:
            return Verdict("unparseable")
        return Verdict("safe")
    if word != "unsafe":
        return Verdict("unparseable")
    tail = " ".join([rest, *lines[1:]])
    codes: list[str] = []
    for token in re.split(r"[\s,;]+", tail):
        token = token.strip(" .:")
        if _CODE_RE.fullmatch(token) and token.upper() not in codes:
            codes.append(token.upper())
    return Verdict("unsafe", tuple(codes), "unsafe")


_SAFETY_RE = re.compile(r"Safety:\s*(Safe|Unsafe|Controversial)\b", re.IGNORECASE)
_CATEGORIES_LINE_RE = re.compile(r"Categories:\s*(.*)", re.IGNORECASE)
_QWEN_NAMES_RE = re.compile(
    "|".join(
        re.escape(name) for name in sorted((*QWEN3GUARD_CATEGORIES, "None"), key=len, reverse=True)
    ),
    re.IGNORECASE,
)
_QWEN_CANONICAL = {name.lower(): name for name in QWEN3GUARD_CATEGORIES}


def parse_qwen3guard(text: str, *, controversial_is_unsafe: bool = True) -> Verdict:
    """'Safety: Unsafe' / 'Safety: Controversial' / 'Safety: Safe' plus 'Categories: ...'.

    Controversial counts as unsafe unless `controversial_is_unsafe` is False
    (Qwen's "strict" and "loose" modes). Disagreeing Safety lines are unparseable.
    """
    body = _strip(text)
    found = {match.lower() for match in _SAFETY_RE.findall(body)}
    if len(found) != 1:
        return Verdict("unparseable")
    verdict = found.pop()
    if verdict == "safe" or (verdict == "controversial" and not controversial_is_unsafe):
        return Verdict("safe")
    labels: list[str] = []
    for line in _CATEGORIES_LINE_RE.findall(body):
        for match in _QWEN_NAMES_RE.findall(line):
            name = _QWEN_CANONICAL.get(match.lower())
            if name and name not in labels:
                labels.append(name)
    return Verdict("unsafe", tuple(labels), verdict)


def parse_output(text: str, flavour: str, *, controversial_is_unsafe: bool = True) -> Verdict:
    if flavour == LLAMA_GUARD:
        return parse_llama_guard(text)
    if flavour == QWEN3GUARD:
        return parse_qwen3guard(text, controversial_is_unsafe=controversial_is_unsafe)
    raise ValueError(f"unknown guard flavour {flavour!r}")
