"""Automated QA checks on synthetic pictures; no database."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from apps.approvals import qa
from apps.assets.renditions import Preset

BRAND_ORANGE = "#FF5733"


def mostly(colour: str, share: float = 0.8, rest: str = "#FFFFFF", size: int = 100) -> Image.Image:
    """``share`` of the picture in ``colour`` (a block on top), the rest in ``rest``."""
    image = Image.new("RGB", (size, size), rest)
    ImageDraw.Draw(image).rectangle((0, 0, size - 1, round(size * share) - 1), fill=colour)
    return image


def detailed(size: int = 256, seed: int = 3) -> Image.Image:
    """Hard edges at many scales, like a product shot: something to be sharp about."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (size, size), (200, 200, 190))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = (int(v) for v in rng.integers(0, size, 2))
        w, h = (int(v) for v in rng.integers(2, size // 6, 2))
        draw.rectangle((x, y, x + w, y + h), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return image


# -- palette --------------------------------------------------------------------


def test_palette_passes_when_the_picture_is_in_brand_colours():
    result = qa.check_palette(mostly(BRAND_ORANGE), [BRAND_ORANGE])
    assert result.status == "pass"
    assert result.details["on_brand_share"] == pytest.approx(0.8, abs=0.02)
    top = result.details["colours"][0]
    assert top["colour"] == BRAND_ORANGE and top["share"] == pytest.approx(0.8, abs=0.02)
    assert top["nearest_brand"] == BRAND_ORANGE and top["delta_e"] == pytest.approx(0, abs=0.5)
    assert result.message.startswith("80% of the image is in brand colours")


def test_palette_fails_against_an_unrelated_brand_colour():
    result = qa.check_palette(mostly(BRAND_ORANGE), ["#0000FF"])
    assert result.status == "fail"
    orange = result.details["colours"][0]
    assert orange["colour"] == BRAND_ORANGE and not orange["on_brand"]
    expected = qa.ciede2000(qa._lab([(255, 87, 51)]), qa._lab([(0, 0, 255)]))[0]
    assert orange["delta_e"] == pytest.approx(expected, abs=0.01)
    assert 40 < orange["delta_e"] < 100  # a different colour, not a shade
    assert "largest off-brand colour #FF5733 covers 80%" in result.message
    assert "from the nearest brand colour #0000FF" in result.message


def test_palette_tolerates_a_slightly_off_shade_but_not_a_different_hue():
    near = qa.check_palette(mostly("#FF5A36"), [BRAND_ORANGE])
    assert near.status == "pass" and near.details["colours"][0]["delta_e"] < 2
    teal = qa.check_palette(mostly("#2CA58D"), [BRAND_ORANGE, "#FFFFFF"])
    assert teal.status == "fail" and teal.details["on_brand_share"] == pytest.approx(0.2, abs=0.02)


def test_palette_counts_neutral_brand_colours_and_coverage_threshold():
    both = qa.check_palette(mostly(BRAND_ORANGE), [BRAND_ORANGE, "#FFFFFF"])
    assert both.details["on_brand_share"] == pytest.approx(1.0)
    minority = qa.check_palette(mostly(BRAND_ORANGE, share=0.3), [BRAND_ORANGE])
    assert minority.status == "fail"  # 30% on-brand is under the default 50%
    relaxed = qa.check_palette(mostly(BRAND_ORANGE, share=0.3), [BRAND_ORANGE], min_coverage=0.25)
    assert relaxed.status == "pass"


def test_palette_ignores_transparent_pixels():
    image = Image.new("RGBA", (80, 80), (0, 0, 255, 0))  # invisible blue
    ImageDraw.Draw(image).rectangle((0, 0, 79, 39), fill=(255, 87, 51, 255))
    result = qa.check_palette(image, [BRAND_ORANGE])
    assert result.status == "pass" and result.details["on_brand_share"] == pytest.approx(1.0)


def test_palette_skipped_without_brand_colours_and_refuses_bad_hex():
    assert qa.check_palette(mostly(BRAND_ORANGE), []).status == "skipped"
    with pytest.raises(ValueError, match="not a hex colour: 'orange'"):
        qa.check_palette(mostly(BRAND_ORANGE), ["orange"])
    assert qa.parse_hex("#f53") == (255, 85, 51)
    assert qa.parse_hex("ff5733") == (255, 87, 51)


@pytest.mark.parametrize(
    ("lab_a", "lab_b", "expected"),
    [  # pairs 1, 2, 7, 17 and 20 of Sharma, Wu & Dalal (2005), Table 1
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((50.0, 2.5, 0.0), (58.0, 24.0, 15.0), 19.4535),
    ],
)
def test_ciede2000_matches_sharma_reference_pairs(lab_a, lab_b, expected):
    assert float(qa.ciede2000(lab_a, lab_b)) == pytest.approx(expected, abs=1e-4)


# -- sharpness ------------------------------------------------------------------


def test_sharp_scores_above_blurred():
    image = detailed()
    sharp = qa.sharpness_score(image)
    soft = qa.sharpness_score(image.filter(ImageFilter.GaussianBlur(1.5)))
    mush = qa.sharpness_score(image.filter(ImageFilter.GaussianBlur(4)))
    assert sharp > soft > mush
    assert qa.sharpness_score(Image.new("RGB", (64, 64), "#808080")) == 0


def test_sharpness_does_not_depend_on_resolution():
    big = detailed(1024).filter(ImageFilter.GaussianBlur(1))
    small = big.resize((512, 512), Image.Resampling.LANCZOS)
    assert qa.sharpness_score(small) == pytest.approx(qa.sharpness_score(big), rel=0.15)


def test_check_sharpness_pass_and_fail():
    image = detailed()
    score = qa.sharpness_score(image)
    assert qa.check_sharpness(image, min_score=score / 2).status == "pass"
    failed = qa.check_sharpness(image.filter(ImageFilter.GaussianBlur(4)), min_score=score / 2)
    assert failed.status == "fail" and "soft or out of focus" in failed.message
    assert failed.details["measured_at"] == qa.SHARPNESS_SIDE


# -- size -----------------------------------------------------------------------

SOCIAL = Preset("Social card", 1200, 628, "crop", "JPEG")
SQUARE = Preset("Square", 1080, 1080, "crop", "WEBP")
STORY = Preset("Story", 1080, 1920, "crop", "JPEG")
THUMB = Preset("Thumbnail 256x256", 256, 256, "crop", "JPEG")


def test_size_names_the_preset_that_needs_upscaling():
    result = qa.check_size((1280, 1280), [SOCIAL, SQUARE, STORY, THUMB])
    assert result.status == "pass"
    assert result.message == "Fits 3 of 4 presets; 'Story 1080x1920' would need 1.5x upscaling"
    story = result.details["presets"][2]
    assert story["upscale_needed"] == 1.5 and story["fits"] is False
    assert story["cropped_share"] == pytest.approx(0.4375, abs=1e-3)
    assert result.details["presets"][3]["fits"] is True


def test_size_allows_a_little_upscaling():
    result = qa.check_size((1024, 1024), [SQUARE])
    assert result.status == "pass" and result.message == "Fits the preset"
    assert result.details["presets"][0]["upscale_needed"] == pytest.approx(1.055, abs=1e-3)


def test_size_flags_heavy_cropping_and_small_sources():
    banner = Preset("Banner", 1500, 300, "crop", "JPEG")
    hero = Preset("Hero", 1080, 1080, "fit", "WEBP")
    result = qa.check_size((500, 500), [banner, hero])
    assert result.status == "fail"
    assert result.message == (
        "Fits none of the 2 presets; "
        "'Banner 1500x300' would need 3.0x upscaling and would crop away 80% of the picture; "
        "'Hero 1080x1080' would come out 500x500 (2.2x too small)"
    )


def test_fit_presets_accept_any_aspect_when_large_enough():
    result = qa.check_size((3000, 1000), [Preset("Hero", 1080, 1080, "fit", "WEBP")])
    assert result.status == "pass"
    assert result.details["presets"][0]["output"] == [1080, 360]


def test_size_skipped_without_presets():
    assert qa.check_size((100, 100), []).status == "skipped"


# -- all ------------------------------------------------------------------------


def test_run_all_is_json_ready_and_skips_what_is_not_configured():
    results = qa.run_all(mostly(BRAND_ORANGE), presets=[], brand_colours=[], min_sharpness=None)
    assert [r.name for r in results] == ["size", "palette", "sharpness"]
    assert [r.status for r in results] == ["skipped", "skipped", "skipped"]

    results = qa.run_all(
        mostly(BRAND_ORANGE, size=300),
        presets=[THUMB],
        brand_colours=[BRAND_ORANGE],
        min_sharpness=qa.DEFAULT_MIN_SHARPNESS,
    )
    assert [r.status for r in results] == ["pass", "pass", "fail"]  # two flat blocks: no detail
    payload = json.loads(json.dumps([r.as_dict() for r in results]))
    assert payload[1]["details"]["colours"][0]["colour"] == BRAND_ORANGE
    assert set(payload[0]) == {"name", "status", "message", "details"}


def test_run_all_uses_the_displayed_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 400x200, shown rotated: 200 wide, 400 tall
    buffer = io.BytesIO()
    Image.new("RGB", (400, 200), "#FFFFFF").save(buffer, "PNG", exif=exif)
    image = Image.open(buffer)
    portrait = Preset("Portrait", 200, 400, "crop", "JPEG")
    [size, *_] = qa.run_all(image, presets=[portrait], brand_colours=[], min_sharpness=None)
    assert size.details["image_size"] == [200, 400]
    assert size.details["presets"][0]["cropped_share"] == 0
