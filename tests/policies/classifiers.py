"""Image classifiers for tests, plugged in through the real classifier interface.

Synthetic test images (and the tiny model's noise) never look like nudity to
NudeNet, so the paths that follow a positive detection are driven by these.
"""

from __future__ import annotations

from PIL import Image

from apps.policies.filters.image import NUDENET_LABELS


class FlagsEverything:
    """Reports explicit nudity with high confidence on any image."""

    name = "flags-everything"
    version = "test"
    labels = NUDENET_LABELS  # the thresholds in force name these

    def classify(self, image: Image.Image) -> dict[str, float]:
        return {"FEMALE_BREAST_EXPOSED": 0.97}


class Broken:
    """A classifier whose model fails at inference time."""

    name = "broken"
    version = "test"
    labels = NUDENET_LABELS  # the thresholds in force name these

    def classify(self, image: Image.Image) -> dict[str, float]:
        raise RuntimeError("CUDA error: device-side assert triggered")
