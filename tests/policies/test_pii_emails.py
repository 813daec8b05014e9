"""Disguised email addresses count; prose that uses the same words does not."""

from __future__ import annotations

import pytest

from apps.policies.filters.pii import DETECTORS, detect, has_email


@pytest.mark.parametrize(
    "text",
    [
        # Spelled out, no brackets
        "maria dot lopez at gmail dot com",
        "write to maria at gmail dot com",
        "MARIA AT GMAIL DOT COM",
        "jean chez orange point fr",
        # Brackets of every kind, and a bracketed dot
        "maria[at]gmail[.]com",
        "maria{at}gmail{dot}com",
        "maria <at> gmail <dot> com",
        "hans(at)web(punkt)de",
        "hans [ät] web [punkt] de",
        # Words that name the @ sign
        "maria arroba gmail punto com",
        "maria arroba gmail.com",
        "mario chiocciola libero punto it",
        "jean arobase orange point fr",
        "maria アット gmail ドット com",
        "tanaka＠example。co。jp",
        "wang艾特qq点com",
        # Invisible and full-width characters inside the address
        "jane\u200b@exam\u200cple.com",
        "jane\u200d@example\u2060.com",
        "jane\ufeff@example.com",
        "jane\u00addoe@example.com",
        "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        "jane\x00@example.com",
        # Next to CJK text, and with a non-ASCII local part
        "联系邮箱maria@gmail.com",
        "josé@exemple.fr",
        # A spelled "at" before a real address does not hide it
        "email me at a.b@company.co.uk",
    ],
)
def test_disguised_addresses(text):
    assert has_email(text)
    assert detect(text, DETECTORS) == ["email"]


@pytest.mark.parametrize(
    "text",
    [
        "look at this dot pattern",
        "visit us at acme dot com",
        "available at acme.com",  # a web address, not a mailbox
        "shop at store.example.com",
        "sign up at example dot com",
        "a bird at sunset dot painting",
        "tickets at the box office dot com",
        "smile at this dot com bubble",
        "meet at noon",
        "name at example",
        "dinner chez paul, 8 pm",
        "点击这里 at 点",
        "a polka dot dress at the beach",
        "@brand handle",
        "a@b",
    ],
)
def test_prose_with_at_and_dot_is_not_an_address(text):
    assert not has_email(text)
