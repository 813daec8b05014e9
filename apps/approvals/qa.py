"""Automated QA checks a reviewer sees next to an asset before deciding on it.

Pure functions of the pixels and the project's settings (no database), so they
can run in the worker right after generation and again on demand. Each check
returns a :class:`CheckResult` whose message is written for a marketing
reviewer, not an engineer; the numbers behind it are in ``details``.

The checks advise, they do not decide: a failed check is a reason to look
closely, and the human verdict in ``services.asset_decide`` stays the gate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab

from apps.assets.renditions import Preset, plan

Status = Literal["pass", "fail", "skipped"]

# Size: a little upscaling (1024 px source into a 1080 px slot) is invisible at
# viewing distance; beyond 10% edges go visibly soft. Losing more than half of
# the picture to a crop usually loses the composition too.
MAX_UPSCALE = 1.1
MAX_CROP = 0.5

# Palette: dominant colours are found on a copy at most this many pixels on its
# long side; the proportions of a campaign picture's main colours survive that.
PALETTE_SIDE = 128
MIN_BRAND_COVERAGE = 0.5

# Sharpness: the score is the variance of the 4-neighbour Laplacian of 8-bit
# luma, measured after resizing the long side to 512 px so a 2048 px and a
# 1024 px version of one picture score alike. Typical values: crisp photographic
# detail 100-1000+, a 1024 px image blurred with a 1 px Gaussian ~50, 2 px
# ~10, flat or heavily blurred ~0-5. Flat, minimalist designs score low while
# perfectly crisp, so projects set their own minimum; this is a default.
SHARPNESS_SIDE = 512
DEFAULT_MIN_SHARPNESS = 25.0

_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check; ``details`` holds only JSON types so it can be stored as is."""

    name: str
    status: Status
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "details": self.details,
        }


def _flatten(image: Image.Image) -> Image.Image:
    """RGB over white: transparent areas are seen on a white page, not as their hidden RGB."""
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _label(preset: Preset) -> str:
    dims = f"{preset.width}x{preset.height}"
    return f"'{preset.name}'" if dims in preset.name else f"'{preset.name} {dims}'"


# -- size -----------------------------------------------------------------------


def check_size(
    image_size: tuple[int, int],
    presets: Sequence[Preset],
    *,
    max_upscale: float = MAX_UPSCALE,
    max_crop: float = MAX_CROP,
) -> CheckResult:
    """Can each channel preset be made from this image without visible damage?

    A crop preset fits when it needs at most ``max_upscale`` and crops away at
    most ``max_crop`` of the picture. A fit preset adapts to any aspect ratio
    (the page letterboxes), so only a source too small for its box counts
    against it; the engine never upscales for fit, so the file would come out
    smaller. The check passes when at least one preset fits: the asset is
    usable somewhere, and the message names every preset that is not.
    """
    if not presets:
        return CheckResult("size", "skipped", "No channel presets configured for this project")
    width, height = image_size
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for preset in presets:
        geometry = plan((width, height), preset)
        left, top, right, bottom = geometry.box
        cropped = 1 - ((right - left) * (bottom - top)) / (width * height)
        upscale = max(preset.width / width, preset.height / height)
        if preset.mode == "fit":
            upscale = min(preset.width / width, preset.height / height)
        issues = []
        if upscale > max_upscale:
            if preset.mode == "fit":
                out_w, out_h = geometry.size
                issues.append(f"would come out {out_w}x{out_h} ({upscale:.1f}x too small)")
            else:
                issues.append(f"would need {upscale:.1f}x upscaling")
        if preset.mode == "crop" and cropped > max_crop:
            issues.append(f"would crop away {cropped:.0%} of the picture")
        if issues:
            problems.append(f"{_label(preset)} " + " and ".join(issues))
        rows.append(
            {
                "preset": preset.name,
                "mode": preset.mode,
                "size": [preset.width, preset.height],
                "output": list(geometry.size),
                "upscale_needed": round(max(upscale, 1.0), 3),
                "cropped_share": round(cropped, 3),
                "fits": not issues,
            }
        )
    fitting = sum(row["fits"] for row in rows)
    total = len(rows)
    if fitting == total:
        headline = f"Fits all {total} presets" if total > 1 else "Fits the preset"
    elif fitting == 0:
        headline = f"Fits none of the {total} presets" if total > 1 else "Does not fit the preset"
    else:
        headline = f"Fits {fitting} of {total} presets"
    message = "; ".join([headline, *problems])
    details = {
        "image_size": [width, height],
        "max_upscale": max_upscale,
        "max_crop": max_crop,
        "fits": fitting,
        "presets": rows,
    }
    return CheckResult("size", "pass" if fitting else "fail", message, details)


