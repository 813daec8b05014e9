"""Delivery: the signed original and renditions of an approved asset, and export."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.urls import reverse
from PIL import Image, ImageDraw

from apps.approvals.services import asset_decide, asset_submit, asset_withdraw
from apps.assets.delivery import DEFAULT_PRESETS, renditions_make
from apps.assets.export import assets_export
from apps.assets.models import Rendition
from apps.assets.provenance import c2pa, watermark
from apps.core.exceptions import ApplicationError
from apps.generation.services import GenerationParams, generation_claim, generation_request
from tests.generation.images import complete

pytestmark = pytest.mark.django_db

MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "AVIF": "image/avif"}


def _picture() -> bytes:
    image = Image.new("RGB", (512, 512), (236, 232, 220))
    draw = ImageDraw.Draw(image)
    draw.ellipse((120, 140, 400, 420), fill=(200, 60, 40))
    draw.rectangle((60, 40, 460, 110), fill=(30, 60, 120))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def approved(member, reviewer, project, draft_route):
    params = GenerationParams(route="draft", width=512, height=512, prompt="a red ball")
    job = generation_request(actor=member, project=project, params=params)
    claim = generation_claim(job_id=job.pk, worker="w")
    asset = complete(job_id=job.pk, attempt=claim.attempt, png=_picture())
    asset_submit(actor=member, asset=asset)
    asset_decide(actor=reviewer, asset=asset, verdict="approve")
    asset.refresh_from_db()
    return asset


def test_every_delivered_file_is_watermarked_and_carries_valid_credentials(approved, signing):
    names = renditions_make(asset_id=str(approved.pk))
    assert names == ["original", *(p.name for p in DEFAULT_PRESETS)]
    anchors = signing.trust_anchors.read_text()
    for rendition in Rendition.objects.filter(asset=approved):
        data = rendition.file.read()
        assert hashlib.sha256(data).hexdigest() == rendition.sha256
        report = c2pa.read(data, MIME[rendition.format], trust_anchors_pem=anchors)
        assert report.valid, (rendition.name, report.errors)
        assert report.created and report.digital_source_type == c2pa.DIGITAL_SOURCE_TYPE
        assert report.asset_id == str(approved.pk)
        if rendition.name != "original":
            assert report.ingredients, rendition.name
        assert rendition.source_sha256 == approved.sha256
        found = watermark.detect(Image.open(io.BytesIO(data)))
        assert found.found, (rendition.name, found)


def test_nothing_is_delivered_without_a_signing_certificate(approved, settings):
    settings.C2PA_SIGNING_CERT_CHAIN = ""
    with pytest.raises(ApplicationError, match="could not be signed"):
        renditions_make(asset_id=str(approved.pk))
    assert not Rendition.objects.exists()


def test_unapproved_assets_are_not_delivered(approved, reviewer, signing):
    asset_withdraw(actor=reviewer, asset=approved, comment="Recalled.")
    with pytest.raises(ApplicationError, match="Only approved"):
        renditions_make(asset_id=str(approved.pk))


def test_renditions_are_served_only_while_the_approval_holds(
    client, approved, viewer, reviewer, project, signing
):
    renditions_make(asset_id=str(approved.pk))
    url = reverse("projects:asset-rendition", args=[project.slug, approved.pk, "thumbnail"])
    client.force_login(viewer)
    response = client.get(url)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    asset_withdraw(actor=reviewer, asset=approved, comment="Recalled.")
    assert client.get(url).status_code == 404


def test_export_zip_holds_the_files_and_a_manifest(approved, member, project, signing):
    renditions_make(asset_id=str(approved.pk))
    data = assets_export(
        actor=member,
        project=project,
        asset_ids=[str(approved.pk)],
        renditions=["original", "thumbnail"],
    )
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    (entry,) = manifest["assets"]
    assert entry["asset"] == str(approved.pk) and entry["prompt"] == "a red ball"
    assert entry["license"]["name"] == "Krea 2 Community License"
    assert entry["approval"]["by"] == "reviewer"
    assert entry["approval"]["sha256"] == approved.sha256
    for file in entry["files"]:
        assert hashlib.sha256(archive.read(file["path"])).hexdigest() == file["sha256"]
    assert {f["rendition"] for f in entry["files"]} == {"original", "thumbnail"}


def test_export_refuses_assets_that_are_not_approved(approved, member, project, reviewer, signing):
    from django.core.exceptions import ValidationError

    renditions_make(asset_id=str(approved.pk))
    asset_withdraw(actor=reviewer, asset=approved, comment="Recalled.")
    with pytest.raises(ValidationError, match="Not approved"):
        assets_export(actor=member, project=project, asset_ids=[str(approved.pk)], renditions=[])


def test_export_from_the_gallery(client, approved, viewer, project, signing):
    renditions_make(asset_id=str(approved.pk))
    client.force_login(viewer)
    gallery = client.get(reverse("projects:gallery", args=[project.slug])).content.decode()
    assert 'form="export-form"' in gallery
    response = client.post(
        reverse("projects:export", args=[project.slug]),
        {"asset": [str(approved.pk)], "rendition": ["web-tile"]},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == [f"{approved.pk}/web-tile.avif", "manifest.json"]
