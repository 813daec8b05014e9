"""The renditions engine on small synthetic pictures; no database."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageDraw, ImageFilter, JpegImagePlugin

from apps.assets import renditions
from apps.assets.renditions import Preset, plan, render, render_all, ssim_luma

RED = (230, 20, 20)
MAGIC = {
    "JPEG": b"\xff\xd8\xff",
    "PNG": b"\x89PNG",
}


def scene(width: int, height: int, *, seed: int = 1, alpha: bool = False) -> Image.Image:
    """Gradient, shapes and a little grain: enough structure for codecs and SSIM to bite."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack(
        [60 + 150 * xx / width, 80 + 120 * yy / height, 200 - 100 * xx / width], axis=-1
    )
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(3, max(4, min(width, height) // 4)))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)
    grain = rng.normal(0, 2.0, (height, width, 3))
    pixels = np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(0.6))
    if alpha:
        mask = Image.new("L", image.size, 0)
        ImageDraw.Draw(mask).ellipse((0, 0, width - 1, height - 1), fill=255)
        image.putalpha(mask)
    return image


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()  # keeps .format and the plugin class, which the checks below read
    return image


def red_pixels(image: Image.Image) -> int:
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    red = (pixels[..., 0] > 180) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)
    return int(red.sum())


# -- geometry -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "box", "expected"),
    [
        ((400, 200), (100, 100), (100, 50)),  # landscape into a square
        ((200, 400), (100, 100), (50, 100)),  # portrait into a square
        ((300, 200), (120, 200), (120, 80)),  # width is the binding side
        ((90, 60), (300, 300), (90, 60)),  # never upscaled
        ((400, 200), (200, 100), (200, 100)),  # same aspect, exact
    ],
)
def test_fit_keeps_aspect_inside_the_box(source, box, expected):
    result = render(scene(*source), Preset("fit", *box, "fit", "PNG"))
    assert (result.width, result.height) == expected
    assert decode(result.data).size == expected


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ((400, 200), (100, 100)),
        ((200, 400), (120, 60)),
        ((300, 300), (60, 90)),
        ((50, 40), (100, 100)),
    ],
)
def test_crop_gives_exactly_the_preset_size(source, target):
    result = render(scene(*source), Preset("crop", *target, "crop", "JPEG"))
    assert (result.width, result.height) == target
    assert decode(result.data).size == target


def test_crop_box_has_the_target_aspect_and_stays_inside():
    geometry = plan((400, 200), Preset("c", 120, 60, "crop", "JPEG", focal_x=1.0, focal_y=0.0))
    left, top, right, bottom = geometry.box
    assert (right - left) / (bottom - top) == pytest.approx(2.0)
    assert 0 <= left and right <= 400 and 0 <= top and bottom <= 200
    assert right == pytest.approx(400)  # slid against the right edge, not past it
    assert geometry.scale == pytest.approx(0.3)


def test_crop_upscale_is_reported_by_plan():
    assert plan((50, 40), Preset("c", 100, 100, "crop", "JPEG")).scale == pytest.approx(2.5)
    assert plan((50, 40), Preset("f", 100, 100, "fit", "JPEG")).scale == 1.0


def test_focal_point_keeps_the_marked_region():
    source = Image.new("RGB", (400, 200), (128, 128, 128))
    ImageDraw.Draw(source).rectangle((320, 80, 360, 120), fill=RED)  # centre (340, 100)
    focal = (340 / 400, 100 / 200)
    square = Preset("Square", 100, 100, "crop", "PNG")

    centred = render(source, square)
    assert red_pixels(decode(centred.data)) == 0  # the default centre crop loses it

    kept = decode(render(source, square, focal=focal).data)
    assert red_pixels(kept) >= 0.8 * 20 * 20  # 40px square at scale 0.5
    preset_focal = Preset("Square", 100, 100, "crop", "PNG", focal_x=focal[0], focal_y=focal[1])
    assert red_pixels(decode(render(source, preset_focal).data)) == red_pixels(kept)