# -- palette --------------------------------------------------------------------


def parse_hex(colour: str) -> tuple[int, int, int]:
    """``#FF5733``, ``ff5733`` or ``#f53`` as an RGB triple; anything else is a config error."""
    match = _HEX.match(colour.strip())
    if not match:
        raise ValueError(f"not a hex colour: {colour!r} (expected e.g. #FF5733)")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def _hex(rgb: Sequence[int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def _lab(rgbs: Sequence[Sequence[int]]) -> np.ndarray:
    """sRGB triples (D65) to CIELAB rows."""
    pixels = np.asarray(rgbs, dtype=np.float64).reshape(-1, 1, 3) / 255.0
    return np.asarray(rgb2lab(pixels)).reshape(-1, 3)


def ciede2000(lab_a: ArrayLike, lab_b: ArrayLike) -> np.ndarray:
    """CIEDE2000 colour difference with kL = kC = kH = 1, broadcasting like NumPy.

    About 1 is a just-noticeable difference side by side; 2-10 reads as "the
    same colour, slightly off"; beyond ~20 it is a different colour.
    """
    return np.asarray(deltaE_ciede2000(np.asarray(lab_a), np.asarray(lab_b)))


def dominant_colours(image: Image.Image, n_colours: int = 5) -> list[tuple[str, float]]:
    """The image's main colours by median cut, with the share of opaque pixels each covers."""
    small = image.copy()
    small.thumbnail((PALETTE_SIDE, PALETTE_SIDE), Image.Resampling.BOX)
    rgb = small.convert("RGB")
    opaque = np.ones((small.height, small.width), dtype=bool)
    if "A" in small.getbands() or "transparency" in small.info:
        opaque = np.asarray(small.convert("RGBA").getchannel("A")) >= 128
    quantized = rgb.quantize(colors=n_colours, method=Image.Quantize.MEDIANCUT)
    counts = np.bincount(np.asarray(quantized)[opaque].ravel(), minlength=n_colours)
    palette = quantized.getpalette() or []
    total = int(counts.sum())
    if total == 0:
        return []
    shares: dict[str, float] = {}
    for index in np.argsort(-counts, kind="stable"):
        if counts[index] == 0:
            break
        hex_colour = _hex(palette[3 * index : 3 * index + 3])
        shares[hex_colour] = shares.get(hex_colour, 0.0) + float(counts[index]) / total
    return list(shares.items())


def check_palette(
    image: Image.Image,
    brand_colours: Sequence[str],
    max_delta_e: float = 12.0,
    n_colours: int = 5,
    *,
    min_coverage: float = MIN_BRAND_COVERAGE,
) -> CheckResult:
    """Is the picture mostly in the brand's colours?

    Each of the ``n_colours`` dominant colours counts as on-brand when it lies
    within ``max_delta_e`` (CIEDE2000) of some brand colour. The check passes
    when the on-brand colours together cover at least ``min_coverage`` of the
    opaque pixels (default half): campaign pictures also hold skin, sky and
    product colours that no palette lists, so demanding every colour would
    fail nearly everything, while a picture whose main masses are off-brand
    is what a reviewer wants flagged.
    """
    if not brand_colours:
        return CheckResult("palette", "skipped", "No brand colours configured for this project")
    brand_rgb = [parse_hex(colour) for colour in brand_colours]
    colours = dominant_colours(image, n_colours)
    if not colours:
        return CheckResult("palette", "skipped", "The image has no opaque pixels to judge")
    distances = ciede2000(
        _lab([parse_hex(hex_colour) for hex_colour, _ in colours])[:, None, :],
        _lab(brand_rgb)[None, :, :],
    )
    rows = []
    on_brand = 0.0
    for (hex_colour, share), row in zip(colours, distances, strict=True):
        nearest = int(np.argmin(row))
        delta = float(row[nearest])
        matches = delta <= max_delta_e
        on_brand += share if matches else 0.0
        rows.append(
            {
                "colour": hex_colour,
                "share": round(share, 4),
                "nearest_brand": _hex(brand_rgb[nearest]),
                "delta_e": round(delta, 2),
                "on_brand": matches,
            }
        )
    passed = on_brand >= min_coverage
    summary = (
        f"{on_brand:.0%} of the image is in brand colours "
        f"(within ΔE {max_delta_e:g}; needs {min_coverage:.0%})"
    )
    off = [row for row in rows if not row["on_brand"]]
    if off and not passed:
        worst = off[0]  # rows are by share, so this is the largest off-brand area
        summary += (
            f"; largest off-brand colour {worst['colour']} covers {worst['share']:.0%}, "
            f"ΔE {worst['delta_e']:.1f} from the nearest brand colour {worst['nearest_brand']}"
        )
    details = {
        "brand_colours": [_hex(rgb) for rgb in brand_rgb],
        "max_delta_e": max_delta_e,
        "min_coverage": min_coverage,
        "on_brand_share": round(on_brand, 4),
        "colours": rows,
    }
    return CheckResult("palette", "pass" if passed else "fail", summary, details)


# -- sharpness ------------------------------------------------------------------


def sharpness_score(image: Image.Image) -> float:
    """Variance of the Laplacian of luma at a 512 px long side; see ``SHARPNESS_SIDE``."""
    gray = _flatten(image).convert("L")
    scale = SHARPNESS_SIDE / max(gray.size)
    size = (max(3, round(gray.width * scale)), max(3, round(gray.height * scale)))
    if size != gray.size:
        gray = gray.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    luma = np.asarray(gray, dtype=np.float32)
    laplacian = (
        luma[1:-1, :-2] + luma[1:-1, 2:] + luma[:-2, 1:-1] + luma[2:, 1:-1] - 4 * luma[1:-1, 1:-1]
    )
    return float(laplacian.var())


def check_sharpness(image: Image.Image, min_score: float) -> CheckResult:
    """Does the image hold fine detail, or does it look soft or out of focus?"""
    score = sharpness_score(image)
    details = {"score": round(score, 2), "min_score": min_score, "measured_at": SHARPNESS_SIDE}
    if score >= min_score:
        return CheckResult(
            "sharpness", "pass", f"Sharpness {score:.0f} (minimum {min_score:g})", details
        )
    message = (
        f"Sharpness {score:.0f} is below the minimum {min_score:g}: the image may look soft "
        "or out of focus (flat, minimal designs also score low)"
    )
    return CheckResult("sharpness", "fail", message, details)


# -- all ------------------------------------------------------------------------


def _upright_size(image: Image.Image) -> tuple[int, int]:
    """The size as displayed: EXIF orientations 5-8 swap width and height."""
    orientation = image.getexif().get(0x0112, 1)
    width, height = image.size
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def run_all(
    image: Image.Image,
    *,
    presets: Sequence[Preset],
    brand_colours: Sequence[str],
    min_sharpness: float | None,
) -> list[CheckResult]:
    """Every check, in the order the review screen lists them; ``None`` skips sharpness."""
    sharpness = (
        CheckResult("sharpness", "skipped", "No sharpness minimum configured for this project")
        if min_sharpness is None
        else check_sharpness(image, min_sharpness)
    )
    return [
        check_size(_upright_size(image), presets),
        check_palette(image, brand_colours),
        sharpness,
    ]
