"""Negative prompts that ask for nudity by removing clothes.

Negative prompts are protective ("nude, gore, watermark"), so content terms do
not run on them (see `prompt`). The one way a negative prompt asks for
harmful content is by excluding what covers a body: "clothes, bra, underwear,
censorship" beside an innocent positive prompt yields nudity. Marketers do
exclude single garments ("wrinkled shirt"), so covering words count only in
pairs; a censorship word counts on its own.
"""

from __future__ import annotations

from .lexicon import compile_list, fold_cjk
from .normalize import normalize

COVERING = (
    "clothes", "clothing", "clothed", "dressed", "bra", "underwear", "panties", "lingerie",
    "bikini", "swimsuit", "shirt", "pants", "covering", "covered", "garment", "outfit",
    "vetement", "habille", "soutien-gorge", "culotte", "sous-vetement", "maillot",
    "kleidung", "bekleidet", "unterwasche", "hoschen", "ropa", "vestida", "vestido",
    "sujetador", "bragas", "vestiti", "vestita", "reggiseno", "mutande", "roupa", "roupas",
    "sutia", "calcinha", "kleding", "kleren", "beha", "ondergoed",
    "服", "衣服", "下着", "ぶら", "着衣", "内衣", "胸罩", "穿衣", "衣物",
)  # fmt: skip
CENSORSHIP = (
    "censored", "censorship", "censor", "censor bar", "mosaic censor", "pixelated",
    "censure", "zensur", "zensiert", "censura", "censurado", "censurato", "censuur",
    "もざいく", "马赛克", "打码",
)  # fmt: skip


_COVERING = [compile_list("en", (word,), ()) for word in COVERING]
_CENSORSHIP = compile_list("en", CENSORSHIP, ())


def asks_for_nudity(negative_prompt: str) -> bool:
    """Two covering words, or one censorship word, in a negative prompt."""
    text = normalize(negative_prompt)
    cjk = fold_cjk(negative_prompt)
    if _CENSORSHIP.matches(text, cjk):
        return True
    found = 0
    for matcher in _COVERING:
        found += matcher.matches(text, cjk)
        if found >= 2:
            return True
    return False
