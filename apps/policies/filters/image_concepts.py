"""A CLIP zero-shot "concept" classifier for the image filter.

NudeNet only knows nudity. This scores an image against written concepts
(gore, corpses, weapons used on people, hate symbols, self-harm) the way
diffusers' `StableDiffusionSafetyChecker` does: one CLIP image embedding is
compared with text embeddings of the concepts, computed once at load, and each
concept is a label with its own threshold (an ImageLabelThreshold row).

Select it in FilterSettings like `TransformersImageClassifier`:
``apps.policies.filters.image_concepts.ClipConceptClassifier`` with options
``{"path": "/srv/imprimatur/models/clip-vit-base-patch32"}``, optionally with
``"concepts"`` and ``"neutral"`` to replace the prompts below. Nothing is
downloaded: the directory must hold a CLIP checkpoint saved with
`save_pretrained` (see docs/image-concepts.md). `nudenet_with_concepts` runs
it together with NudeNet, so adding these labels does not drop the nudity ones.

Scoring, and why not raw cosine similarity: CLIP cosines sit in a narrow band
(about 0.1-0.35 for ViT-B/32) whose offset depends on the image, the prompt's
length and the checkpoint, so a cosine threshold means little and does not
carry over between models. Instead each label is scored as CLIP's own
zero-shot classifier would score it, with the checkpoint's learned logit
scale: the softmax probability that the image is best captioned by one of the
label's prompts rather than by one of the neutral "ordinary picture" prompts.
That is in 0..1, cancels the per-image offset, and is what CLIP was trained to
produce. Each label is scored against the neutral prompts only, never against
the other labels: in one softmax over all labels, an image that is both gory
and shows a corpse would split its probability between GORE and CORPSE and
could pass under both thresholds. The cost is that scores depend on the
neutral prompts, so they are part of `version`, and thresholds must be set
again when any prompt changes.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from .base import FilterUnavailable
from .image import (
    ImageClassifier,
    NudeNetClassifier,
    _sha256_prefix,
    image_classifier_factory,
)

# Prompts per label. Several phrasings of distinct things (a swastika flag and
# a Klan hood are different pictures), not paraphrases of one, so a label's
# score is the probability mass of all its prompts: whichever matches counts.
# Written for CLIP's caption style ("a photo of ..."); unmeasured on real
# weights, so expect to edit them against the labelled set that sets the
# thresholds (docs/image-concepts.md).
DEFAULT_CONCEPTS: dict[str, list[str]] = {
    "GORE": [
        "graphic gore with blood and mutilated body",
        "a photo of a bloody severed limb",
        "a gaping wound with exposed flesh and blood",
        "a person covered in blood after a brutal injury",
    ],
    "CORPSE": [
        "a photo of a dead body lying on the ground",
        "a corpse",
        "dead bodies after a massacre",
    ],
    "WEAPON_VIOLENCE": [
        "a person pointing a gun at another person",
        "a violent attack with a knife",
        "a shooting with wounded people",
        "a person being beaten violently",
    ],
    "HATE_SYMBOL": [
        "a nazi swastika flag",
        "a ku klux klan hood and robe",
        "SS runes insignia",
        "a white supremacist hate symbol",
        "a burning cross at a rally",
    ],
    "SELF_HARM": [
        "self-harm cuts on a wrist",
        "a person cutting themselves with a razor blade",
        "a person with a noose around their neck",
    ],
}

# What an ordinary marketing picture looks like, plus benign look-alikes of
# the concepts (red paint, a kitchen knife, a person asleep), so that a label
# wins only when it describes the image better than every harmless caption.
DEFAULT_NEUTRAL: list[str] = [
    "an ordinary photo",
    "a product photo on a plain background",
    "a photo of people smiling",
    "a portrait of a person",
    "a landscape photo",
    "a photo of a city street",
    "a photo of food on a plate",
    "a photo of an animal",
    "an illustration",
    "an advertisement",
    "a photo of a building interior",
    "red paint splashed on a wall",
    "a chef cutting vegetables with a kitchen knife",
    "a person sleeping in bed",
    "a doctor treating a patient",
]

# Labels become rule identifiers ("image:<name>:<label>") and ImageLabelThreshold
# rows (80 characters at most), so they are kept to plain identifiers.
_LABEL = re.compile(r"[A-Za-z0-9_.-]{1,80}")

# Views of a non-square image: up to this aspect ratio, or beyond this many
# square tiles, the image is only seen whole (padded to a square), which is
# still every pixel, just smaller; a nearly square output is not worth 3 passes.
_PAD_ONLY_ASPECT = 1.25
_MAX_TILES = 4


def _prompt_list(value: Any, what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{what} must be a list of prompts")
    prompts = [p.strip() for p in value if isinstance(p, str)]
    if len(prompts) != len(value) or not prompts or not all(prompts):
        raise ValueError(f"{what} must be a non-empty list of non-empty strings")
    return prompts


def _checked_concepts(concepts: Any) -> dict[str, list[str]]:
    if not isinstance(concepts, Mapping) or not concepts:
        raise ValueError("concepts must map labels to lists of prompts")
    checked: dict[str, list[str]] = {}
    for label, prompts in concepts.items():
        if not isinstance(label, str) or not _LABEL.fullmatch(label):
            raise ValueError(
                f"concept label {label!r} is not a plain identifier of 1-80 characters"
            )
        checked[label] = _prompt_list(prompts, f"the prompts for {label}")
    return checked


def square_views(image: Image.Image, max_tiles: int = _MAX_TILES) -> list[Image.Image]:
    """The square crops that, together, show CLIP every pixel of `image`.

    CLIP's processor resizes the short side and centre-crops, which would
    drop the ends of a wide banner. A square image is one view, and so is a
    nearly square (up to 5:4) or very long (over 4:1) one, padded black to a
    square. Otherwise: the padded whole (things that span it), plus square
    tiles along the long side, evenly spaced and overlapping as needed
    (detail near the ends). Scores are the maximum over views, which
    can only report more than the centre crop would, the safe side for a gate.
    """
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    width, height = rgb.size
    side, long = min(width, height), max(width, height)
    if side == long:
        return [rgb]
    padded = Image.new("RGB", (long, long))
    padded.paste(rgb, (0, 0))
    count = math.ceil(long / side)
    if long <= side * _PAD_ONLY_ASPECT or count > max_tiles:
        return [padded]
    offsets = [round(i * (long - side) / (count - 1)) for i in range(count)]
    if width > height:
        tiles = [rgb.crop((x, 0, x + side, side)) for x in offsets]
    else:
        tiles = [rgb.crop((0, y, side, y + side)) for y in offsets]
    return [padded, *tiles]


def _pooled(output: Any) -> Any:
    # transformers 5 returns a model output whose pooler_output is the
    # projected embedding; 4.x returned the tensor itself.
    return getattr(output, "pooler_output", output)


class ClipConceptClassifier:
    """Zero-shot concept scores from a local CLIP checkpoint.

    `concepts` maps each label to prompts (default `DEFAULT_CONCEPTS`), and
    `neutral` lists the ordinary-picture prompts every label competes with
    (default `DEFAULT_NEUTRAL`); both replace the defaults entirely when given.
    `classify` returns every label with a score in 0..1 (see the module
    docstring for what it means). Any load failure raises FilterUnavailable
    naming the path, so the gate fails closed.
    """

    def __init__(
        self,
        path: str,
        concepts: Mapping[str, Sequence[str]] | None = None,
        name: str | None = None,
        neutral: Sequence[str] | None = None,
        device: str = "cpu",
    ) -> None:
        try:
            self._load(path, concepts, name, neutral, device)
        except FilterUnavailable:
            raise
        except Exception as exc:
            raise FilterUnavailable(
                f"The CLIP concept classifier could not load from {path}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def _load(
        self,
        path: str,
        concepts: Mapping[str, Sequence[str]] | None,
        name: str | None,
        neutral: Sequence[str] | None,
        device: str,
    ) -> None:
        import torch
        import transformers
        from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

        checked = _checked_concepts(DEFAULT_CONCEPTS if concepts is None else concepts)
        neutral_prompts = _prompt_list(
            DEFAULT_NEUTRAL if neutral is None else neutral, "the neutral prompts"
        )
        directory = Path(path)
        if not directory.is_dir():
            raise FileNotFoundError(f"no model directory at {path}")

        self._torch = torch
        self._device = torch.device(device)
        self._lock = threading.Lock()
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        self._processor = AutoImageProcessor.from_pretrained(directory, local_files_only=True)
        # float32 whatever the checkpoint's dtype: half precision is slow or
        # unsupported on CPUs, and scores should not depend on how it was saved.
        model = CLIPModel.from_pretrained(
            directory, local_files_only=True, dtype=torch.float32
        ).eval()
        model.to(self._device)

        self.labels: tuple[str, ...] = tuple(checked)
        prompts = [p for label in self.labels for p in checked[label]] + neutral_prompts
        # Prompt index ranges: each label's prompts, then the neutral ones.
        self._spans: list[tuple[int, int]] = []
        start = 0
        for label in self.labels:
            self._spans.append((start, start + len(checked[label])))
            start += len(checked[label])
        self._neutral = (start, len(prompts))

        # CLIP's text tower has a fixed context (77 tokens); a longer prompt
        # would be silently cut, so it is refused instead.
        limit = int(model.config.text_config.max_position_embeddings)
        too_long = [p for p in prompts if len(tokenizer(p)["input_ids"]) > limit]
        if too_long:
            raise ValueError(f"{len(too_long)} prompt(s) exceed CLIP's {limit} tokens")

        with torch.inference_mode():
            tokens = tokenizer(prompts, padding=True, return_tensors="pt").to(self._device)
            text = _pooled(model.get_text_features(**tokens))
            self._text = torch.nn.functional.normalize(text.float(), dim=-1)
            self._scale = float(model.logit_scale.exp())
        # Only the image tower is needed from now on; the text tower is freed.
        self._vision = model.vision_model
        self._projection = model.visual_projection
        del model

        self.name = name or directory.name
        files = sorted(
            [
                *directory.glob("*.safetensors"),
                *directory.glob("*.bin"),
                *directory.glob("*.json"),
                *directory.glob("*.txt"),
            ],
            key=lambda p: p.name,
        )
        spec = json.dumps({"concepts": checked, "neutral": neutral_prompts}, sort_keys=True)
        concepts_hash = hashlib.sha256(spec.encode()).hexdigest()[:12]
        # Anything that can change a score is in here: the code's library, the
        # weights with their tokenizer and preprocessing, the prompts, the views.
        self.version = (
            f"transformers {transformers.__version__}; clip; files sha256:{_sha256_prefix(files)}; "
            f"concepts sha256:{concepts_hash}; "
            f"views: padded to {_PAD_ONLY_ASPECT:g}:1, tiles to {_MAX_TILES}"
        )
        # One run now: a mismatched checkpoint fails at load, where the gate
        # reports it, and the first real image is not slow.
        self.classify(Image.new("RGB", (64, 64)))

    def _embed(self, views: list[Image.Image]) -> Any:
        """Unit-length CLIP image embeddings, one row per view; call under the lock."""
        torch = self._torch
        pixels = self._processor(images=views, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            pooled = self._vision(pixel_values=pixels.to(self._device)).pooler_output
            embeds = self._projection(pooled)
        return torch.nn.functional.normalize(embeds.float(), dim=-1)

    def classify(self, image: Image.Image) -> dict[str, float]:
        torch = self._torch
        views = square_views(image)
        with self._lock:
            embeds = self._embed(views)
        logits = self._scale * embeds @ self._text.T  # views x prompts
        neutral = torch.logsumexp(logits[:, self._neutral[0] : self._neutral[1]], dim=-1)
        scores: dict[str, float] = {}
        for label, (start, end) in zip(self.labels, self._spans, strict=True):
            # softmax mass of the label's prompts against the neutral prompts,
            # i.e. sigmoid(logsumexp(label) - logsumexp(neutral)); best view wins.
            concept = torch.logsumexp(logits[:, start:end], dim=-1)
            scores[label] = float(torch.sigmoid(concept - neutral).max())
        return scores


class CombinedClassifier:
    """Several classifiers as one: labels side by side, every part must run.

    The filter takes one classifier, so this is how concept labels are added
    to NudeNet's rather than swapped for them. Labels must not overlap, since
    a threshold has to say which detector it is for. A failing part fails the
    whole call, so the gate still fails closed.
    """

    def __init__(self, parts: Sequence[ImageClassifier], name: str | None = None) -> None:
        if not parts:
            raise ValueError("a combined classifier needs at least one part")
        labels: list[str] = []
        for part in parts:
            clash = sorted(set(labels) & set(part.labels))
            if clash:
                raise ValueError(f"{part.name} repeats the labels {', '.join(clash)}")
            labels.extend(part.labels)
        self._parts = tuple(parts)
        self.labels = tuple(labels)
        self.name = name or "+".join(part.name for part in parts)
        self.version = " | ".join(f"{part.name} {part.version}" for part in parts)

    def classify(self, image: Image.Image) -> dict[str, float]:
        scores: dict[str, float] = {}
        for part in self._parts:
            scores.update(part.classify(image))
        return scores


@image_classifier_factory
def nudenet_with_concepts(
    path: str,
    concepts: Mapping[str, Sequence[str]] | None = None,
    neutral: Sequence[str] | None = None,
    device: str = "cpu",
    nudenet: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> CombinedClassifier:
    """NudeNet (with `nudenet` as its options) and the CLIP concepts in `path`.

    Select ``apps.policies.filters.image_concepts.nudenet_with_concepts`` with
    ``{"path": "..."}``; the existing NudeNet thresholds keep working and the
    concept labels take thresholds of their own.
    """
    concept_classifier = ClipConceptClassifier(
        path, concepts=concepts, neutral=neutral, device=device
    )
    return CombinedClassifier(
        [NudeNetClassifier(**dict(nudenet or {})), concept_classifier],
        name=name or f"nudenet+{concept_classifier.name}",
    )
