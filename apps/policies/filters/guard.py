"""A guard model as a prompt filter: Llama Guard or Qwen3Guard, run locally.

A guard model is a small causal LM fine-tuned to answer "is this text safe,
and if not, which categories does it violate". It catches what term lists and
example phrases miss (intent, paraphrase, other languages), at the cost of a
forward pass over a few hundred tokens per checked field. See
docs/guard-model.md for installing weights, cost and the category map.

* Weights are loaded from a local directory only (`local_files_only=True`, no
  remote code); nothing is ever downloaded. A directory that is missing or
  does not load raises `FilterUnavailable` naming the path.
* `guard_prompt` builds the prompt: the checkpoint's own chat template (or
  the Llama Guard 3 format), with the checked text tokenized on its own so
  control tokens typed into a prompt stay text.
* Greedy decoding of a few tokens; the answer is parsed by `guard_format` and
  its categories mapped onto ours. The probability of "unsafe" at the verdict
  token is recorded as ``scores["guard.unsafe"]`` for threshold tuning and, if
  `unsafe_threshold` is set, decides instead of the greedy word.
* Fails closed. An answer that cannot be read is a hit in the category
  "guard_unparseable" (the prompt is refused as if flagged; the rest of the
  filter result survives for the record). Any error while loading or running
  raises `FilterUnavailable`. Messages never contain the checked text.
* One generation at a time per model (a lock); `get_guard` shares one loaded
  model per directory and options in the process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import FilterResult, FilterUnavailable, Hit
from .guard_format import LLAMA_GUARD, OTHER, UNPARSEABLE, Verdict, label_id, parse_output, slug_for
from .guard_prompt import VERDICT_PREFIX, GuardPrompt, detect_flavour

logger = logging.getLogger(__name__)

FILTER_NAME = "guard"
SCORE_KEY = "guard.unsafe"
DEFAULT_SKIP_FIELDS = frozenset({"negative_prompt"})


@dataclass(frozen=True)
class Generation:
    """What the model said, and how likely it found "unsafe" at the verdict token."""

    text: str
    unsafe_probability: float | None = None


@dataclass(frozen=True)
class Judgement:
    """One field's outcome: the parsed verdict and the hits it gives."""

    verdict: Verdict
    unsafe_probability: float | None
    hits: tuple[Hit, ...]


