"""Renditions: one approved asset, resized and encoded once per channel preset.

Pure Pillow/NumPy/scikit-image with no database, so the worker can call it
right after approval and the tests run without PostgreSQL. Provenance is
embedded afterwards by its own module; this one strips all metadata so that
nothing from the source (camera EXIF, a foreign XMP packet, an ICC profile the
pixels no longer match) leaks into a published file.

Decisions a reviewer will ask about:

* ``fit`` never upscales: it is "at most this box", for places where the page
  scales the picture anyway, so extra pixels would be bytes without detail.
  ``crop`` always produces exactly ``width`` x ``height``, upscaling when the
  source is too small, because channels that want a crop (social cards, ad
  slots) reject or re-crop anything else. The QA size check reports such
  upscaling before approval.
* Resampling is Lanczos with ``reducing_gap=2.0``: for reductions of 4x or
  more Pillow first shrinks by an integer factor with a box filter, then
  resamples the rest. Measured: a 1024->256 thumbnail drops from 10.6 to 4.6 ms
  and 2048->512 from 43 to 18 ms, at SSIM 0.997 against a full Lanczos pass.
  Smaller reductions and upscales are untouched.
* SSIM (for perceptual targets) is computed on luma only; see :func:`ssim_luma`.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageCms, ImageOps
from skimage.metrics import structural_similarity

MODES = ("fit", "crop")
MIME_TYPES = {
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "AVIF": "image/avif",
    "PNG": "image/png",
}
LOSSY = frozenset({"JPEG", "WEBP", "AVIF"})

# Perceptual search: qualities below 10 are unusable in every codec here, and
# 95 is where JPEG/WebP stop buying visible detail. 86 candidates need at most
# ceil(log2(87)) = 7 probes, so the encode budget is never what stops a search.
SEARCH_FLOOR = 10
SEARCH_CEILING = 95
MAX_ENCODES = 7

# libwebp method 0 (fastest) .. 6 (smallest). 4 is libwebp's own default. On
# the bench's 1080px square, method 2 halves the time (50 vs 100 ms) for 8% more
# bytes and method 6 saves 4% for 25% more time; 4 is the middle we can afford.
WEBP_METHOD = 4
# libavif speed 0 (slowest, smallest) .. 10. Pillow's default 6 makes 512px
# tiles ~11% smaller than 8 but takes 2-2.5x as long (85 vs 36 ms on the shared
# 2-core dev box), which the 300 ms per-asset budget cannot spare once
# provenance is added. Lower it if that budget grows.
AVIF_SPEED = 8
REDUCING_GAP = 2.0
# The Gaussian SSIM window is 11 px wide; below that the index is undefined.
SSIM_MIN_SIDE = 11


@dataclass(frozen=True)
class Preset:
    """A channel's rendition spec, validated on creation so a bad one fails at config time.

    ``quality`` is the encoder quality (1-100) for lossy formats and is ignored
    for PNG. With ``ssim_target`` set it becomes the ceiling of the search
    (``None`` = 95), so a preset can say "as small as looks right, but never
    more than q80". ``focal_x``/``focal_y`` are the default focal point as
    fractions of the source; an asset's own focal point overrides them.
    """

    name: str
    width: int
    height: int
    mode: str
    format: str
    quality: int | None = 85
    ssim_target: float | None = None
    focal_x: float = 0.5
    focal_y: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "format", str(self.format).upper())
        label = f"Preset {self.name!r}"
        if not isinstance(self.width, int) or not isinstance(self.height, int):
            raise ValueError(f"{label}: width and height must be whole pixels")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(
                f"{label}: width and height must be positive, got {self.width}x{self.height}"
            )
        if self.mode not in MODES:
            raise ValueError(f"{label}: mode must be 'fit' or 'crop', got {self.mode!r}")
        if self.format not in MIME_TYPES:
            known = ", ".join(MIME_TYPES)
            raise ValueError(f"{label}: unknown format {self.format!r}; use one of {known}")
        if self.quality is not None and (
            not isinstance(self.quality, int) or not 1 <= self.quality <= 100
        ):
            raise ValueError(f"{label}: quality must be between 1 and 100, got {self.quality}")
        if self.ssim_target is not None:
            if not 0 < self.ssim_target <= 1:
                raise ValueError(f"{label}: ssim_target must be in (0, 1], got {self.ssim_target}")
            if self.format not in LOSSY:
                raise ValueError(f"{label}: ssim_target needs a lossy format; PNG is lossless")
        elif self.format in LOSSY and self.quality is None:
            raise ValueError(f"{label}: {self.format} needs a quality or an ssim_target")
        _check_focal(label, (self.focal_x, self.focal_y))


@dataclass(frozen=True)
class RenditionResult:
    """One encoded file plus what the publisher and the audit trail need to know about it.

    ``quality`` is what the encoder was given (``None`` for PNG); ``ssim`` is
    only measured for perceptual-target presets, since measuring costs a decode.
    ``encode_ms`` covers the whole rendition (prepare, resize, every encode of
    a search), because that is what the asset's time budget pays for.
    """

    data: bytes = field(repr=False)
    format: str
    mime: str
    width: int
    height: int
    quality: int | None
    ssim: float | None
    encode_ms: float


@dataclass(frozen=True)
class Geometry:
    """Where a preset samples the source and at what size; shared with the QA size check.

    ``box`` is in source pixels (floats: Pillow resamples sub-pixel boxes), and
    ``scale`` is output pixels per source pixel, so above 1 means upscaling.
    """

    size: tuple[int, int]
    box: tuple[float, float, float, float]
    scale: float


def _check_focal(label: str, focal: tuple[float, float]) -> None:
    if not all(0.0 <= value <= 1.0 for value in focal):
        raise ValueError(f"{label}: focal point must be within 0..1, got {focal}")


def plan(
    source_size: tuple[int, int], preset: Preset, focal: tuple[float, float] | None = None
) -> Geometry:
    """Work out the sampling box and output size without touching pixels.

    For ``crop`` the box is as large as the aspect ratio allows and is centred
    on the focal point, then slid back inside the image, so the focal point
    ends up as close to the centre as the edges permit.
    """
    src_w, src_h = source_size
    if src_w <= 0 or src_h <= 0:
        raise ValueError(f"source image has no pixels: {src_w}x{src_h}")
    if preset.mode == "fit":
        scale = min(preset.width / src_w, preset.height / src_h, 1.0)
        size = (max(1, round(src_w * scale)), max(1, round(src_h * scale)))
        return Geometry(size=size, box=(0.0, 0.0, float(src_w), float(src_h)), scale=scale)

    fx, fy = focal if focal is not None else (preset.focal_x, preset.focal_y)
    scale = max(preset.width / src_w, preset.height / src_h)
    box_w = min(preset.width / scale, float(src_w))
    box_h = min(preset.height / scale, float(src_h))
    left = min(max(fx * src_w - box_w / 2, 0.0), src_w - box_w)
    top = min(max(fy * src_h - box_h / 2, 0.0), src_h - box_h)
    return Geometry(
        size=(preset.width, preset.height),
        box=(left, top, left + box_w, top + box_h),
        scale=scale,
    )


def _has_alpha(image: Image.Image) -> bool:
    return "A" in image.getbands() or "transparency" in image.info


def _prepare(image: Image.Image, fmt: str) -> Image.Image:
    """Upright, sRGB, RGB(A) pixels with no metadata left attached.

    The EXIF orientation is applied because stripping EXIF would otherwise
    turn a portrait phone shot on its side. An embedded ICC profile is
    converted to sRGB for the same reason: once the profile is gone, viewers
    assume sRGB. JPEG has no alpha, so transparency is flattened onto white
    (what a page background usually is) rather than onto black.
    """
    upright = ImageOps.exif_transpose(image)
    mode = "RGBA" if _has_alpha(upright) and fmt != "JPEG" else "RGB"
    icc = upright.info.get("icc_profile")
    converted: Image.Image | None = None
    if icc and upright.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            # An sRGB-to-sRGB transform changes nothing and costs ~18 ms at 1024 px.
            if "srgb" not in ImageCms.getProfileDescription(source_profile).lower():
                work_mode = "RGBA" if upright.mode == "RGBA" else "RGB"
                converted = ImageCms.profileToProfile(
                    upright, source_profile, ImageCms.createProfile("sRGB"), outputMode=work_mode
                )
        except (OSError, ValueError, ImageCms.PyCMSError):
            converted = None  # a broken profile: keep the pixels as they are
    base = converted if converted is not None else upright
    if _has_alpha(base) and mode == "RGB":
        rgba = base.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        prepared = flat
    else:
        prepared = base.convert(mode)
    prepared.info = {}
    return prepared


def _resize(image: Image.Image, geometry: Geometry) -> Image.Image:
    full = (0.0, 0.0, float(image.width), float(image.height))
    if geometry.size == image.size and geometry.box == full:
        return image
    return image.resize(
        geometry.size,
        Image.Resampling.LANCZOS,
        box=geometry.box,
        reducing_gap=REDUCING_GAP,
    )


def encode(image: Image.Image, fmt: str, quality: int | None) -> bytes:
    """Encode with the settings this project publishes with; no metadata is passed on.

    JPEG is progressive (renders early on slow links) with optimised Huffman
    tables and 4:2:0 chroma, which is what every JPEG viewer decodes fastest.
    """
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True, subsampling=2)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", quality=quality, method=WEBP_METHOD)
    elif fmt == "AVIF":
        image.save(buffer, "AVIF", quality=quality, speed=AVIF_SPEED, subsampling="4:2:0")
    elif fmt == "PNG":
        image.save(buffer, "PNG", optimize=True)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return buffer.getvalue()


def _luma(image: Image.Image) -> np.ndarray:
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    return np.asarray(image.convert("L"), dtype=np.float32)


def ssim_luma(reference: Image.Image, candidate: Image.Image) -> float:
    """SSIM of the two images' luma (ITU-R 601 Y, 0-255), as Wang et al. (2004) define it.

    Gaussian window sigma 1.5, K1 0.01, K2 0.03, population covariance: the
    settings of the original paper, so scores compare with published ones.
    Luma only, because every codec here subsamples chroma on purpose and the
    eye resolves far less colour detail than luminance detail; a per-channel
    mean would push quality up to preserve chroma nobody sees. Transparent
    pixels are judged over white, as they will be shown. float32 halves the
    cost against float64 with no difference at three decimals.
    """
    if reference.size != candidate.size:
        raise ValueError(f"size mismatch: {reference.size} vs {candidate.size}")
    return float(
        structural_similarity(
            _luma(reference),
            _luma(candidate),
            data_range=255.0,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
    )


def _decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as decoded:
        decoded.load()
        return decoded.copy()


def _search(
    image: Image.Image, fmt: str, target: float, ceiling: int
) -> tuple[bytes, int, float | None]:
    """Smallest quality whose decode scores at least ``target`` against ``image``.

    Binary search assumes SSIM rises with quality, true of these encoders up
    to noise in the third decimal. If even the ceiling misses the target, the
    ceiling's file is returned; the caller sees ``ssim < target``. Renditions
    under 11 px a side cannot be scored and get the ceiling with ``ssim=None``.
    """
    if min(image.size) < SSIM_MIN_SIDE:
        return encode(image, fmt, ceiling), ceiling, None
    low, high = min(SEARCH_FLOOR, ceiling), ceiling
    best: tuple[bytes, int, float] | None = None
    highest: tuple[bytes, int, float] | None = None
    for _ in range(MAX_ENCODES):
        if low > high:
            break
        quality = (low + high) // 2
        data = encode(image, fmt, quality)
        probe = (data, quality, ssim_luma(image, _decode(data)))
        if highest is None or quality > highest[1]:
            highest = probe
        if probe[2] >= target:
            best, high = probe, quality - 1
        else:
            low = quality + 1
    chosen = best or highest
    if chosen is None:  # unreachable: the interval is never empty on entry
        raise RuntimeError("quality search made no encode")
    return chosen


def render(
    image: Image.Image, preset: Preset, focal: tuple[float, float] | None = None
) -> RenditionResult:
    """Produce ``preset``'s rendition of ``image``; ``focal`` overrides the preset's focal point."""
    if focal is not None:
        _check_focal(f"Focal point for {preset.name!r}", focal)
    started = time.perf_counter()
    return _render_prepared(_prepare(image, preset.format), preset, focal, started)


def _render_prepared(
    prepared: Image.Image,
    preset: Preset,
    focal: tuple[float, float] | None,
    started: float,
    before_encode: Callable[[Image.Image], Image.Image] | None = None,
) -> RenditionResult:
    resized = _resize(prepared, plan(prepared.size, preset, focal))
    if before_encode is not None:
        resized = before_encode(resized)
    ssim: float | None = None
    quality: int | None
    if preset.format not in LOSSY:
        data, quality = encode(resized, preset.format, None), None
    elif preset.ssim_target is None:
        quality = preset.quality
        data = encode(resized, preset.format, quality)
    else:
        ceiling = preset.quality if preset.quality is not None else SEARCH_CEILING
        data, quality, ssim = _search(resized, preset.format, preset.ssim_target, ceiling)
    return RenditionResult(
        data=data,
        format=preset.format,
        mime=MIME_TYPES[preset.format],
        width=resized.width,
        height=resized.height,
        quality=quality,
        ssim=ssim,
        encode_ms=(time.perf_counter() - started) * 1000,
    )


def render_all(
    image: Image.Image,
    presets: list[Preset],
    focal: tuple[float, float] | None = None,
    before_encode: Callable[[Image.Image], Image.Image] | None = None,
) -> dict[str, RenditionResult]:
    """Every preset of one asset, keyed by preset name.

    ``before_encode`` transforms each resized image before it is encoded
    (and before any SSIM search), e.g. to embed a watermark that a crop
    would otherwise cut out of a mark made on the full-size image.

    The source is prepared (rotated, colour-converted) once, or twice when it
    has transparency and some presets are JPEG; the preset that triggers a
    preparation carries its cost in ``encode_ms``.
    """
    if focal is not None:
        _check_focal("Focal point", focal)
    has_alpha = _has_alpha(image)
    prepared: dict[bool, Image.Image] = {}
    results = {}
    for preset in presets:
        started = time.perf_counter()
        flatten = has_alpha and preset.format == "JPEG"
        if flatten not in prepared:
            prepared[flatten] = _prepare(image, preset.format)
        results[preset.name] = _render_prepared(
            prepared[flatten], preset, focal, started, before_encode
        )
    return results


__all__ = [
    "Geometry",
    "Preset",
    "RenditionResult",
    "encode",
    "plan",
    "render",
    "render_all",
    "ssim_luma",
]
