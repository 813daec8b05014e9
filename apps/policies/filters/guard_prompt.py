"""What a guard model is asked: its prompt around one text, tokenized safely.

Tokenizer-side only (no torch), beside `guard_format`, which reads the answer.

* The checkpoint's own chat template builds the prompt, as its model card
  does; a checkpoint without one gets the Llama Guard 3 prompt format.
* The template is rendered once with a placeholder where the text goes and
  tokenized in parts; each checked text is tokenized on its own with special
  tokens split, so a prompt that contains "<|eot_id|>" or "<|im_end|>" cannot
  close the user turn early and answer for the model.
* A template that leaves the text out is refused: the model would judge an
  empty conversation and answer "safe" to everything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .base import FilterUnavailable
from .guard_format import (
    FLAVOURS,
    LLAMA_GUARD,
    LLAMA_GUARD_3_CATEGORIES,
    QWEN3GUARD,
)

# Stands in for the checked text while the chat template renders. Capital
# letters only, so no template filter (trim, escaping) changes it.
_SLOT = "IMPRIMATURGUARDTEXTSLOTQZX"

# Before the verdict word: whitespace (Llama Guard), "Safety:" (Qwen3Guard).
VERDICT_PREFIX = {
    LLAMA_GUARD: re.compile(r"\s*"),
    QWEN3GUARD: re.compile(r"\s*(?:<think>\s*</think>\s*)?Safety:\s*", re.IGNORECASE),
}


def verdict_words(flavour: str, *, controversial_is_unsafe: bool = True) -> dict[str, bool]:
    """The words that open a verdict, each with whether it means unsafe."""
    if flavour == LLAMA_GUARD:
        return {"safe": False, "unsafe": True}
    return {"Safe": False, "Unsafe": True, "Controversial": controversial_is_unsafe}


_CATEGORY_LINE_RE = re.compile(r"^\s*(S\d{1,2})\s*:\s*(.+?)\s*\.?\s*$", re.MULTILINE)
_CATEGORY_BLOCK_RE = re.compile(
    r"<BEGIN UNSAFE CONTENT CATEGORIES>(.*?)<END UNSAFE CONTENT CATEGORIES>", re.DOTALL
)


def categories_in_prompt(prompt: str) -> dict[str, str]:
    """Codes and names a Llama Guard prompt lists ({} when it lists none).

    Llama Guard 2 numbered its categories differently from 3 (S7 was
    Intellectual Property there); reading them from the checkpoint's own
    template keeps the codes it answers with mapped to what they mean.
    """
    block = _CATEGORY_BLOCK_RE.search(prompt)
    if not block:
        return {}
    return {code.upper(): name for code, name in _CATEGORY_LINE_RE.findall(block.group(1))}


def llama_guard_prompt(
    text_marker: str,
    *,
    categories: Mapping[str, str] = LLAMA_GUARD_3_CATEGORIES,
    llama3_headers: bool = True,
    bos: str = "",
) -> str:
    """The Llama Guard 3 prompt format, for checkpoints that ship no chat template.

    `text_marker` stands where the checked text goes. Without the Llama 3
    header tokens in the vocabulary it falls back to Llama Guard 1/2's [INST].
    """
    listed = "\n".join(f"{code}: {name}." for code, name in categories.items())
    body = (
        "Task: Check if there is unsafe content in 'User' messages in conversations "
        "according our safety policy with the below categories.\n\n"
        f"<BEGIN UNSAFE CONTENT CATEGORIES>\n{listed}\n<END UNSAFE CONTENT CATEGORIES>\n\n"
        f"<BEGIN CONVERSATION>\n\nUser: {text_marker}\n\n<END CONVERSATION>\n\n"
        "Provide your safety assessment for ONLY THE LAST User message in the above "
        "conversation:\n"
        " - First line must read 'safe' or 'unsafe'.\n"
        " - If unsafe, a second line must include a comma-separated list of violated "
        "categories."
    )
    if llama3_headers:
        return (
            f"{bos}<|start_header_id|>user<|end_header_id|>\n\n{body}<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
        )
    return f"{bos}[INST] {body} [/INST]"


def detect_flavour(chat_template: str | None, model_type: str) -> str | None:
    """The output format a checkpoint uses, from its template, else its architecture."""
    template = chat_template or ""
    if "Safety:" in template or "Controversial" in template:
        return QWEN3GUARD
    if "UNSAFE CONTENT CATEGORIES" in template or "'safe' or 'unsafe'" in template:
        return LLAMA_GUARD
    if template:
        return None  # a chat template of some other kind: not a guard we know
    if model_type.startswith("llama"):
        return LLAMA_GUARD  # no template: the built-in Llama Guard 3 prompt
    return None


class GuardPrompt:
    """One checkpoint's prompt, ready to wrap texts; and its verdict tokens.

    `tokenizer` may be None (tests that replace the model's answer): the
    built-in prompt is used as text and nothing is tokenized.
    """

    def __init__(
        self,
        tokenizer: Any,
        flavour: str,
        *,
        name: str = "guard",
        controversial_is_unsafe: bool = True,
    ) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"flavour must be one of {', '.join(FLAVOURS)}")
        self.tokenizer = tokenizer
        self.flavour = flavour
        self.name = name
        self.controversial_is_unsafe = controversial_is_unsafe
        self.parts = self._render()
        self.code_names: dict[str, str] = {}
        if flavour == LLAMA_GUARD:
            listed = categories_in_prompt("".join(self.parts))
            self.code_names = listed or dict(LLAMA_GUARD_3_CATEGORIES)
        self._part_ids: list[tuple[list[int], str]] = []
        # First tokens of the verdict words -> whether each means unsafe.
        self.candidates: dict[int, bool] = {}
        if tokenizer is not None:
            self._part_ids = self._tokenize_parts()
            self.candidates = self._verdict_candidates()

    def _render(self) -> list[str]:
        """The prompt around the text: parts[0] + text + parts[1] (+ text + ...)."""
        template = getattr(self.tokenizer, "chat_template", None)
        if not template:
            if self.flavour != LLAMA_GUARD:
                raise FilterUnavailable(
                    f"The guard model {self.name} has no chat template; a {self.flavour} "
                    "checkpoint ships one."
                )
            vocab = self.tokenizer.get_vocab() if self.tokenizer is not None else {}
            bos = getattr(self.tokenizer, "bos_token", None) or ""
            builtin = llama_guard_prompt(
                _SLOT, llama3_headers="<|start_header_id|>" in vocab, bos=bos
            )
            return builtin.split(_SLOT)
        # Plain-string content first; Llama Guard 3 1B's template wants a list of parts.
        for content in (_SLOT, [{"type": "text", "text": _SLOT}]):
            try:
                rendered = self.tokenizer.apply_chat_template(
                    [{"role": "user", "content": content}], tokenize=False
                )
            except Exception:  # noqa: BLE001, S112 - try the other content shape
                continue
            if isinstance(rendered, str) and _SLOT in rendered:
                return rendered.split(_SLOT)
        raise FilterUnavailable(
            f"The chat template of the guard model {self.name} does not include the checked text."
        )

    def _tokenize_parts(self) -> list[tuple[list[int], str]]:
        """Each template part's ids, and the spaces it ends with before the text.

        Those spaces are tokenized with the text ("User: " + "a mug" becomes
        "User:" + " a mug"), as they would be if the prompt were one string.
        """
        out = []
        for index, part in enumerate(self.parts):
            before_text = index < len(self.parts) - 1
            head = part.rstrip(" ") if before_text else part
            ids = self.tokenizer(head, add_special_tokens=False)["input_ids"] if head else []
            out.append((list(ids), part[len(head) :]))
        return out

    def encode(self, text: str) -> list[int]:
        """Token ids of the whole prompt; the text's own special-token strings stay text."""
        ids: list[int] = []
        spaces = ""
        for index, (part_ids, trailing) in enumerate(self._part_ids):
            if index:
                ids += self.tokenizer(
                    spaces + text, add_special_tokens=False, split_special_tokens=True
                )["input_ids"]
            ids += part_ids
            spaces = trailing
        return ids

    def _verdict_candidates(self) -> dict[int, bool]:
        """Per verdict word: whole-word tokens ("safe", " Unsafe") where the
        vocabulary has them, else the longest opening piece ("Contro"), never a
        lone letter beside a whole word ("S" also opens "Sorry" and "S1"), and
        never a piece that opens two verdict words.
        """
        words = verdict_words(self.flavour, controversial_is_unsafe=self.controversial_is_unsafe)
        candidates: dict[int, bool] = {}
        for word, unsafe in words.items():
            pieces: dict[int, str] = {}
            for variant in {word, word.lower(), word.capitalize()}:
                for spaced in (variant, " " + variant):
                    ids = self.tokenizer.encode(spaced, add_special_tokens=False)
                    if ids:
                        pieces[ids[0]] = self.tokenizer.decode(ids[:1]).strip().lower()
            opening = {
                token: piece
                for token, piece in pieces.items()
                if piece and [w for w in words if w.lower().startswith(piece)] == [word]
            }
            if not opening:
                continue
            longest = max(len(piece) for piece in opening.values())
            for token, piece in opening.items():
                if piece == word.lower() or len(piece) == longest:
                    candidates[token] = unsafe
        return candidates
