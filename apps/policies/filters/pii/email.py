"""Email addresses, plain or disguised.

People write addresses so that scrapers miss them, and a prompt filter must not
miss them either: "sarah (at) acme (dot) com", "maria[at]gmail[.]com",
"maria dot lopez at gmail dot com", "juan arroba gmail punto com",
"maria アット gmail ドット com", "wang艾特qq点com". The disguises are first
rewritten to markers, then one address pattern reads them all.

The same words are ordinary prose ("look at this dot pattern", "available at
acme.com"), so the weaker the disguise, the more proof it needs:

- a real "@" or a bracketed "(at)"/"[at]": any alphabetic top-level domain
  (the long-standing rule);
- a word that names the @ sign (arroba, arobase, chiocciola, アット, 艾特): the
  top-level domain must be a known one;
- the bare word "at" (or "chez"): a known top-level domain, at least one
  spelled "dot" (a sentence says "at acme.com", a disguise "at acme dot com"),
  and neither side a word that usually stands before or after "at" in prose
  ("us at", "at the").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .text import Prepared

_AT = "@"
_AT_NAMED = "\ue000"  # a word naming the @ sign
_AT_WORD = "\ue001"  # the bare word "at"/"chez"
_DOT_WORD = "\ue003"  # a spelled dot

_AT_NAMES = (
    r"arroba|arobase|arobas|chiocciola|apenstaartje|klammeraffe|ät"
    r"|アットマーク|アット|あっと|艾特|圈a"
)
_DOT_NAMES = r"dot|punto|punkt|point|ponto|punt|ドット|点|點|。"
_BRACKET_AT_RE = re.compile(
    rf"[ \t]{{0,3}}[(\[{{<][ \t]{{0,3}}(?:at|@|{_AT_NAMES})[ \t]{{0,3}}[)\]}}>][ \t]{{0,3}}",
)
_BRACKET_DOT_RE = re.compile(
    rf"[ \t]{{0,3}}[(\[{{<][ \t]{{0,3}}(?:\.|{_DOT_NAMES})[ \t]{{0,3}}[)\]}}>][ \t]{{0,3}}",
)
_LABEL_CHAR = r"A-Za-z0-9\u00c0-\u024f"
_NAMED_AT_RE = re.compile(
    rf"(?<=[{_LABEL_CHAR}_%+\-])[ \t]{{0,3}}(?:{_AT_NAMES})[ \t]{{0,3}}(?=[{_LABEL_CHAR}])",
)
_WORD_AT_RE = re.compile(
    rf"(?<=[{_LABEL_CHAR}_%+\-])[ \t]{{1,3}}(?:at|chez)[ \t]{{1,3}}(?=[{_LABEL_CHAR}])",
)
# Latin dot words need spaces around them ("dot"); CJK ones and the ideographic
# full stop sit directly between the labels.
_WORD_DOT_RE = re.compile(
    rf"(?<=[{_LABEL_CHAR}])(?:[ \t]{{1,3}}(?:dot|punto|punkt|point|ponto|punt)[ \t]{{1,3}}"
    rf"|[ \t]{{0,3}}(?:ドット|点|點|。)[ \t]{{0,3}})(?=[{_LABEL_CHAR}])",
)
_HINT_RE = re.compile(rf"[@\[\](){{}}<>]|\b(?:at|chez)\b|{_AT_NAMES}")

# The lookbehind makes a match start only where a local part starts, so each
# position is tried once and long input stays linear.
_LOCAL = rf"[{_LABEL_CHAR}_%+\-.{_DOT_WORD}]"
_EMAIL_RE = re.compile(
    rf"(?<!{_LOCAL})[{_LABEL_CHAR}_%+\-]{_LOCAL}{{0,63}}"
    rf"([{_AT}{_AT_NAMED}{_AT_WORD}])"
    rf"([{_LABEL_CHAR}][{_LABEL_CHAR}\-]{{0,62}}(?:[.{_DOT_WORD}][{_LABEL_CHAR}\-]{{1,63}}){{1,10}})"
)
_DOMAIN_SPLIT_RE = re.compile(rf"[.{_DOT_WORD}]")
_TLD_RE = re.compile(r"[a-z]{2,24}|xn--[a-z0-9\-]{1,59}")

# Generic domains and the country domains of the markets served; only needed
# when the address is spelled out.
KNOWN_TLDS = frozenset(
    """
    com net org edu gov mil int info biz name pro mobi io co me app dev ai tech online site store
    shop email xyz club design studio agency media news blog live cloud digital world global
    eu us uk ca au nz ie fr be ch lu mc de at li es mx ar cl pe uy ve bo py ec cr gt do pr cat
    gal eus it sm va pt br ao mz nl jp cn tw hk mo sg in za se no dk fi is pl cz sk hu ro gr tr
    ru ua kr th my ph id vn il ae sa tv cc ly to fm gg
    """.split()
)
# Words that stand before "at" in prose ("look at", "us at", "available at")
# and after it ("at the", "at home"): not the local part and domain of an address.
_PROSE_BEFORE_AT = frozenset(
    """
    me us you him her them it one up in out on off here there now only exclusively look looking
    looked stare staring glance glancing laugh laughing smile smiling smiles point pointing aim
    aimed aiming arrive arrived arriving stay staying meet meeting sit sitting sits stand
    standing stands work working works live living lives located based available sold buy shop
    shopping find visit online open opens opened starting starts start begin begins sale best
    least most all first last rate priced sign log whether good bad great nice
    """.split()
)
_PROSE_AFTER_AT = frozenset(
    """
    the a an this that these those our my your his her their its night home work noon dawn dusk
    sunset sunrise least most once first last all
    """.split()
)


def _canonical(text: str) -> str:
    if _HINT_RE.search(text) is None:
        return text
    text = _BRACKET_AT_RE.sub(_AT, text)
    text = _BRACKET_DOT_RE.sub(".", text)
    text = _NAMED_AT_RE.sub(_AT_NAMED, text)
    text = _WORD_AT_RE.sub(_AT_WORD, text)
    return _WORD_DOT_RE.sub(_DOT_WORD, text)


def _plausible(local: str, at: str, domain: str, labels: list[str]) -> bool:
    tld = labels[-1].lower()
    if not _TLD_RE.fullmatch(tld):
        return False
    spelled_dot = _DOT_WORD in local or _DOT_WORD in domain
    if at == _AT and not spelled_dot:
        return True
    if tld not in KNOWN_TLDS:
        return False
    if at != _AT_WORD:
        return True
    last_word = local.split(_DOT_WORD)[-1].lower()
    return (
        spelled_dot
        and last_word not in _PROSE_BEFORE_AT
        and labels[0].lower() not in _PROSE_AFTER_AT
    )


def find_emails(prepared: Prepared) -> Iterator[str]:
    """Each address in the text, lowercased with its disguises undone.

    Read from the lowercased text: the patterns need no IGNORECASE and the
    values compare as addresses do in practice.
    """
    text = prepared.memo.get("email_text")
    if text is None:
        text = prepared.memo["email_text"] = _canonical(prepared.lower)
    if not any(marker in text for marker in (_AT, _AT_NAMED, _AT_WORD)):
        return
    position = 0
    while (match := _EMAIL_RE.search(text, position)) is not None:
        at = match.group(1)
        local = match.group()[: match.start(1) - match.start()]
        labels = _DOMAIN_SPLIT_RE.split(match.group(2))
        # A failed reading resumes right after its at-sign: the domain it took
        # may be the local part of the real address ("me at a.b@c.com").
        position = match.start(1) + 1
        # The domain may have swallowed a following word ("acme.com.Then");
        # drop trailing labels until the rest is plausible.
        while len(labels) >= 2:
            if _plausible(local, at, match.group(2), labels):
                value = f"{local}@{'.'.join(labels)}"
                yield value.replace(_DOT_WORD, ".")
                position = match.end()
                break
            labels = labels[:-1]


def email_key(value: str) -> str | None:
    """The normalised form of an address as a user typed it, for allow-lists."""
    found = next(find_emails(Prepared(value)), None)
    if found is not None:
        return found
    value = value.strip().lower()
    return value if "@" in value else None
