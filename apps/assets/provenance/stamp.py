"""Signing for delivery: the asset's facts in, a signed file and a short report out.

Any failure to sign raises ApplicationError, so the delivery stops and
nothing unsigned is stored (fail closed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from apps.core.exceptions import ApplicationError

from . import c2pa

if TYPE_CHECKING:
    from apps.assets.models import Asset

MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "AVIF": "image/avif"}
GENERATOR = "Imprimatur 0.1"


def sign_delivery(
    *, data: bytes, fmt: str, asset: Asset, title: str, ingredient: bytes | None = None
) -> tuple[bytes, dict[str, Any]]:
    try:
        signer = c2pa.SignerConfig.from_settings()
        signed = c2pa.sign(
            data,
            MIME[fmt],
            title=title,
            asset_id=str(asset.pk),
            model_name=asset.job.model_name or asset.job.route.weights.name,
            weights_revision=asset.job.weights_revision or asset.job.route.weights.revision,
            generator=GENERATOR,
            signer=signer,
            ingredient=ingredient,
            ingredient_format=MIME["PNG"] if ingredient is not None else None,
        )
    except (ImproperlyConfigured, c2pa.ProvenanceError) as exc:
        raise ApplicationError(f"Content credentials could not be signed: {exc}") from exc
    report = {
        "c2pa": "signed",
        "watermark": "embedded",
        "digital_source_type": c2pa.DIGITAL_SOURCE_TYPE,
        "ingredient": "original" if ingredient is not None else None,
        "signer": signer.chain_pem.count("BEGIN CERTIFICATE") and "configured certificate",
    }
    return signed, report
