"""Benchmark provenance stamping: the invisible watermark and the C2PA signature.

    .venv/bin/python scripts/bench_provenance.py [--runs 15] [--json PATH]

Delivery stamps the 1024x1024 PNG original and then every rendition, and the
renditions step has a 300 ms budget per asset for four presets, provenance
included; this reports what provenance takes of it. A rendition's signature
includes validating the signed original it names as ingredient. Needs no
database or Django settings: the signing PKI is made in memory.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.assets.provenance import c2pa, certs, watermark  # noqa: E402

ASSET = uuid.UUID("5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d")
SIZE = 1024
RENDITION = 512
# The default delivery presets' sizes and formats (apps/assets/delivery.py).
PRESETS = [
    ((1200, 628), "JPEG"),
    ((1080, 1080), "WEBP"),
    ((512, 512), "AVIF"),
    ((256, 256), "JPEG"),
]
MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "AVIF": "image/avif"}


def _machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return f"{model}, {cpus} usable CPUs, Python {platform.python_version()}"


def photo_like(seed: int = 3, size: int = SIZE) -> Image.Image:
    """Layered smooth noise with a gradient: texture at every scale, like a photo."""
    rng = np.random.default_rng(seed)
    img = np.zeros((size, size, 3), np.float32)
    for octave in range(1, 8):
        cells = 2**octave
        noise = rng.normal(0, 1, (cells, cells, 3)).astype(np.float32)
        for c in range(3):
            layer = Image.fromarray(noise[..., c], "F").resize((size, size), Image.BICUBIC)
            img[..., c] += np.asarray(layer) * (60 / octave)
    yy, xx = np.mgrid[0:size, 0:size] / size
    img += np.stack([xx * 80, yy * 60, (1 - xx) * 70], axis=-1)
    img += rng.normal(0, 3, img.shape)
    return Image.fromarray(np.clip(img - img.mean() + 128, 0, 255).astype(np.uint8), "RGB")


def encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({} if fmt == "PNG" else {"quality": 85 if fmt != "AVIF" else 60}))
    return buffer.getvalue()


def p50_ms(func: Callable[[], object], runs: int) -> float:
    func()  # warm-up: first calls pay for imports and native initialisation
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    root, leaf = certs.create_dev_pki()
    signer = c2pa.SignerConfig(
        (leaf.cert_pem + root.cert_pem).decode(),
        leaf.key_pem.decode(),
        trust_anchors_pem=root.cert_pem.decode(),
    )

    def stamp(data: bytes, fmt: str, ingredient: bytes | None = None) -> bytes:
        return c2pa.sign(
            data,
            MIME[fmt],
            title="bench",
            asset_id=ASSET,
            model_name="krea-2",
            weights_revision="bench",
            generator="Imprimatur bench",
            signer=signer,
            ingredient=ingredient,
            ingredient_format="image/png" if ingredient else None,
        )

    source = photo_like()
    marked = watermark.embed(source, ASSET)
    png = encode(marked, "PNG")
    original = stamp(png, "PNG")
    small = marked.resize((RENDITION, RENDITION), Image.Resampling.LANCZOS)
    runs = args.runs
    figures: dict[str, float] = {
        "watermark_embed_1024": p50_ms(lambda: watermark.embed(source, ASSET), runs),
        "watermark_detect_1024": p50_ms(lambda: watermark.detect(marked), runs),
        "watermark_embed_512": p50_ms(lambda: watermark.embed(small, ASSET), runs),
        "watermark_detect_512": p50_ms(lambda: watermark.detect(small), runs),
        "c2pa_sign_png_1024": p50_ms(lambda: stamp(png, "PNG"), runs),
        "c2pa_read_png_1024": p50_ms(
            lambda: c2pa.read(original, "image/png", trust_anchors_pem=signer.trust_anchors_pem),
            runs,
        ),
    }
    for fmt in ("JPEG", "WEBP"):
        data = encode(small, fmt)
        figures[f"c2pa_sign_{fmt.lower()}_512_rendition"] = p50_ms(
            lambda data=data, fmt=fmt: stamp(data, fmt, original), runs
        )
    # What the four default presets cost in provenance, re-marking each
    # rendition (needed after a crop) and signing it against the original.
    preset_total = 0.0
    for (width, height), fmt in PRESETS:
        rendition = marked.resize((width, height), Image.Resampling.LANCZOS)
        data = encode(rendition, fmt)
        preset_total += p50_ms(lambda r=rendition: watermark.embed(r, ASSET), runs)
        preset_total += p50_ms(lambda d=data, f=fmt: stamp(d, f, original), runs)
    figures["four_presets_embed_and_sign"] = round(preset_total, 1)

    machine = _machine()
    print(f"Provenance, p50 of {runs} runs on {machine}")
    print(f"c2pa-python {c2pa.sdk.__version__} (c2pa-rs {c2pa.sdk.sdk_version()})")
    for name, value in figures.items():
        print(f"  {name:34s} {value:8.1f} ms")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "runs": runs, "p50_ms": figures}))


if __name__ == "__main__":
    main()