def test_focal_point_is_centred_when_the_image_allows():
    source = Image.new("RGB", (600, 200), (128, 128, 128))
    ImageDraw.Draw(source).rectangle((290, 90, 310, 110), fill=RED)  # centre (300, 100)
    ImageDraw.Draw(source).rectangle((190, 90, 210, 110), fill=(20, 20, 230))
    out = decode(render(source, Preset("s", 100, 100, "crop", "PNG"), focal=(200 / 600, 0.5)).data)
    blue = np.asarray(out)[..., 2] > 180
    ys, xs = np.nonzero(blue)
    assert xs.mean() == pytest.approx(50, abs=2) and ys.mean() == pytest.approx(50, abs=2)


# -- formats and metadata -------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "AVIF", "PNG"])
def test_every_format_decodes_with_the_right_size_and_mode(fmt):
    result = render(scene(160, 90), Preset("p", 80, 80, "crop", fmt))
    image = decode(result.data)
    assert image.format == fmt
    assert image.size == (80, 80) and image.mode == "RGB"
    assert result.mime == renditions.MIME_TYPES[fmt]
    assert result.data.startswith(MAGIC.get(fmt, b""))
    assert result.quality == (None if fmt == "PNG" else 85)
    assert result.ssim is None and result.encode_ms > 0


@pytest.mark.parametrize(
    ("fmt", "mode"), [("JPEG", "RGB"), ("WEBP", "RGBA"), ("AVIF", "RGBA"), ("PNG", "RGBA")]
)
def test_transparency_kept_where_the_format_has_it(fmt, mode):
    image = decode(render(scene(64, 64, alpha=True), Preset("p", 32, 32, "fit", fmt)).data)
    assert image.mode == mode
    corner = image.convert("RGBA").getpixel((0, 0))
    if mode == "RGBA":
        assert corner[3] < 40
    else:  # flattened onto white, not black
        assert min(corner[:3]) > 200


def test_jpeg_is_progressive_and_420():
    image = decode(render(scene(64, 64), Preset("j", 64, 64, "fit", "JPEG")).data)
    assert image.info.get("progressive") or image.info.get("progression")
    assert isinstance(image, JpegImagePlugin.JpegImageFile)
    assert JpegImagePlugin.get_sampling(image) == 2  # 4:2:0


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "AVIF", "PNG"])
def test_metadata_is_stripped_and_orientation_applied(fmt):
    source = scene(60, 30)
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
    buffer = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source.save(buffer, "PNG", exif=exif, icc_profile=icc)
    tagged = decode(buffer.getvalue())
    assert tagged.info.get("icc_profile") and tagged.getexif()

    image = decode(render(tagged, Preset("m", 100, 100, "fit", fmt)).data)
    assert image.size == (30, 60)  # upright
    assert not image.getexif()
    assert not image.info.get("icc_profile") and not image.info.get("exif")
    assert not image.info.get("xmp")


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def linear_rgb_profile() -> bytes:
    """A minimal ICC v2 profile: sRGB primaries with a linear (gamma 1.0) tone curve.

    Pillow can only build sRGB, Lab and XYZ profiles, and a linear curve makes
    the conversion easy to predict: mid-grey 128 becomes sRGB 188.
    """

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)

    name = b"Linear test RGB\0"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(name)) + name + bytes(4 + 4 + 2 + 1 + 67)
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0100) + bytes(2)
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (
        struct.pack(">I", offset + len(data))
        + bytes(4)
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(4 * 4 + 8 + 4)
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + bytes(4 + 16 + 28)
    )
    return header + table + data


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (linear_rgb_profile(), 188),  # converted to sRGB before the profile is dropped
        (ImageCms.ImageCmsProfile(ImageCms.createProfile("XYZ")).tobytes(), 128),  # unusable: kept
    ],
)
def test_embedded_profile_is_converted_to_srgb(profile, expected):
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (128, 128, 128)).save(buffer, "PNG", icc_profile=profile)
    image = decode(render(decode(buffer.getvalue()), Preset("c", 16, 16, "fit", "PNG")).data)
    assert image.getpixel((8, 8)) == pytest.approx((expected,) * 3, abs=1)
    assert not image.info.get("icc_profile")


