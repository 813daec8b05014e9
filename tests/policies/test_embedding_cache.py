"""Example embeddings are kept on disk, so a new web or worker process is ready
in seconds; the cache is bound to the model and the exact phrases."""

from __future__ import annotations

import numpy as np

from apps.policies.filters import semantic


class CountingEmbedder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        rows = np.ones((len(texts), 4), dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_new_process_reads_the_examples_from_disk(monkeypatch, tmp_path):
    monkeypatch.setenv(semantic.CACHE_DIR_ENV, str(tmp_path))
    first = CountingEmbedder("model-a")
    vectors = semantic.example_vectors(first, ["a nude woman", "gore"])
    later = CountingEmbedder("model-a")  # another process: nothing in memory
    again = semantic.example_vectors(later, ["a nude woman", "gore"])
    assert (first.calls, later.calls) == (1, 0)
    assert np.array_equal(vectors, again)


def test_another_model_or_other_phrases_are_computed_afresh(monkeypatch, tmp_path):
    monkeypatch.setenv(semantic.CACHE_DIR_ENV, str(tmp_path))
    semantic.example_vectors(CountingEmbedder("model-a"), ["gore"])
    other_model = CountingEmbedder("model-b")
    semantic.example_vectors(other_model, ["gore"])
    other_phrases = CountingEmbedder("model-a")
    semantic.example_vectors(other_phrases, ["gore", "blood"])
    assert other_model.calls == other_phrases.calls == 1


def test_a_corrupt_cache_file_is_recomputed(monkeypatch, tmp_path):
    monkeypatch.setenv(semantic.CACHE_DIR_ENV, str(tmp_path))
    semantic.example_vectors(CountingEmbedder("model-a"), ["gore"])
    for path in tmp_path.iterdir():
        path.write_bytes(b"not an array")
    fresh = CountingEmbedder("model-a")
    assert semantic.example_vectors(fresh, ["gore"]).shape == (1, 4)
    assert fresh.calls == 1
