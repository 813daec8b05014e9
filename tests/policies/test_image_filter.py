"""The image filter: NudeNet run our way, the plug-in interface, failing closed.

No database: these tests exercise the filter on images made here. The real
NudeNet model runs (it ships in the wheel); the other classifiers are small
but real implementations of the interface, which is what a plug-in is.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from nudenet import NudeDetector
from nudenet.nudenet import _read_image
from PIL import Image, ImageDraw, ImageFilter

from apps.policies.filters.base import FilterUnavailable, Hit
from apps.policies.filters.image import (
    DEFAULT_IMAGE_CLASSIFIER,
    DEFAULT_IMAGE_THRESHOLDS,
    ImageClassifier,
    NudeNetClassifier,
    image_check,
    image_classifier_factory,
    load_classifier,
)

# Seeds whose cartoon face NudeNet detects (FACE_FEMALE, or BUTTOCKS_COVERED
# for the odd one out) at 0.45-0.55: enough for a parity check with boxes.
DETECTED_FACE_SEEDS = (127, 26, 51, 119, 33)


def cartoon_face(seed: int) -> Image.Image:
    """A flat drawing of a head and shoulders; NudeNet finds faces in some."""
    rng = np.random.default_rng(seed)

    def colour(low: int, high: int) -> tuple[int, int, int]:
        red, green, blue = (int(v) for v in rng.integers(low, high, 3))
        return red, green, blue

    size = 480
    image = Image.new("RGB", (size, size), colour(0, 255))
    draw = ImageDraw.Draw(image)
    skin = (int(rng.integers(180, 245)), int(rng.integers(130, 200)), int(rng.integers(100, 170)))
    cx = size // 2 + int(rng.integers(-40, 40))
    cy = size // 2 + int(rng.integers(-20, 40))
    fw, fh = int(rng.integers(90, 150)), int(rng.integers(120, 190))
    draw.rectangle((cx - fw // 3, cy + fh - 20, cx + fw // 3, size), fill=skin)
    draw.ellipse((cx - fw * 2, cy + fh + 40, cx + fw * 2, size + 200), fill=colour(0, 255))
    hair = colour(0, 90)
    draw.ellipse((cx - fw - 15, cy - fh - 30, cx + fw + 15, cy + fh // 3), fill=hair)
    if rng.random() < 0.5:
        draw.rectangle((cx - fw - 15, cy - fh // 2, cx - fw + 25, cy + fh + 60), fill=hair)
        draw.rectangle((cx + fw - 25, cy - fh // 2, cx + fw + 15, cy + fh + 60), fill=hair)
    draw.ellipse((cx - fw, cy - fh, cx + fw, cy + fh), fill=skin)
    eye_y, eye_x = cy - fh // 5, fw // 2
    for side in (-1, 1):
        x = cx + side * eye_x
        draw.ellipse((x - 18, eye_y - 9, x + 18, eye_y + 9), fill=(250, 250, 250))
        draw.ellipse((x - 8, eye_y - 8, x + 8, eye_y + 8), fill=(60, 40, 30))
        draw.line((x - 20, eye_y - 22, x + 20, eye_y - 26), fill=hair, width=5)
    shade = (max(0, skin[0] - 40), max(0, skin[1] - 40), max(0, skin[2] - 40))
    draw.line((cx, eye_y + 5, cx - 8, cy + fh // 4), fill=shade, width=3)
    draw.line((cx - 8, cy + fh // 4, cx + 8, cy + fh // 4), fill=shade, width=3)
    mouth_y = cy + fh // 2
    draw.chord((cx - fw // 3, mouth_y - 15, cx + fw // 3, mouth_y + 20), 0, 180, fill=(170, 60, 70))
    return image.filter(ImageFilter.GaussianBlur(int(rng.integers(0, 3))))


def product_shot(width: int = 1024, height: int = 1024) -> Image.Image:
    """A bottle on a gradient backdrop with a label: a typical marketing output."""
    ramp = np.linspace(235, 150, height, dtype=np.float32)[:, None, None]
    tint = np.array([1.0, 0.95, 0.88], dtype=np.float32)
    backdrop = np.broadcast_to(ramp * tint, (height, width, 3)).astype(np.uint8)
    image = Image.fromarray(backdrop)
    draw = ImageDraw.Draw(image)
    cx, base = width // 2, int(height * 0.85)
    draw.ellipse((cx - 260, base - 30, cx + 260, base + 40), fill=(120, 110, 100))
    draw.rounded_rectangle(
        (cx - 130, int(height * 0.3), cx + 130, base), radius=40, fill=(30, 90, 60)
    )
    draw.rectangle((cx - 45, int(height * 0.15), cx + 45, int(height * 0.3)), fill=(30, 90, 60))
    draw.rectangle((cx - 55, int(height * 0.1), cx + 55, int(height * 0.16)), fill=(200, 170, 60))
    draw.rectangle(
        (cx - 110, int(height * 0.45), cx + 110, int(height * 0.65)), fill=(245, 240, 225)
    )
    draw.text((cx - 60, int(height * 0.53)), "SPRING 2025", fill=(30, 30, 30))
    return image


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


BENIGN = {
    "white": lambda: Image.new("RGB", (512, 512), (255, 255, 255)),
    "black": lambda: Image.new("RGB", (512, 512), (0, 0, 0)),
    "skin-tone": lambda: Image.new("RGB", (512, 512), (224, 172, 140)),
    "noise": lambda: noise(512, 512),
    "product 1024x1024": product_shot,
    "product 1216x832": lambda: product_shot(1216, 832),
    "noise 640x1536": lambda: noise(640, 1536, seed=3),
    "cartoon face": lambda: cartoon_face(DETECTED_FACE_SEEDS[0]),
}


@pytest.fixture(scope="module")
def nudenet() -> ImageClassifier:
    return load_classifier(DEFAULT_IMAGE_CLASSIFIER)


@pytest.fixture(scope="module")
def nudenet_reference() -> NudeDetector:
    return NudeDetector()


# NudeNet itself -------------------------------------------------------------


def test_nudenet_identifies_itself_exactly(nudenet):
    assert isinstance(nudenet, NudeNetClassifier)
    assert nudenet.name == "nudenet"
    assert nudenet.version.startswith("3.4.2; 320n.onnx sha256:")
    assert "input 320px" in nudenet.version
    assert len(nudenet.labels) == 18
    assert set(DEFAULT_IMAGE_THRESHOLDS) <= set(nudenet.labels)


@pytest.mark.parametrize("name", list(BENIGN))
def test_benign_images_are_scored_and_pass(nudenet, name):
    result = image_check(nudenet, BENIGN[name](), DEFAULT_IMAGE_THRESHOLDS)

    assert result.hits == []
    assert not result.blocked
    assert set(result.scores) == set(nudenet.labels)
    assert all(0.0 <= score <= 1.0 for score in result.scores.values())
    assert result.elapsed_ms > 0


def test_input_size_is_part_of_the_version():
    larger = NudeNetClassifier(input_size=640, threads=1)
    assert "input 640px" in larger.version
    assert larger.preprocess(product_shot()).shape == (1, 3, 640, 640)
    assert image_check(larger, product_shot(), DEFAULT_IMAGE_THRESHOLDS).hits == []
    with pytest.raises(ValueError, match="multiple of 32"):
        NudeNetClassifier(input_size=300)


# Parity with NudeNet's own detector -----------------------------------------


def _as_saved_png(image: Image.Image, tmp_path: Path) -> str:
    path = tmp_path / "image.png"
    image.save(path)
    return str(path)


@pytest.mark.parametrize(
    "image",
    [
        product_shot(),
        product_shot(1216, 832),
        noise(333, 517, seed=7),
        cartoon_face(DETECTED_FACE_SEEDS[1]),
        cartoon_face(5).convert("RGBA"),
        cartoon_face(6).convert("L"),
        cartoon_face(7).convert("P"),
        Image.new("RGB", (320, 320), (10, 200, 30)),
    ],
    ids=["square", "wide", "tall-odd", "face", "rgba", "grey", "palette", "model-sized"],
)
def test_preprocessing_matches_nudenet_bit_for_bit(nudenet, image, tmp_path):
    theirs = _read_image(_as_saved_png(image, tmp_path), 320)[0]
    ours = nudenet.preprocess(image)

    assert ours.dtype == theirs.dtype == np.float32
    assert ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("seed", DETECTED_FACE_SEEDS)
def test_scores_match_nudenet_detections(nudenet, nudenet_reference, seed, tmp_path):
    image = cartoon_face(seed)
    detections = nudenet_reference.detect(_as_saved_png(image, tmp_path))
    assert detections, "the drawing no longer fires any label: pick other seeds"
    theirs: dict[str, float] = {}
    for detection in detections:
        label = detection["class"]
        theirs[label] = max(theirs.get(label, 0.0), detection["score"])

    ours = nudenet.classify(image)

    top = max(theirs, key=lambda label: theirs[label])
    assert math.isclose(ours[top], theirs[top], abs_tol=1e-5)
    for label, score in theirs.items():
        # Never below what NudeNet reports (it keeps one label per box and
        # suppresses overlapping boxes; we keep every label's best anchor).
        assert ours[label] >= score - 1e-5


def test_cartoon_faces_do_not_come_near_blocking(nudenet):
    worst = max(
        nudenet.classify(cartoon_face(seed))[label]
        for seed in range(16)
        for label in DEFAULT_IMAGE_THRESHOLDS
    )
    assert worst < min(DEFAULT_IMAGE_THRESHOLDS.values()) - 0.1


# The plug-in interface --------------------------------------------------------


class BrightnessClassifier:
    """Scores how bright or dark an image is: real, tiny, deterministic."""

    name = "brightness"
    version = "1"
    labels = ("bright", "dark")

    def __init__(self, gamma: float = 1.0) -> None:
        self.gamma = gamma

    def classify(self, image: Image.Image) -> dict[str, float]:
        mean = float(np.asarray(image.convert("L"), dtype=np.float32).mean()) / 255.0
        bright = mean**self.gamma
        return {"bright": bright, "dark": 1.0 - bright}


class FailingClassifier(BrightnessClassifier):
    name = "flaky-vendor"

    def classify(self, image: Image.Image) -> dict[str, float]:
        raise RuntimeError("vendor said: image shows a red sports car at sunset")


class NaNClassifier(BrightnessClassifier):
    name = "nan-vendor"

    def classify(self, image: Image.Image) -> dict[str, float]:
        return {"bright": float("nan")}


def grey(level: int) -> Image.Image:
    return Image.new("RGB", (64, 64), (level, level, level))


def test_the_test_classifier_is_an_image_classifier():
    assert isinstance(BrightnessClassifier(), ImageClassifier)


def test_label_at_or_above_its_threshold_blocks():
    result = image_check(BrightnessClassifier(), grey(255), {"bright": 0.9})

    assert result.blocked
    assert result.hits == [
        Hit(
            filter="image",
            category="bright",
            field="image",
            score=1.0,
            rule="image:brightness:bright",
        )
    ]
    assert result.categories() == ["bright"]
    assert result.scores == {"bright": 1.0, "dark": 0.0}


def test_threshold_is_inclusive():
    score = BrightnessClassifier().classify(grey(51))["bright"]
    assert image_check(BrightnessClassifier(), grey(51), {"bright": score}).blocked


def test_below_threshold_passes_but_score_is_kept():
    result = image_check(BrightnessClassifier(), grey(128), {"bright": 0.9, "dark": 0.9})

    assert result.hits == []
    assert result.scores["bright"] == pytest.approx(128 / 255)
    assert result.scores["dark"] == pytest.approx(1 - 128 / 255)


def test_labels_without_threshold_never_block():
    result = image_check(BrightnessClassifier(), grey(0), {"bright": 0.5})

    assert result.scores["dark"] == 1.0
    assert result.hits == []


def test_hits_are_ordered_by_score():
    result = image_check(BrightnessClassifier(), grey(153), {"bright": 0.1, "dark": 0.1})
    assert [hit.category for hit in result.hits] == ["bright", "dark"]


def test_thresholds_for_labels_the_classifier_lacks_fail_closed():
    # e.g. NudeNet's thresholds left in place after switching classifier.
    with pytest.raises(
        FilterUnavailable, match="'brightness' does not score .*FEMALE_BREAST_EXPOSED"
    ):
        image_check(BrightnessClassifier(), grey(0), DEFAULT_IMAGE_THRESHOLDS)


@pytest.mark.parametrize("threshold", [0.0, -1.0, float("nan")])
def test_nonsense_thresholds_fail_closed(threshold):
    with pytest.raises(FilterUnavailable, match="invalid thresholds for bright"):
        image_check(BrightnessClassifier(), grey(0), {"bright": threshold})


def test_classifier_error_fails_closed_naming_the_classifier_only():
    with pytest.raises(FilterUnavailable) as caught:
        image_check(FailingClassifier(), grey(0), {"bright": 0.5})

    message = str(caught.value)
    assert "'flaky-vendor'" in message
    assert "RuntimeError" in message
    assert "sports car" not in message
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_a_score_that_is_not_a_number_fails_closed():
    with pytest.raises(
        FilterUnavailable, match="'nan-vendor' returned a score that is not a number"
    ):
        image_check(NaNClassifier(), grey(0), {"bright": 0.5})


# load_classifier ---------------------------------------------------------------

factory_calls: list[dict] = []


@image_classifier_factory
def make_brightness(**options) -> BrightnessClassifier:
    factory_calls.append(options)
    return BrightnessClassifier(**options)


def unmarked_function(**options) -> BrightnessClassifier:
    factory_calls.append(options)
    return BrightnessClassifier(**options)


@pytest.mark.parametrize(
    "spec",
    [
        "no_such_package.classifiers.Thing",
        "apps.policies.filters.image:NoSuchClassifier",
        "NudeNetClassifier",
        "",
    ],
)
def test_bad_path_is_unavailable(spec):
    with pytest.raises(FilterUnavailable, match=f"^The image filter '{spec}' could not load: "):
        load_classifier(spec)


def test_bad_options_are_unavailable():
    with pytest.raises(FilterUnavailable, match="could not load: TypeError"):
        load_classifier(f"{__name__}.BrightnessClassifier", {"no_such_option": 1})


def test_load_errors_are_unavailable():
    with pytest.raises(FilterUnavailable, match="could not load: .*multiple of 32"):
        load_classifier(DEFAULT_IMAGE_CLASSIFIER, {"input_size": 100})
    with pytest.raises(FilterUnavailable, match="could not load: "):
        load_classifier(DEFAULT_IMAGE_CLASSIFIER, {"model_path": "/nonexistent/model.onnx"})


def test_only_classes_and_marked_factories_are_called():
    factory_calls.clear()
    with pytest.raises(FilterUnavailable, match="neither a classifier class nor a marked factory"):
        load_classifier(f"{__name__}.unmarked_function", {"gamma": 2.0})
    with pytest.raises(FilterUnavailable, match="could not load"):
        load_classifier("os.system", {"command": "true"})
    with pytest.raises(FilterUnavailable, match="has no classify method"):
        load_classifier("collections:OrderedDict")
    assert factory_calls == []

    built = load_classifier(f"{__name__}:make_brightness", {"gamma": 2.0})
    assert isinstance(built, BrightnessClassifier)
    assert factory_calls == [{"gamma": 2.0}]


def test_instances_are_cached_per_spec_and_options(nudenet):
    spec = f"{__name__}.BrightnessClassifier"
    first = load_classifier(spec, {"gamma": 1.5})

    assert load_classifier(spec, {"gamma": 1.5}) is first
    assert load_classifier(f"{__name__}:BrightnessClassifier", {"gamma": 1.5}) is not first
    assert load_classifier(spec, {"gamma": 2.5}) is not first
    assert load_classifier(spec) is load_classifier(spec, {})
    assert load_classifier(DEFAULT_IMAGE_CLASSIFIER) is nudenet


def test_non_json_options_are_unavailable():
    with pytest.raises(FilterUnavailable, match="options are not JSON"):
        load_classifier(f"{__name__}.BrightnessClassifier", {"gamma": object()})


# A local Hugging Face model through the same interface -------------------------


@pytest.fixture(scope="module")
def tiny_vit_dir(tmp_path_factory) -> Path:
    """A 2-label ViT with random weights, saved as an enterprise's model would be."""
    torch = pytest.importorskip("torch")
    from transformers import ViTConfig, ViTForImageClassification
    from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil

    torch.manual_seed(0)
    config = ViTConfig(
        image_size=32,
        patch_size=16,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        id2label={0: "normal", 1: "nsfw"},
        label2id={"normal": 0, "nsfw": 1},
    )
    directory = tmp_path_factory.mktemp("models") / "our-nsfw-vit"
    ViTForImageClassification(config).save_pretrained(directory)
    ViTImageProcessorPil(size={"height": 32, "width": 32}).save_pretrained(directory)
    return directory


def test_local_transformers_model_plugs_in(tiny_vit_dir):
    classifier = load_classifier(
        "apps.policies.filters.image.TransformersImageClassifier", {"path": str(tiny_vit_dir)}
    )

    assert classifier.name == "our-nsfw-vit"
    assert classifier.labels == ("normal", "nsfw")
    assert "weights sha256:" in classifier.version
    scores = classifier.classify(product_shot(300, 200))
    assert set(scores) == {"normal", "nsfw"}
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-5)
    assert classifier.classify(product_shot(300, 200)) == scores

    nsfw = scores["nsfw"]
    assert image_check(classifier, product_shot(300, 200), {"nsfw": nsfw}).categories() == ["nsfw"]
    assert not image_check(classifier, product_shot(300, 200), {"nsfw": nsfw + 1e-3}).blocked


def test_missing_local_model_is_unavailable(tmp_path):
    with pytest.raises(FilterUnavailable, match="could not load: FileNotFoundError"):
        load_classifier(
            "apps.policies.filters.image.TransformersImageClassifier",
            {"path": str(tmp_path / "absent")},
        )
