"""Benchmark the image filter: NudeNet on 1024x1024 outputs, as the worker runs it.

    .venv/bin/python scripts/bench_image_filter.py [--runs 30] [--threads N] [--json PATH]

Every generated image waits on this check before anyone sees it, so its cost
is added to each job. It times `image_check` with the default thresholds
(preprocessing + inference + thresholds) on distinct images made here, after a
warm-up, and splits out preprocessing so a regression can be placed.
No database or Django settings are needed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from benchlib import cpu_model, usable_cpus
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.policies.filters.image import (  # noqa: E402
    DEFAULT_IMAGE_THRESHOLDS,
    NudeNetClassifier,
    image_check,
)

GOAL_MS = 150.0  # p50 per 1024x1024 image on the dev box's CPU
SIZE = 1024


def _images(count: int) -> list[Image.Image]:
    """Distinct pictures of the kinds the generator makes: scenes, products, texture.

    They differ in content so no cache or branch predictor flatters one input.
    """
    rng = np.random.default_rng(2024)
    images = []
    for index in range(count):
        kind = index % 3
        if kind == 0:  # a lit backdrop with shapes, like a product shot
            top, bottom = rng.integers(60, 255, 3), rng.integers(0, 200, 3)
            ramp = np.linspace(0.0, 1.0, SIZE, dtype=np.float32)[:, None, None]
            pixels = (top * (1 - ramp) + bottom * ramp).astype(np.uint8)
            image = Image.fromarray(np.broadcast_to(pixels, (SIZE, SIZE, 3)).copy())
            draw = ImageDraw.Draw(image)
            for _ in range(12):
                x, y = (int(v) for v in rng.integers(0, SIZE - 200, 2))
                w, h = (int(v) for v in rng.integers(60, 400, 2))
                fill = tuple(int(v) for v in rng.integers(0, 256, 3))
                draw.rounded_rectangle((x, y, x + w, y + h), radius=20, fill=fill)
        elif kind == 1:  # smooth organic blobs in skin and fabric tones
            image = Image.new("RGB", (SIZE, SIZE), tuple(int(v) for v in rng.integers(0, 256, 3)))
            draw = ImageDraw.Draw(image)
            for _ in range(20):
                x, y = (int(v) for v in rng.integers(-100, SIZE, 2))
                r = int(rng.integers(40, 300))
                tone = (
                    int(rng.integers(150, 250)),
                    int(rng.integers(100, 200)),
                    int(rng.integers(80, 170)),
                )
                draw.ellipse((x - r, y - r, x + r, y + r), fill=tone)
            image = image.filter(ImageFilter.GaussianBlur(6))
        else:  # high-frequency texture
            image = Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8))
        images.append(image)
    return images


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--images", type=int, default=6, help="distinct images, cycled")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="ONNX intra-op threads")
    parser.add_argument("--no-spinning", action="store_true", help="let idle threads sleep")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    import onnxruntime

    started = time.perf_counter()
    classifier = NudeNetClassifier(threads=args.threads, allow_spinning=not args.no_spinning)
    load_ms = (time.perf_counter() - started) * 1000
    images = _images(args.images)

    for index in range(args.warmup):
        image_check(classifier, images[index % len(images)], DEFAULT_IMAGE_THRESHOLDS)

    totals, preprocessing, hits = [], [], 0
    for index in range(args.runs):
        image = images[index % len(images)]
        started = time.perf_counter()
        classifier.preprocess(image)
        preprocessing.append((time.perf_counter() - started) * 1000)
        result = image_check(classifier, image, DEFAULT_IMAGE_THRESHOLDS)
        totals.append(result.elapsed_ms)
        hits += len(result.hits)

    p50, p90 = _percentile(totals, 50), _percentile(totals, 90)
    machine = {
        "cpu": cpu_model(),
        "usable_cpus": usable_cpus(),
        "os_cpu_count": os.cpu_count(),
        "onnxruntime": onnxruntime.__version__,
        "onnx_threads": classifier.threads,
        "spinning": not args.no_spinning,
        "python": platform.python_version(),
    }
    verdict = "ok" if p50 < GOAL_MS else "MISSED"
    print(
        f"machine: {machine['cpu']}, {machine['usable_cpus']} usable CPUs "
        f"(os.cpu_count {machine['os_cpu_count']}); onnxruntime {machine['onnxruntime']}, "
        f"{classifier.threads} intra-op threads, spinning {'on' if machine['spinning'] else 'off'}"
    )
    print(f"classifier: {classifier.name} {classifier.version}; load {load_ms:.0f} ms")
    print(
        f"image_check on {SIZE}x{SIZE}, {args.runs} runs over {len(images)} images: "
        f"p50 {p50:.1f} ms, p90 {p90:.1f} ms (goal: p50 under {GOAL_MS:.0f} ms on this CPU: "
        f"{verdict})"
    )
    print(
        f"  of which preprocessing p50 {_percentile(preprocessing, 50):.1f} ms; "
        f"mean {statistics.fmean(totals):.1f} ms; max {max(totals):.1f} ms; hits {hits}"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine,
                    "classifier": f"{classifier.name} {classifier.version}",
                    "image_size": [SIZE, SIZE],
                    "runs": args.runs,
                    "distinct_images": len(images),
                    "load_ms": round(load_ms, 1),
                    "p50_ms": round(p50, 2),
                    "p90_ms": round(p90, 2),
                    "preprocess_p50_ms": round(_percentile(preprocessing, 50), 2),
                    "goal_p50_ms": GOAL_MS,
                    "goal_met": p50 < GOAL_MS,
                    "hits": hits,
                    "samples_ms": [round(value, 2) for value in totals],
                },
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
