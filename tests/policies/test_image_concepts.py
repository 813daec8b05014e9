"""The CLIP concept classifier, run end to end on a tiny random-weight CLIP.

No real CLIP weights exist here and none may be downloaded, so this proves
the plumbing (loading from a local directory, the scoring maths, views,
labels, thresholds, failing closed), not that GORE means gore: with random
weights the scores are arbitrary, only their shape, range and stability are.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from apps.policies.filters.base import FilterUnavailable
from apps.policies.filters.image import (
    DEFAULT_IMAGE_THRESHOLDS,
    NUDENET_LABELS,
    ImageClassifier,
    clear_classifier_cache,
    image_check,
    load_classifier,
)
from apps.policies.filters.image_concepts import (
    DEFAULT_CONCEPTS,
    DEFAULT_NEUTRAL,
    ClipConceptClassifier,
    CombinedClassifier,
    square_views,
)
from apps.policies.models import ImageLabelThreshold

torch = pytest.importorskip("torch")

SPEC = "apps.policies.filters.image_concepts.ClipConceptClassifier"
COMBINED = "apps.policies.filters.image_concepts.nudenet_with_concepts"


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory) -> Path:
    """A CLIP checkpoint as `save_pretrained` writes one, with tiny random weights.

    The tokenizer is CLIP's own byte-level BPE with a vocabulary of single
    bytes (with and without CLIP's end-of-word mark) and no merges: real
    tokenization code, character-level tokens.
    """
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizer
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    alphabet = sorted(ByteLevel.alphabet())
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for suffix in ("", "</w>"):
        for char in alphabet:
            vocab[char + suffix] = len(vocab)
    config = CLIPConfig(
        text_config={
            "vocab_size": len(vocab),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "max_position_embeddings": 80,
            "bos_token_id": 0,
            "eos_token_id": 1,
            "pad_token_id": 1,
        },
        vision_config={
            "image_size": 32,
            "patch_size": 16,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
        },
        projection_dim=16,
    )
    torch.manual_seed(0)
    directory = tmp_path_factory.mktemp("models") / "tiny-clip"
    CLIPModel(config).save_pretrained(directory)
    CLIPTokenizer(vocab=vocab, merges=[]).save_pretrained(directory)
    CLIPImageProcessorPil(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module", autouse=True)
def _forget_classifiers():
    # Loads are cached per (spec, options), so tests with the same options
    # share one, as the workers do; the temporary directories end with the module.
    yield
    clear_classifier_cache()


def poster(width: int, height: int, seed: int = 0) -> Image.Image:
    """A flat drawing with some shapes: varied pixels, no meaning."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (width, height), (230, 225, 215))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(10, max(11, min(width, height) // 3)))
        fill = tuple(int(v) for v in rng.integers(0, 255, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)
    return image


def test_loads_from_the_admin_spec_and_scores_every_label(clip_dir):
    classifier = load_classifier(SPEC, {"path": str(clip_dir)})

    assert isinstance(classifier, ClipConceptClassifier)
    assert isinstance(classifier, ImageClassifier)
    assert classifier.name == "tiny-clip"
    assert classifier.labels == tuple(DEFAULT_CONCEPTS)
    assert {"GORE", "CORPSE", "WEAPON_VIOLENCE", "HATE_SYMBOL", "SELF_HARM"} <= set(
        classifier.labels
    )
    assert "files sha256:" in classifier.version
    assert "concepts sha256:" in classifier.version

    for image in (poster(300, 300), poster(640, 360, seed=1), poster(200, 500, seed=2)):
        scores = classifier.classify(image)
        assert tuple(scores) == classifier.labels
        assert all(math.isfinite(s) and 0.0 <= s <= 1.0 for s in scores.values())
        assert classifier.classify(image) == scores  # deterministic
    # Loaded once per process for the same options.
    assert load_classifier(SPEC, {"path": str(clip_dir)}) is classifier


def test_a_second_load_scores_identically(clip_dir):
    image = poster(400, 300, seed=3)
    first = load_classifier(SPEC, {"path": str(clip_dir)})
    second = ClipConceptClassifier(str(clip_dir))
    assert second is not first
    assert first.classify(image) == second.classify(image)
    assert first.version == second.version


def test_scores_are_clip_zero_shot_probabilities_against_the_neutral_prompts(clip_dir):
    """Checked against CLIPModel's own logits_per_image, not our embedding path."""
    from transformers import CLIPModel, CLIPProcessor

    concepts = {"GORE": ["blood", "a wound"], "HATE_SYMBOL": ["a swastika"]}
    neutral = ["a cup", "a tree", "a street"]
    classifier = ClipConceptClassifier(str(clip_dir), concepts=concepts, neutral=neutral)
    image = poster(64, 64, seed=4)  # square: a single view, as CLIPModel sees it

    model = CLIPModel.from_pretrained(clip_dir, local_files_only=True).eval()
    processor = CLIPProcessor.from_pretrained(clip_dir, local_files_only=True)
    prompts = [*concepts["GORE"], *concepts["HATE_SYMBOL"], *neutral]
    inputs = processor(text=prompts, images=image, return_tensors="pt", padding=True)
    with torch.inference_mode():
        logits = model(**inputs).logits_per_image[0]

    def expected(indices: list[int]) -> float:
        mass = logits[[*indices, 3, 4, 5]].softmax(-1)
        return float(mass[: len(indices)].sum())

    scores = classifier.classify(image)
    assert scores["GORE"] == pytest.approx(expected([0, 1]), abs=1e-5)
    assert scores["HATE_SYMBOL"] == pytest.approx(expected([2]), abs=1e-5)


def test_concepts_and_neutral_prompts_come_from_the_options(clip_dir):
    options = {
        "path": str(clip_dir),
        "concepts": {"PYROTECHNICS": ["fireworks in a crowd"], "SPIDER": ["a spider"]},
        "neutral": ["a cat"],
        "name": "clip-custom",
    }
    classifier = load_classifier(SPEC, options)
    default = load_classifier(SPEC, {"path": str(clip_dir)})

    assert classifier.name == "clip-custom"
    assert classifier.labels == ("PYROTECHNICS", "SPIDER")
    assert set(classifier.classify(poster(128, 128))) == {"PYROTECHNICS", "SPIDER"}
    # Other prompts are other scores, so the recorded version changes too.
    assert classifier.version != default.version


def test_labels_work_as_image_thresholds(clip_dir):
    classifier = load_classifier(SPEC, {"path": str(clip_dir)})
    image = poster(320, 240, seed=5)
    scores = classifier.classify(image)
    max_length = ImageLabelThreshold._meta.get_field("label").max_length
    assert all(len(label) <= max_length for label in classifier.labels)

    gore = scores["GORE"]
    result = image_check(classifier, image, {"GORE": gore, "HATE_SYMBOL": 1.0})
    assert result.categories() == ["GORE"]
    assert result.hits[0].rule == "image:tiny-clip:GORE"
    assert set(result.scores) == set(classifier.labels)  # all recorded for tuning
    assert not image_check(classifier, image, {"GORE": gore + 1e-3}).blocked

    # Swapping NudeNet for this classifier leaves NudeNet's thresholds naming
    # labels it does not score: the gate refuses rather than judge nothing.
    with pytest.raises(FilterUnavailable, match="does not score"):
        image_check(classifier, image, DEFAULT_IMAGE_THRESHOLDS)


def test_nudenet_with_concepts_keeps_the_nudity_labels(clip_dir):
    classifier = load_classifier(COMBINED, {"path": str(clip_dir)})

    assert isinstance(classifier, CombinedClassifier)
    assert classifier.name == "nudenet+tiny-clip"
    assert classifier.labels == (*NUDENET_LABELS, *DEFAULT_CONCEPTS)
    assert "nudenet" in classifier.version and "concepts sha256:" in classifier.version
    image = poster(320, 240, seed=6)
    result = image_check(classifier, image, {**DEFAULT_IMAGE_THRESHOLDS, "HATE_SYMBOL": 1.0})
    assert set(result.scores) == set(classifier.labels)
    assert not result.blocked


class NudityStub:
    """Stands in for NudeNet (which the test above runs for real)."""

    name = "nudenet"
    version = "test"
    labels = NUDENET_LABELS

    def classify(self, image: Image.Image) -> dict[str, float]:
        return dict.fromkeys(NUDENET_LABELS, 0.0)


def test_combined_labels_must_not_overlap(clip_dir):
    # A concept named like a NudeNet label: a threshold could not say which it is for.
    clip = ClipConceptClassifier(str(clip_dir), concepts={"FACE_FEMALE": ["a woman"]})
    with pytest.raises(ValueError, match="tiny-clip repeats the labels FACE_FEMALE"):
        CombinedClassifier([NudityStub(), clip])


def test_concurrent_calls_agree(clip_dir):
    classifier = load_classifier(SPEC, {"path": str(clip_dir)})
    images = [poster(200 + 40 * i, 200, seed=i) for i in range(4)]
    expected = [classifier.classify(image) for image in images]
    results: dict[int, list[dict[str, float]]] = {}

    def work(worker: int) -> None:
        results[worker] = [classifier.classify(image) for image in images]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[n] == expected for n in range(4))


def test_missing_directory_is_unavailable_and_named(tmp_path):
    absent = tmp_path / "absent"
    with pytest.raises(FilterUnavailable, match=f"could not load from {absent}"):
        ClipConceptClassifier(str(absent))
    with pytest.raises(FilterUnavailable, match=str(absent)):
        load_classifier(SPEC, {"path": str(absent)})


def test_a_directory_without_clip_files_is_unavailable(tmp_path, clip_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FilterUnavailable, match=f"could not load from {empty}"):
        ClipConceptClassifier(str(empty))
    # Weights missing, everything else present.
    partial = tmp_path / "partial"
    partial.mkdir()
    for file in clip_dir.iterdir():
        if not file.name.endswith(".safetensors"):
            (partial / file.name).write_bytes(file.read_bytes())
    with pytest.raises(FilterUnavailable, match=f"could not load from {partial}"):
        ClipConceptClassifier(str(partial))


@pytest.mark.parametrize(
    ("concepts", "neutral", "message"),
    [
        ({}, None, "concepts must map labels"),
        ({"has space": ["x"]}, None, "not a plain identifier"),
        ({"GORE": []}, None, "non-empty list"),
        ({"GORE": "blood"}, None, "must be a list of prompts"),
        ({"GORE": ["blood", ""]}, None, "non-empty list"),
        ({"GORE": ["blood"]}, [], "non-empty list"),
        ({"GORE": ["blood " * 40]}, None, "exceed CLIP's 80 tokens"),
    ],
)
def test_bad_concepts_are_unavailable(clip_dir, concepts, neutral, message):
    with pytest.raises(FilterUnavailable, match=message):
        ClipConceptClassifier(str(clip_dir), concepts=concepts, neutral=neutral)


def test_default_prompts_are_sane():
    assert all(prompts for prompts in DEFAULT_CONCEPTS.values())
    assert DEFAULT_NEUTRAL
    every = [p for prompts in DEFAULT_CONCEPTS.values() for p in prompts]
    assert len(set(every) | set(DEFAULT_NEUTRAL)) == len(every) + len(DEFAULT_NEUTRAL)


def test_square_views_show_every_pixel():
    square = poster(256, 256)
    assert square_views(square) == [square]

    wide = poster(1344, 768)
    padded, *tiles = square_views(wide)
    assert padded.size == (1344, 1344)
    assert np.array_equal(np.asarray(padded)[:768], np.asarray(wide))
    assert [tile.size for tile in tiles] == [(768, 768), (768, 768)]
    assert np.array_equal(np.asarray(tiles[0]), np.asarray(wide)[:, :768])
    assert np.array_equal(np.asarray(tiles[-1]), np.asarray(wide)[:, -768:])

    tall = poster(300, 700)
    padded, *tiles = square_views(tall)
    assert padded.size == (700, 700) and len(tiles) == 3
    assert np.array_equal(np.asarray(tiles[-1]), np.asarray(tall)[-300:])

    nearly_square = poster(1152, 1024)
    assert [view.size for view in square_views(nearly_square)] == [(1152, 1152)]

    strip = poster(2000, 100)
    assert [view.size for view in square_views(strip)] == [(2000, 2000)]

    rgba = Image.new("RGBA", (64, 32))
    assert all(view.mode == "RGB" for view in square_views(rgba))