class GuardModel:
    """A loaded guard model; `check` has the prompt filter's shape.

    `model` and `tokenizer` are a transformers causal LM and its tokenizer
    (`from_directory` loads them). Options:

    * `unsafe_threshold`: None lets the greedy answer decide; a number makes
      "probability of unsafe >= threshold" decide wherever that probability
      could be computed (above 0.5 it lets through prompts the model's own
      answer calls unsafe; below, it refuses more).
    * `controversial_is_unsafe`: Qwen3Guard's third verdict refuses (strict).
    * `category_map`: overrides of the built-in map, by code ("S6") or name
      ("Specialized Advice") to a slug; "" means "never refuse on this one".
    * `skip_fields`: fields not sent to the model. The negative prompt lists
      what must not appear ("nude, gore"), which a guard reads as a request.
    * `max_input_tokens`: a longer text is not truncated (its tail would go
      unchecked) but refused with `FilterUnavailable`.
    * `threads`: torch CPU threads for this model's calls (None: torch's).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        flavour: str = LLAMA_GUARD,
        name: str = "guard",
        max_new_tokens: int = 24,
        max_input_tokens: int = 4096,
        unsafe_threshold: float | None = None,
        controversial_is_unsafe: bool = True,
        category_map: Mapping[str, str] | None = None,
        skip_fields: Iterable[str] = DEFAULT_SKIP_FIELDS,
        threads: int | None = None,
        device: str = "cpu",
        version: str = "",
    ) -> None:
        if unsafe_threshold is not None and not 0.0 < unsafe_threshold <= 1.0:
            raise ValueError("unsafe_threshold must be in (0, 1]")
        self.model = model
        self.tokenizer = tokenizer
        self.flavour = flavour
        self.name = name
        self.max_new_tokens = max_new_tokens
        self.max_input_tokens = max_input_tokens
        self.unsafe_threshold = unsafe_threshold
        self.controversial_is_unsafe = controversial_is_unsafe
        self.category_map = dict(category_map or {})
        self.skip_fields = frozenset(skip_fields)
        self.threads = threads
        self.device = device
        self.version = version  # `fingerprint` of the directory: record it with decisions
        self._lock = threading.Lock()
        self.prompt = GuardPrompt(
            tokenizer, flavour, name=name, controversial_is_unsafe=controversial_is_unsafe
        )

    # --- loading ---------------------------------------------------------------

    @classmethod
    def from_directory(
        cls,
        path: str | Path,
        *,
        device: str = "cpu",
        dtype: Any = None,
        flavour: str = "auto",
        **options: Any,
    ) -> GuardModel:
        """Load a checkpoint directory (never a hub name, never a download).

        `dtype` is a torch dtype or its name ("bfloat16"); None means float32
        on CPU and bfloat16 on an accelerator. `flavour` "auto" reads the
        output format from the chat template (or the architecture when there
        is none). Other options go to the constructor.
        """
        where = Path(path)
        if not where.is_dir():
            raise FilterUnavailable(f"The guard model directory {where} does not exist.")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(
                str(where), local_files_only=True, trust_remote_code=False
            )
            torch_dtype = _dtype(torch, dtype, device)
            model: Any = AutoModelForCausalLM.from_pretrained(
                str(where), local_files_only=True, trust_remote_code=False, dtype=torch_dtype
            )
            model = model.to(device)
            model.eval()
        except Exception as exc:  # noqa: BLE001 - every load failure must fail closed
            raise FilterUnavailable(
                f"The guard model at {where} could not load: {type(exc).__name__}: {str(exc)[:300]}"
            ) from exc
        if flavour == "auto":
            model_type = str(getattr(model.config, "model_type", ""))
            detected = detect_flavour(getattr(tokenizer, "chat_template", None), model_type)
            if detected is None:
                raise FilterUnavailable(
                    f"The model at {where} is not a guard model this filter can read "
                    "(no Llama Guard or Qwen3Guard prompt format); set its flavour explicitly."
                )
            flavour = detected
        try:
            guard = cls(
                model,
                tokenizer,
                flavour=flavour,
                name=where.name,
                device=device,
                version=fingerprint(where),
                **options,
            )
        except FilterUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001
            raise FilterUnavailable(
                f"The guard model at {where} cannot be used: {type(exc).__name__}: {exc}"
            ) from exc
        logger.info("guard model %s loaded (%s, %s)", where, flavour, device)
        return guard

    # --- running ---------------------------------------------------------------

    def generate(self, text: str) -> Generation:
        """Greedy-decode the model's answer for one text (the step tests replace)."""
        import torch

        ids = self.prompt.encode(text)
        if len(ids) > self.max_input_tokens:
            raise FilterUnavailable(
                f"The text is too long for the guard model ({len(ids)} tokens; "
                f"the limit is {self.max_input_tokens})."
            )
        input_ids = torch.tensor([ids], dtype=torch.long, device=self.device)
        tok = self.tokenizer
        eos = _eos_ids(self.model, tok)
        previous_threads = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                out = self.model.generate(
                    input_ids=input_ids,
                    attention_mask=torch.ones_like(input_ids),
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    temperature=None,
                    top_p=None,
                    top_k=None,
                    eos_token_id=eos or None,
                    pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else eos[0],
                    return_dict_in_generate=True,
                    output_logits=True,
                )
        finally:
            torch.set_num_threads(previous_threads)
        generated = out.sequences[0, len(ids) :].tolist()
        return Generation(
            text=tok.decode(generated, skip_special_tokens=True),
            unsafe_probability=self._unsafe_probability(generated, out.logits),
        )

    def _unsafe_probability(self, generated: list[int], logits: Any) -> float | None:
        """P(unsafe) at the verdict token, over the verdict words' first tokens only."""
        import torch

        candidates = self.prompt.candidates
        if not candidates or not logits:
            return None
        prefix = VERDICT_PREFIX[self.flavour]
        for step, token in enumerate(generated[: len(logits)]):
            if token not in candidates:
                continue
            before = self.tokenizer.decode(generated[:step], skip_special_tokens=True)
            if not prefix.fullmatch(before):
                continue
            ids = list(candidates)
            row = logits[step][0, ids].float()
            probabilities = torch.softmax(row, dim=0).tolist()
            unsafe = sum(p for t, p in zip(ids, probabilities, strict=True) if candidates[t])
            return float(unsafe) if math.isfinite(unsafe) else None
        return None

    def judge(self, text: str, field: str = "prompt") -> Judgement:
        """Ask the model about one text and turn its answer into hits."""
        with self._lock:
            generation = self.generate(text)
        verdict = parse_output(
            generation.text, self.flavour, controversial_is_unsafe=self.controversial_is_unsafe
        )
        p = generation.unsafe_probability
        if p is not None and not math.isfinite(p):
            raise FilterUnavailable(
                f"The guard model {self.name} returned a score that is not a number."
            )
        if verdict.status == "unparseable":
            # Refuse: the answer may be the model misreading a hostile prompt.
            # Only the output's size is logged, never the output (it may echo the text).
            logger.warning(
                "guard model %s gave an unreadable answer (%d chars)",
                self.name,
                len(generation.text),
            )
            rule = f"guard:{self.flavour}:unparseable"
            return Judgement(verdict, p, (Hit(FILTER_NAME, UNPARSEABLE, field, p, rule),))
        unsafe = verdict.unsafe
        by_threshold = self.unsafe_threshold is not None and p is not None
        if self.unsafe_threshold is not None and p is not None:
            unsafe = p >= self.unsafe_threshold
        if not unsafe:
            return Judgement(verdict, p, ())
        labels = verdict.labels if verdict.unsafe else ()
        hits: list[Hit] = []
        seen: set[str] = set()
        severity = "controversial:" if verdict.severity == "controversial" else ""
        for label in labels:
            slug = slug_for(label, self.prompt.code_names, self.category_map)
            if slug and slug not in seen:
                seen.add(slug)
                rule = f"guard:{self.flavour}:{severity}{label_id(label)}"
                hits.append(Hit(FILTER_NAME, slug, field, p, rule))
        if not labels:
            reason = "threshold" if by_threshold and not verdict.unsafe else "unspecified"
            hits.append(Hit(FILTER_NAME, OTHER, field, p, f"guard:{self.flavour}:{reason}"))
        return Judgement(verdict, p, tuple(hits))

    def check(self, fields: Mapping[str, str]) -> FilterResult:
        """Judge each non-empty field (but `skip_fields`); the prompt filter's shape."""
        started = time.perf_counter()
        result = FilterResult()
        for field, text in fields.items():
            if field in self.skip_fields or not text or not text.strip():
                continue
            try:
                judgement = self.judge(text, field)
            except FilterUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - any model error must refuse, never pass
                raise FilterUnavailable(
                    f"The guard model {self.name} failed ({type(exc).__name__})."
                ) from exc
            result.hits.extend(judgement.hits)
            p = judgement.unsafe_probability
            if p is not None:
                result.scores[SCORE_KEY] = max(p, result.scores.get(SCORE_KEY, p))
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    def warm(self) -> None:
        """One check, so the first request pays no lazy initialisation."""
        self.check({"prompt": "a product photo of a ceramic mug on a wooden table"})