def test_source_image_is_not_modified():
    source = scene(40, 40)
    source.info["comment"] = b"keep"
    before = source.tobytes()
    render(source, Preset("x", 20, 20, "crop", "WEBP"))
    assert source.tobytes() == before and source.info["comment"] == b"keep"


def test_render_all_keys_by_preset_name():
    presets = [Preset("a", 40, 40, "crop", "JPEG"), Preset("b", 30, 20, "fit", "WEBP")]
    results = render_all(scene(80, 60, alpha=True), presets)
    assert list(results) == ["a", "b"]
    assert decode(results["a"].data).mode == "RGB" and decode(results["b"].data).mode == "RGBA"


# -- perceptual target ----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "AVIF"])
def test_perceptual_target_is_met_and_no_bigger_than_q95(fmt, monkeypatch):
    source = scene(192, 128, seed=4)
    calls = []
    real_encode = renditions.encode

    def counting(image, fmt, quality):
        calls.append(quality)
        return real_encode(image, fmt, quality)

    monkeypatch.setattr(renditions, "encode", counting)
    result = render(source, Preset("t", 96, 64, "crop", fmt, quality=None, ssim_target=0.97))
    assert len(calls) <= renditions.MAX_ENCODES
    assert result.ssim is not None and result.ssim >= 0.97
    assert result.quality is not None and result.quality <= 95

    resized = source.resize((96, 64), Image.Resampling.LANCZOS)
    assert ssim_luma(resized, decode(result.data)) == pytest.approx(result.ssim, abs=0.005)
    q95 = render(source, Preset("q", 96, 64, "crop", fmt, quality=95))
    assert len(result.data) <= len(q95.data)


def test_perceptual_search_respects_the_quality_ceiling():
    preset = Preset("t", 64, 64, "crop", "JPEG", quality=40, ssim_target=0.999)
    result = render(scene(64, 64), preset)
    assert result.quality == 40  # the ceiling, since 0.999 is out of reach below it
    assert result.ssim is not None and result.ssim < 0.999


def test_ssim_luma_orders_by_damage():
    image = scene(96, 96)
    assert ssim_luma(image, image) == pytest.approx(1.0)
    light = ssim_luma(image, image.filter(ImageFilter.GaussianBlur(0.8)))
    heavy = ssim_luma(image, image.filter(ImageFilter.GaussianBlur(3)))
    assert 1.0 > light > heavy
    with pytest.raises(ValueError, match="size mismatch"):
        ssim_luma(image, image.resize((48, 48)))


# -- validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 0}, "must be positive, got 0x100"),
        ({"height": -5}, "must be positive"),
        ({"width": 10.5}, "whole pixels"),
        ({"quality": 85.5}, "quality must be between 1 and 100"),
        ({"format": "GIF"}, "unknown format 'GIF'"),
        ({"mode": "stretch"}, "mode must be 'fit' or 'crop'"),
        ({"quality": 0}, r"quality must be between 1 and 100, got 0"),
        ({"quality": 101}, "quality must be between 1 and 100"),
        ({"ssim_target": 0.0}, r"ssim_target must be in \(0, 1\]"),
        ({"ssim_target": 1.2}, r"ssim_target must be in \(0, 1\], got 1.2"),
        ({"format": "PNG", "ssim_target": 0.9}, "PNG is lossless"),
        ({"quality": None}, "needs a quality or an ssim_target"),
        ({"focal_x": 1.5}, "focal point must be within 0..1"),
    ],
)
def test_invalid_presets_are_refused(kwargs, message):
    fields = {"name": "Bad", "width": 100, "height": 100, "mode": "crop", "format": "JPEG"}
    with pytest.raises(ValueError, match=message):
        Preset(**(fields | kwargs))


def test_format_name_is_case_insensitive_and_png_ignores_quality():
    assert Preset("w", 10, 10, "fit", "webp").format == "WEBP"
    assert Preset("p", 10, 10, "fit", "png", quality=None).quality is None


def test_bad_focal_override_is_refused():
    with pytest.raises(ValueError, match="focal point must be within 0..1"):
        render(scene(20, 20), Preset("c", 10, 10, "crop", "JPEG"), focal=(0.5, -0.1))
