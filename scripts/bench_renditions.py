"""Benchmark the renditions engine on a photo-like 1024x1024 source.

    .venv/bin/python scripts/bench_renditions.py [--runs 15] [--json PATH]

Every approved asset is rendered once per channel preset before it can be
published, and the budget for that step is 300 ms per asset on this machine,
provenance included. Provenance is embedded by another module, so this
reports the engine's share and what it leaves for provenance. It also
measures what the perceptual target buys: bytes of WebP and AVIF searched to
SSIM 0.98 against a fixed-quality-85 JPEG of the same size (goal: at least
30% smaller). No database or Django settings are needed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from benchlib import cpu_model, usable_cpus
from PIL import Image, ImageDraw, ImageFilter, features

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.assets.renditions import (  # noqa: E402
    AVIF_SPEED,
    WEBP_METHOD,
    Preset,
    render,
    render_all,
    ssim_luma,
)

BUDGET_MS = 300.0
SAVING_GOAL = 0.30
SIZE = 1024
SSIM_TARGET = 0.98

PRESETS = [
    Preset("Social card 1200x628", 1200, 628, "crop", "JPEG", quality=85),
    Preset("Square post 1080x1080", 1080, 1080, "crop", "WEBP", quality=85),
    # AVIF's quality scale runs lower than JPEG's: 60 looks like JPEG ~85.
    Preset("Tile 512x512", 512, 512, "crop", "AVIF", quality=60),
    Preset("Thumbnail 256x256", 256, 256, "crop", "JPEG", quality=80),
]


def photo_like(seed: int = 7, size: int = SIZE) -> Image.Image:
    """A synthetic landscape with a product in front: what generated campaign images look like.

    Flat colour would flatter every codec and pure noise would defeat them
    all; this has smooth sky, textured ground at several scales, hard-edged
    objects, soft shadows and a little sensor grain.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    sky = np.stack([70 + 120 * yy, 130 + 90 * yy, 230 - 40 * yy], axis=-1)
    sun = np.exp(-(((xx - 0.72) ** 2 + (yy - 0.22) ** 2) / 0.004))[..., None]
    pixels = sky + sun * np.array([185, 125, 25], dtype=np.float32)

    def octave_noise(scale: int) -> np.ndarray:
        coarse = rng.random((size // scale + 2, size // scale + 2)).astype(np.float32)
        layer = Image.fromarray((coarse * 255).astype(np.uint8)).resize(
            (size, size), Image.Resampling.BICUBIC
        )
        return np.asarray(layer, dtype=np.float32) / 255 - 0.5

    texture = sum(octave_noise(scale) / i for i, scale in enumerate((64, 16, 4, 2), start=1))
    horizon = 0.55 + 0.05 * np.sin(xx * 9.0) + 0.03 * np.sin(xx * 23.0 + 1.0)
    ground = yy > horizon
    grass = np.stack([60 + 60 * texture, 120 + 70 * texture, 40 + 30 * texture], axis=-1)
    grass *= (0.75 + 0.35 * (yy - horizon))[..., None]
    pixels = np.where(ground[..., None], grass, pixels)

    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    shadow = Image.new("L", image.size, 0)
    ImageDraw.Draw(shadow).ellipse((300, 830, 760, 900), fill=150)
    shadow = shadow.filter(ImageFilter.GaussianBlur(18))
    image.paste((20, 25, 15), mask=shadow)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((380, 420, 660, 860), radius=36, fill=(235, 87, 51))  # the product
    draw.rounded_rectangle((410, 470, 630, 560), radius=12, fill=(250, 245, 235))  # its label
    for line in range(4):
        draw.line((430, 490 + 18 * line, 610 - 30 * line, 490 + 18 * line), fill=(40, 40, 60))
    for _ in range(30):  # flowers
        x, y = (int(v) for v in rng.integers(0, size, 2))
        if y > 700:
            r = int(rng.integers(4, 12))
            colour = tuple(int(v) for v in rng.integers(150, 256, 3))
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    grain = rng.normal(0, 2.0, (size, size, 3))  # sensor grain, then the lens softens it
    noisy = Image.fromarray(
        np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    )
    return noisy.filter(ImageFilter.GaussianBlur(0.7))


def _p50(values: list[float]) -> float:
    return float(np.percentile(values, 50))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    source = photo_like()
    for _ in range(args.warmup):
        render_all(source, PRESETS)

    totals: list[float] = []
    per_preset: dict[str, list[float]] = {preset.name: [] for preset in PRESETS}
    sizes: dict[str, int] = {}
    for _ in range(args.runs):
        started = time.perf_counter()
        results = render_all(source, PRESETS)
        totals.append((time.perf_counter() - started) * 1000)
        for name, result in results.items():
            per_preset[name].append(result.encode_ms)
            sizes[name] = len(result.data)

    # Bytes at equal pixel count: the full-size rendition, so no resampling flatters a codec.
    jpeg85 = render(source, Preset("Full", SIZE, SIZE, "fit", "JPEG", quality=85))
    with Image.open(io.BytesIO(jpeg85.data)) as decoded:
        jpeg85_ssim = ssim_luma(source, decoded.convert("RGB"))
    targeted = {
        fmt: render(
            source, Preset("Full", SIZE, SIZE, "fit", fmt, quality=None, ssim_target=SSIM_TARGET)
        )
        for fmt in ("WEBP", "AVIF", "JPEG")
    }

    machine = {
        "cpu": cpu_model(),
        "usable_cpus": usable_cpus(),
        "os_cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "pillow": Image.__version__,
        "libwebp": features.version("webp"),
        "libavif": features.version("avif"),
        "libjpeg_turbo": features.version("libjpeg_turbo"),
    }
    p50 = _p50(totals)
    verdict = "ok" if p50 < BUDGET_MS else "MISSED"
    print(
        f"machine: {machine['cpu']}, {machine['usable_cpus']} usable CPUs "
        f"(os.cpu_count {machine['os_cpu_count']}, load {machine['load_average_1m']}); "
        f"Pillow {machine['pillow']}, "
        f"libwebp {machine['libwebp']} (method {WEBP_METHOD}), "
        f"libavif {machine['libavif']} (speed {AVIF_SPEED}), "
        f"libjpeg-turbo {machine['libjpeg_turbo']}"
    )
    print(
        f"four presets from one {SIZE}x{SIZE} source, {args.runs} runs: p50 {p50:.1f} ms, "
        f"max {max(totals):.1f} ms"
    )
    print(
        f"  goal: under {BUDGET_MS:.0f} ms in total on this machine, provenance included; "
        f"engine share {p50 / BUDGET_MS:.0%} ({verdict}), leaving {BUDGET_MS - p50:.0f} ms "
        f"for provenance"
    )
    for preset in PRESETS:
        print(
            f"  {preset.name:<24} {preset.format:<4} q{preset.quality}: "
            f"p50 {_p50(per_preset[preset.name]):6.1f} ms, {sizes[preset.name]:>7} bytes"
        )
    jpeg_bytes = len(jpeg85.data)
    print(f"perceptual target SSIM {SSIM_TARGET} at {SIZE}x{SIZE} (luma SSIM, Wang et al.):")
    print(f"  JPEG q85 fixed:    {jpeg_bytes:>7} bytes, SSIM {jpeg85_ssim:.4f}")
    savings = {}
    for fmt, result in targeted.items():
        saving = 1 - len(result.data) / jpeg_bytes
        savings[fmt] = saving
        verdict = ""
        if fmt != "JPEG":
            verdict = " (goal >= 30%: " + ("ok)" if saving >= SAVING_GOAL else "MISSED)")
        print(
            f"  {fmt:<4} searched:     {len(result.data):>7} bytes, q{result.quality}, "
            f"SSIM {result.ssim:.4f}, {result.encode_ms:.0f} ms, "
            f"{saving:+.0%} vs JPEG q85{verdict}"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine,
                    "source": [SIZE, SIZE],
                    "runs": args.runs,
                    "p50_ms": round(p50, 2),
                    "budget_ms": BUDGET_MS,
                    "budget_met": p50 < BUDGET_MS,
                    "per_preset": {
                        preset.name: {
                            "format": preset.format,
                            "quality": preset.quality,
                            "p50_ms": round(_p50(per_preset[preset.name]), 2),
                            "bytes": sizes[preset.name],
                        }
                        for preset in PRESETS
                    },
                    "perceptual": {
                        "ssim_target": SSIM_TARGET,
                        "jpeg_q85_bytes": jpeg_bytes,
                        "jpeg_q85_ssim": round(jpeg85_ssim, 4),
                        "searched": {
                            fmt: {
                                "bytes": len(result.data),
                                "quality": result.quality,
                                "ssim": result.ssim,
                                "ms": round(result.encode_ms, 1),
                                "saving_vs_jpeg_q85": round(savings[fmt], 4),
                            }
                            for fmt, result in targeted.items()
                        },
                    },
                    "samples_ms": [round(value, 2) for value in totals],
                },
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