def fingerprint(directory: Path, *, small: int = 2_000_000) -> str:
    """A short hash naming a checkpoint: every file's name and size, and the
    contents of its small files (config, generation config, template; the
    tokenizer too when small). Cheap enough for every load; it changes when
    weights are replaced by a different checkpoint, so decisions can say which
    model judged them. Not a signature of the weights' bytes.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(directory).as_posix()}\0{size}\0".encode())
        if size <= small and path.suffix in {".json", ".jinja", ".txt", ".model"}:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _dtype(torch: Any, dtype: Any, device: str) -> Any:
    if dtype is None:
        return torch.float32 if device == "cpu" else torch.bfloat16
    if isinstance(dtype, str):
        if dtype == "auto":
            return "auto"
        value = getattr(torch, dtype, None)
        if not isinstance(value, torch.dtype):
            raise ValueError(f"unknown dtype {dtype!r}")
        return value
    return dtype


def _eos_ids(model: Any, tokenizer: Any) -> list[int]:
    ids: list[int] = []
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    for value in (configured, tokenizer.eos_token_id):
        for token in value if isinstance(value, list | tuple) else [value]:
            if isinstance(token, int) and token not in ids:
                ids.append(token)
    return ids


# --- one per process ------------------------------------------------------------

_guards: dict[tuple[str, str], GuardModel] = {}
_errors: dict[tuple[str, str], tuple[float, str]] = {}
_guards_lock = threading.Lock()
_RETRY_AFTER_S = 60.0


def get_guard(path: str | Path, **options: Any) -> GuardModel:
    """The process's guard model for `path` and `options`, loaded on first use.

    A load failure raises `FilterUnavailable` and is remembered for a minute,
    so a broken install does not cost a load attempt on every request.
    """
    try:
        key = (str(Path(path).resolve()), json.dumps(options, sort_keys=True, default=str))
    except (TypeError, ValueError) as exc:
        raise FilterUnavailable(f"The guard model options are not valid: {exc}") from exc
    guard = _guards.get(key)
    if guard is not None:
        return guard
    with _guards_lock:
        guard = _guards.get(key)
        if guard is not None:
            return guard
        failed = _errors.get(key)
        if failed and time.monotonic() - failed[0] < _RETRY_AFTER_S:
            raise FilterUnavailable(failed[1])
        try:
            guard = GuardModel.from_directory(path, **options)
        except FilterUnavailable as exc:
            _errors[key] = (time.monotonic(), str(exc))
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. a bad option: still fail closed
            message = f"The guard model at {path} could not load: {type(exc).__name__}: {exc}"
            _errors[key] = (time.monotonic(), message)
            raise FilterUnavailable(message) from exc
        _errors.pop(key, None)
        _guards[key] = guard
        return guard


def reset_guards() -> None:
    """Forget loaded guard models and remembered failures (tests, replaced weights)."""
    with _guards_lock:
        _guards.clear()
        _errors.clear()
