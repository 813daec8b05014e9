"""The image filter: a small classifier interface, NudeNet behind it, and the check.

Every output is classified before it becomes an Asset. The classifier is
pluggable (`load_classifier` takes a dotted path from FilterSettings) because
enterprises differ in what they must run: the bundled NudeNet detector, a
model their trust-and-safety team fine-tuned, or a vendor API. Whatever runs,
the decision records its name and exact version, and the check fails closed.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import json
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from functools import reduce
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np
from PIL import Image

from .base import FilterResult, FilterUnavailable, Hit

DEFAULT_IMAGE_CLASSIFIER = "apps.policies.filters.image.NudeNetClassifier"

# NudeNet labels that block at or above these scores. Anything absent never
# blocks but is still scored and recorded, so compliance can tune from data.
DEFAULT_IMAGE_THRESHOLDS: dict[str, float] = {
    # Never acceptable in marketing imagery, and a false positive only costs a
    # regeneration, so these block at the lowest confidence that stays clear
    # of the detector's noise on ordinary pictures (at most ~0.22 on the
    # benign drawings in the tests). Not yet calibrated on real outputs: the
    # recorded scores are there to do that.
    "FEMALE_GENITALIA_EXPOSED": 0.45,
    "MALE_GENITALIA_EXPOSED": 0.45,
    "ANUS_EXPOSED": 0.45,
    # Swimwear and lingerie campaigns are legitimate and produce borderline
    # detections on fabric and skin tones; a little more confidence is asked.
    "FEMALE_BREAST_EXPOSED": 0.5,
    "BUTTOCKS_EXPOSED": 0.55,
    # Deliberately absent: the *_COVERED labels, FACE_*, FEET_*, BELLY_*,
    # ARMPITS_* and MALE_BREAST_EXPOSED describe everyday fashion, fitness,
    # footwear and beach pictures; blocking on them would stop normal work.
}

# NudeNet's label order, used only when the model file carries no names.
NUDENET_LABELS: tuple[str, ...] = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)


@runtime_checkable
class ImageClassifier(Protocol):
    """What the image filter needs from a classifier, and nothing more.

    `name` goes into rule identifiers, so keep it short and safe; `version`
    must change whenever scores could (weights, preprocessing, input size),
    because decisions record it to say exactly which detector judged an image.
    """

    # Read-only properties, so a plug-in may declare plain class attributes
    # (``labels = ("normal", "nsfw")``) and still type-check against this.
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def labels(self) -> tuple[str, ...]: ...

    def classify(self, image: Image.Image) -> dict[str, float]:
        """Best confidence per label; labels not seen may be absent or 0."""
        ...


C = TypeVar("C", bound=Callable[..., Any])


def image_classifier_factory(func: C) -> C:
    """Mark a function that `load_classifier` may call to build a classifier.

    Classes are recognised by their `classify` method; a bare function is not,
    and without this mark a spec typed into the admin could call any function
    in the process (``os.system`` takes its argument by keyword, for one).
    """
    func.image_classifier_factory = True  # type: ignore[attr-defined]
    return func


def _sha256_prefix(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:12]


def _default_threads() -> int:
    # The CPUs this process may run on (its affinity, not the host's count),
    # set explicitly so the worker's CPU use is known rather than left to ONNX
    # Runtime's guess. On the 2-CPU dev box 2 threads take ~14 ms an image and
    # 1 thread ~24 ms; beyond 4 a 320px detector gains little and starves the
    # rest of the worker.
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(4, available))


class NudeNetClassifier:
    """NudeNet's packaged YOLOv8 detector, run directly with ONNX Runtime.

    NudeNet's own `NudeDetector.detect` wants a path or encoded bytes; a
    generated image is a PIL image in memory, and a PNG round-trip per output
    (45-130 ms at 1024x1024 on the dev box) would cost several times the
    model (~13 ms). So this class reproduces NudeNet's
    preprocessing from the pixels (bit-for-bit, see the tests) and keeps the
    best score per label instead of boxes, which is all the gate needs.
    """

    name = "nudenet"

    def __init__(
        self,
        model_path: str | None = None,
        input_size: int = 320,
        threads: int | None = None,
        allow_spinning: bool = True,
    ) -> None:
        import onnxruntime

        if input_size <= 0 or input_size % 32:
            # The detector's grid has a stride of 32; other sizes do not fit it.
            raise ValueError(f"input_size must be a positive multiple of 32, not {input_size}")
        nudenet_version = metadata.version("nudenet")
        if model_path is None:
            spec = importlib.util.find_spec("nudenet")
            if spec is None or spec.origin is None:
                raise ImportError("nudenet is not installed")
            path = Path(spec.origin).parent / "320n.onnx"
        else:
            path = Path(model_path)

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads if threads else _default_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Spinning threads save ~1 ms an image here but burn CPU while they
        # wait; with other ONNX sessions in the process or a busy worker, the
        # spinning pools compete for the same cores, so it can be turned off.
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if allow_spinning else "0"
        )
        self._session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self._input_name = self._session.get_inputs()[0].name
        self.input_size = input_size
        self.threads = options.intra_op_num_threads
        self.labels = self._read_labels()
        # Records show it after the name: "nudenet 3.4.2; 320n.onnx sha256:...".
        self.version = (
            f"{nudenet_version}; {path.name} sha256:{_sha256_prefix([path])}; input {input_size}px"
        )
        # One run now: a broken or mismatched model fails at load time (where
        # load_classifier reports it) and the first real image is not slow.
        blank = np.zeros((1, 3, input_size, input_size), dtype=np.float32)
        self._scores(blank)

    def _read_labels(self) -> tuple[str, ...]:
        names = self._session.get_modelmeta().custom_metadata_map.get("names")
        if not names:
            return NUDENET_LABELS
        # Ultralytics writes a Python dict literal, e.g. "{0: 'FACE_FEMALE', ...}".
        parsed = ast.literal_eval(names)
        return tuple(str(parsed[index]) for index in sorted(parsed))

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """The 1x3xNxN BGR blob that NudeNet's `_read_image` builds.

        NudeNet pads the image bottom/right with black to a square, resizes it
        with OpenCV's bilinear filter (no antialiasing, unlike PIL's), and
        scales to 0-1 in BGR order; any other resize changes the scores.
        """
        import cv2

        rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
        height, width = rgb.shape[:2]
        side = max(height, width)
        if height != width:
            square = np.zeros((side, side, 3), dtype=np.uint8)
            square[:height, :width] = rgb
            rgb = square
        size = self.input_size
        if side != size:
            rgb = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_LINEAR)
        # Flip to BGR on the small image, where it is cheap.
        chw = rgb[:, :, ::-1].transpose(2, 0, 1)
        blob = np.empty((1, 3, size, size), dtype=np.float32)
        np.multiply(chw, np.float32(1 / 255.0), out=blob[0], casting="unsafe")
        return blob

    def _scores(self, blob: np.ndarray) -> np.ndarray:
        (output,) = self._session.run(None, {self._input_name: blob})
        # output: 1 x (4 box coordinates + one score per label) x anchors.
        class_scores = output[0, 4:, :]
        if class_scores.shape[0] != len(self.labels):
            raise ValueError(
                f"the model scores {class_scores.shape[0]} labels, expected {len(self.labels)}"
            )
        return class_scores.max(axis=1)

    def classify(self, image: Image.Image) -> dict[str, float]:
        """Best score per label over all anchors, before NMS.

        NMS only removes overlapping boxes, so it never changes the best box
        of a label NudeNet reports. Taking every anchor's score for every
        label (not only its top label) can only report more than NudeNet
        does, never less, which is the safe side for a gate.
        """
        best = self._scores(self.preprocess(image))
        return {label: float(score) for label, score in zip(self.labels, best, strict=True)}


class TransformersImageClassifier:
    """Any Hugging Face image-classification model kept in a local directory.

    This is how an enterprise plugs in its own model (e.g. a fine-tuned NSFW
    ViT) without code: point FilterSettings at this class with
    ``{"path": "/models/our-nsfw-vit"}`` and set thresholds for its labels.
    Nothing is downloaded; a directory missing files fails the load.
    """

    def __init__(self, path: str, name: str | None = None) -> None:
        import torch
        import transformers
        from transformers import AutoImageProcessor, AutoModelForImageClassification

        directory = Path(path)
        if not directory.is_dir():
            raise FileNotFoundError(f"no model directory at {path}")
        self._torch = torch
        self._processor = AutoImageProcessor.from_pretrained(directory, local_files_only=True)
        model = AutoModelForImageClassification.from_pretrained(directory, local_files_only=True)
        self._model = model.eval()
        config = model.config
        self.labels = tuple(str(config.id2label[index]) for index in range(config.num_labels))
        # Multi-label heads score each label on its own; single-label heads
        # share one probability mass across labels.
        self._multi_label = config.problem_type == "multi_label_classification"
        self.name = name or directory.name
        weights = sorted(
            [*directory.glob("*.safetensors"), *directory.glob("*.bin")], key=lambda p: p.name
        )
        self.version = (
            f"transformers {transformers.__version__}; {config.model_type}; "
            f"weights sha256:{_sha256_prefix(weights)}"
        )

    def classify(self, image: Image.Image) -> dict[str, float]:
        torch = self._torch
        inputs = self._processor(images=image.convert("RGB"), return_tensors="pt")
        with torch.inference_mode():
            logits = self._model(**inputs).logits[0]
        probabilities = logits.sigmoid() if self._multi_label else logits.softmax(-1)
        return {
            label: float(value)
            for label, value in zip(self.labels, probabilities.tolist(), strict=True)
        }


_cache: dict[tuple[str, str], ImageClassifier] = {}
_cache_lock = threading.Lock()


def _resolve(spec: str) -> Any:
    if ":" in spec:
        module_name, _, attribute = spec.partition(":")
    else:
        module_name, _, attribute = spec.rpartition(".")
    if not module_name or not attribute:
        raise ImportError(f"'{spec}' is not a dotted path to a class or factory")
    module = importlib.import_module(module_name)
    return reduce(getattr, attribute.split("."), module)


def load_classifier(spec: str, options: Mapping[str, Any] | None = None) -> ImageClassifier:
    """Build the classifier `spec` names, once per (spec, options) per process.

    `spec` is "package.module.ClassName" or "package.module:ClassName"; it may
    also name a function marked with `image_classifier_factory`. `options` are
    its keyword arguments (FilterSettings.image_classifier_options). Models
    take seconds to load and hundreds of MB, so every caller shares one.
    """
    options = dict(options or {})
    try:
        key = (spec, json.dumps(options, sort_keys=True))
    except (TypeError, ValueError) as exc:
        raise FilterUnavailable(
            f"The image filter '{spec}' could not load: its options are not JSON ({exc})"
        ) from exc
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        try:
            target = _resolve(spec)
            if isinstance(target, type):
                if not callable(getattr(target, "classify", None)):
                    raise TypeError(f"{target.__qualname__} has no classify method")
            elif not getattr(target, "image_classifier_factory", False):
                raise TypeError("it is neither a classifier class nor a marked factory")
            classifier = target(**options)
            if not isinstance(classifier, ImageClassifier):
                raise TypeError("what it built lacks name, version, labels or classify")
        except Exception as exc:
            raise FilterUnavailable(
                f"The image filter '{spec}' could not load: {type(exc).__name__}: {exc}"
            ) from exc
        _cache[key] = classifier
        return classifier


def clear_classifier_cache() -> None:
    """Forget loaded classifiers, e.g. after the model files were replaced."""
    with _cache_lock:
        _cache.clear()


def image_check(
    classifier: ImageClassifier, image: Image.Image, thresholds: Mapping[str, float]
) -> FilterResult:
    """Score one image and block on every label at or above its threshold.

    Anything that would let an image through unjudged (a classifier error, a
    score that is not a number, a threshold for a label the classifier does
    not have, e.g. a typo or thresholds meant for another model) raises
    FilterUnavailable instead, so the gate fails closed. Messages name the
    classifier, never anything about the image.
    """
    started = time.perf_counter()
    name = str(getattr(classifier, "name", type(classifier).__name__))
    unknown = sorted(set(thresholds) - set(classifier.labels))
    if unknown:
        raise FilterUnavailable(
            f"The image filter '{name}' does not score {', '.join(unknown)}; "
            "fix the image thresholds."
        )
    bad = sorted(
        label
        for label, threshold in thresholds.items()
        if not (math.isfinite(threshold) and threshold > 0)
    )
    if bad:
        # A threshold of 0 would block every image, NaN none: both are mistakes.
        raise FilterUnavailable(
            f"The image filter '{name}' has invalid thresholds for {', '.join(bad)}."
        )
    try:
        raw = classifier.classify(image)
        scores = {str(label): float(score) for label, score in raw.items()}
    except Exception as exc:
        raise FilterUnavailable(
            f"The image filter '{name}' failed ({type(exc).__name__})."
        ) from exc
    if not all(math.isfinite(score) for score in scores.values()):
        raise FilterUnavailable(f"The image filter '{name}' returned a score that is not a number.")
    hits = [
        Hit(
            filter="image",
            category=label,
            field="image",
            score=scores[label],
            rule=f"image:{name}:{label}",
        )
        for label, threshold in thresholds.items()
        if label in scores and scores[label] >= threshold
    ]
    hits.sort(key=lambda hit: (-(hit.score or 0.0), hit.category))
    return FilterResult(hits=hits, scores=scores, elapsed_ms=(time.perf_counter() - started) * 1000)
