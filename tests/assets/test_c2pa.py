"""Signed manifests: what they say, when they validate, and the verify_asset command."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from apps.assets.provenance import c2pa, certs, watermark

ASSET = uuid.UUID("7d6c5b4a-3928-4716-a5b4-c3d2e1f0a9b8")
PIL_FORMAT = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP", "image/avif": "AVIF"}
GENERATOR = "Imprimatur 0.1.0"


def encode(image: Image.Image, mime: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, PIL_FORMAT[mime])
    return buffer.getvalue()


def sign(data: bytes, mime: str, signer: c2pa.SignerConfig, **extra) -> bytes:
    return c2pa.sign(
        data,
        mime,
        title=extra.pop("title", "hero"),
        asset_id=ASSET,
        model_name="krea-2",
        weights_revision="0123abcd",
        generator=GENERATOR,
        signer=signer,
        **extra,
    )


def flip_image_byte(data: bytes, mime: str) -> bytes:
    """Change one byte of compressed pixel data, away from the manifest and headers."""
    marker = {"image/png": b"IDAT", "image/jpeg": b"\xff\xda", "image/webp": b"VP8"}[mime]
    position = data.rindex(marker) + 64
    assert position < len(data) - 16
    changed = bytearray(data)
    changed[position] ^= 0x01 if changed[position] != 0xFE else 0x02  # never make a JPEG marker
    return bytes(changed)


@pytest.fixture(scope="module")
def picture(make_image) -> Image.Image:
    return make_image(11, 512)


@pytest.fixture(scope="module")
def original(picture, signer) -> bytes:
    return sign(encode(picture, "image/png"), "image/png", signer)


@pytest.mark.parametrize("mime", list(PIL_FORMAT))
def test_signed_original_reads_back_valid(picture, signer, anchors, mime):
    signed = sign(encode(picture, mime), mime, signer, title=f"hero.{mime[6:]}")
    report = c2pa.read(signed, mime, trust_anchors_pem=anchors)
    assert report.valid, report.errors
    assert report.validation_state == "Trusted"
    assert report.actions == ["c2pa.created"]
    assert report.created
    assert report.digital_source_type == c2pa.DIGITAL_SOURCE_TYPE
    assert report.digital_source_type.endswith("/trainedAlgorithmicMedia")
    assert (report.model_name, report.weights_revision) == ("krea-2", "0123abcd")
    assert report.generator == GENERATOR
    assert report.asset_id == str(ASSET)
    assert report.title == f"hero.{mime[6:]}"
    assert report.signer_common_name == "Imprimatur development C2PA signer"
    assert report.signed_at is None  # no time-stamp authority
    assert report.ingredients == []


@pytest.mark.parametrize("mime", ["image/jpeg", "image/webp", "image/avif"])
def test_rendition_names_the_signed_original_as_parent(picture, original, signer, anchors, mime):
    small = encode(picture.resize((256, 256)), mime)
    signed = sign(small, mime, signer, ingredient=original, ingredient_format="image/png")
    report = c2pa.read(signed, mime, trust_anchors_pem=anchors)
    assert report.valid, report.errors
    assert report.actions == ["c2pa.opened", c2pa.RENDITION_ACTION]
    # The created action lives on the original; the report finds it through the parent.
    assert report.created
    assert report.digital_source_type == c2pa.DIGITAL_SOURCE_TYPE
    [parent] = report.ingredients
    assert parent.relationship == "parentOf"
    assert parent.title == "hero"
    assert parent.format == "image/png"
    assert parent.sha256 == hashlib.sha256(original).hexdigest()


@pytest.mark.parametrize("mime", ["image/png", "image/jpeg", "image/webp"])
def test_one_changed_pixel_byte_invalidates(picture, signer, anchors, mime):
    signed = sign(encode(picture, mime), mime, signer)
    report = c2pa.read(flip_image_byte(signed, mime), mime, trust_anchors_pem=anchors)
    assert not report.valid
    assert report.validation_state == "Invalid"
    assert any("dataHash.mismatch" in e for e in report.errors), report.errors


def test_other_trust_anchor_reports_untrusted(original):
    other_root, _ = certs.create_dev_pki("Somebody else")
    report = c2pa.read(original, "image/png", trust_anchors_pem=other_root.cert_pem.decode())
    assert not report.valid
    assert report.validation_state == "Valid"  # intact, but nobody we trust signed it
    assert any("signingCredential.untrusted" in e for e in report.errors)
    assert not c2pa.read(original, "image/png", trust_anchors_pem=None).valid


def test_unsigned_file_has_no_manifest(picture, anchors):
    report = c2pa.read(encode(picture, "image/png"), "image/png", trust_anchors_pem=anchors)
    assert not report.present and not report.valid


def test_garbage_is_reported_not_raised(anchors):
    report = c2pa.read(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png", trust_anchors_pem=anchors)
    assert not report.valid and not report.present
    assert "not readable as image/png" in report.errors[0]


@pytest.mark.parametrize("kind", ["ca", "self-signed", "no-eku"])
def test_unfit_certificates_are_refused_before_signing(picture, kind):
    root, _ = certs.create_dev_pki("Bad")
    subject = certs.name("Bad signer", "Bad")
    leaf = {
        "ca": lambda: certs.issue_certificate(subject, issuer=root, is_ca=True),
        "self-signed": lambda: certs.issue_certificate(subject),
        "no-eku": lambda: certs.issue_certificate(subject, issuer=root, ekus=None),
    }[kind]()
    chain_pem = (leaf.cert_pem + (b"" if kind == "self-signed" else root.cert_pem)).decode()
    assert certs.check_signing_certificate(chain_pem)
    config = c2pa.SignerConfig(chain_pem, leaf.key_pem.decode())
    with pytest.raises(c2pa.SigningRefused) as refused:
        sign(encode(picture, "image/png"), "image/png", config)
    assert refused.value.problems == certs.check_signing_certificate(chain_pem)


def test_rendition_of_an_unsigned_original_is_refused(picture, signer):
    with pytest.raises(c2pa.SigningRefused, match="ingredient"):
        sign(
            encode(picture, "image/jpeg"),
            "image/jpeg",
            signer,
            ingredient=encode(picture, "image/png"),
            ingredient_format="image/png",
        )


@pytest.fixture
def c2pa_settings(settings, dev_pki):
    settings.C2PA_SIGNING_CERT_CHAIN = str(dev_pki.cert_chain)
    settings.C2PA_SIGNING_KEY = str(dev_pki.key)
    settings.C2PA_SIGNING_ALG = "es256"
    settings.C2PA_TRUST_ANCHORS = str(dev_pki.trust_anchors)
    return settings


def test_signer_config_from_settings(c2pa_settings, signer):
    assert c2pa.SignerConfig.from_settings() == signer


def test_verify_asset_on_a_delivered_file(c2pa_settings, picture, tmp_path, capsys):
    marked = watermark.embed(picture, ASSET)
    signer = c2pa.SignerConfig.from_settings()
    path = tmp_path / "hero.jpg"
    path.write_bytes(sign(encode(marked, "image/jpeg"), "image/jpeg", signer))
    call_command("verify_asset", str(path))
    out = capsys.readouterr().out
    assert "Manifest: valid and trusted (state Trusted)" in out
    assert "Created action: c2pa.created" in out
    assert f"Digital source type: {c2pa.DIGITAL_SOURCE_TYPE}" in out
    assert "Model: krea-2 (weights revision 0123abcd)" in out
    assert f"Watermark: present, asset id prefix {ASSET.hex[:12]}" in out


def test_verify_asset_fails_on_an_unsigned_file(c2pa_settings, picture, tmp_path, capsys):
    path = tmp_path / "plain.png"
    path.write_bytes(encode(picture, "image/png"))
    with pytest.raises(CommandError) as failed:
        call_command("verify_asset", str(path))
    assert failed.value.returncode == 1
    out = capsys.readouterr().out
    assert "Manifest: missing" in out
    assert "Watermark: not detected" in out


def test_verify_asset_fails_on_a_tampered_file(c2pa_settings, original, tmp_path, capsys):
    path = tmp_path / "tampered.png"
    path.write_bytes(flip_image_byte(original, "image/png"))
    with pytest.raises(CommandError):
        call_command("verify_asset", str(path))
    assert "dataHash.mismatch" in capsys.readouterr().out
