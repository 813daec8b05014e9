"""Signed C2PA manifests for delivered files, and reading them back.

An original gets one manifest: a ``c2pa.created`` action whose
digitalSourceType is IPTC's ``trainedAlgorithmicMedia`` (the Art. 50 "this
was generated" statement), the model and its weights revision as the action's
software agent, and an ``com.imprimatur.generation`` assertion carrying the
asset id. A rendition gets its own manifest with the signed original as its
``parentOf`` ingredient and the actions ``c2pa.opened`` (the original) and
``c2pa.transcoded``: C2PA defines that as a re-encoding including resolution
scaling and format change, with no editorial change, which is what a
rendition is. The created action stays on the original, so a reader follows
the ingredient chain to find it (``read`` does).

No time-stamp authority is reachable, so manifests are signed without one.
The consequence: a validator checks the signing certificate against the time
of *validation*, not of signing, so every file signed with a leaf reads as
``Invalid`` (``signingCredential.expired``) from the day that leaf expires,
and the signing time in the manifest is merely claimed. Production needs a
TSA (``SignerConfig.tsa_url``) or re-signing before the leaf expires.

Formats: c2pa-python 0.38.1 (c2pa-rs 0.91.3) embeds manifests in PNG, JPEG,
WebP and AVIF (and others this project does not deliver). Manifest
thumbnails are turned off: they would add a re-encode to every signature.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import c2pa as sdk
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import certs

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
GENERATION_LABEL = "com.imprimatur.generation"
FORMATS = ("image/png", "image/jpeg", "image/webp", "image/avif")
CREATED = "c2pa.created"
RENDITION_ACTION = "c2pa.transcoded"
_PARENT_LABEL = "parent"


class ProvenanceError(Exception):
    """Signing could not produce a manifest."""


class SigningRefused(ProvenanceError):
    """The configured certificate or key must not sign; ``problems`` says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SignerConfig:
    """What signs. ``trust_anchors_pem`` lets signing judge a rendition's ingredient."""

    chain_pem: str
    key_pem: str
    alg: str = certs.SIGNING_ALG
    tsa_url: str | None = None
    trust_anchors_pem: str | None = None

    @classmethod
    def from_settings(cls) -> SignerConfig:
        chain = getattr(settings, "C2PA_SIGNING_CERT_CHAIN", "")
        key = getattr(settings, "C2PA_SIGNING_KEY", "")
        if not chain or not key:
            raise ImproperlyConfigured(
                "C2PA_SIGNING_CERT_CHAIN and C2PA_SIGNING_KEY must name PEM files "
                "(python manage.py c2pa_dev_cert DIR makes a development pair)"
            )
        try:
            return cls(
                chain_pem=Path(chain).read_text(),
                key_pem=Path(key).read_text(),
                alg=getattr(settings, "C2PA_SIGNING_ALG", "") or certs.SIGNING_ALG,
                tsa_url=getattr(settings, "C2PA_TSA_URL", "") or None,
                trust_anchors_pem=trust_anchors_from_settings(),
            )
        except OSError as exc:
            raise ImproperlyConfigured(f"C2PA signing files unreadable: {exc}") from exc


@dataclass(frozen=True)
class IngredientReport:
    title: str
    relationship: str
    format: str | None
    manifest: str | None  # label of the ingredient's own manifest, when it had one
    sha256: str | None  # of the ingredient file, as recorded by ``sign``


@dataclass(frozen=True)
class ManifestReport:
    """What a file's manifest store says, and whether it can be believed.

    ``valid`` means the store validated *and* its signer chains to one of the
    given trust anchors (c2pa's "Trusted"); "Valid" alone only says the
    signature is intact, which anyone with any certificate can achieve.
    """

    present: bool
    valid: bool
    validation_state: str | None
    errors: list[str] = field(default_factory=list)
    title: str | None = None
    actions: list[str] = field(default_factory=list)
    created: bool = False  # a c2pa.created action in this manifest or its parents
    digital_source_type: str | None = None
    asset_id: str | None = None
    model_name: str | None = None
    weights_revision: str | None = None
    generator: str | None = None
    ingredients: list[IngredientReport] = field(default_factory=list)
    signer_common_name: str | None = None
    signer_issuer: str | None = None
    signed_at: str | None = None  # only with a time-stamp authority


def trust_anchors_from_settings() -> str | None:
    path = getattr(settings, "C2PA_TRUST_ANCHORS", "")
    try:
        return Path(path).read_text() if path else None
    except OSError as exc:
        raise ImproperlyConfigured(f"C2PA_TRUST_ANCHORS unreadable: {exc}") from exc


def sign(
    data: bytes,
    fmt: str,
    *,
    title: str,
    asset_id: uuid.UUID | str,
    model_name: str,
    weights_revision: str,
    generator: str,
    signer: SignerConfig,
    ingredient: bytes | None = None,
    ingredient_format: str | None = None,
) -> bytes:
    """Return ``data`` with a signed manifest embedded.

    With ``ingredient`` (the signed original) this is a rendition manifest;
    without, an original's. Raises ``SigningRefused`` before touching the
    file when the certificate, key or ingredient must not be used.
    """
    problems = certs.check_signing_certificate(signer.chain_pem)
    problems += certs.check_signing_key(signer.chain_pem, signer.key_pem, signer.alg)
    if problems:
        raise SigningRefused(problems)
    if fmt not in FORMATS:
        raise ValueError(f"cannot sign {fmt}; supported: {', '.join(FORMATS)}")
    name, _, version = generator.partition(" ")
    generation: dict[str, Any] = {
        "asset_id": str(asset_id),
        "model": model_name,
        "weights_revision": weights_revision,
    }
    if ingredient is None:
        parent_title = ""
        actions: list[dict[str, Any]] = [
            {
                "action": CREATED,
                "digitalSourceType": DIGITAL_SOURCE_TYPE,
                "softwareAgent": {"name": model_name, "version": weights_revision},
            }
        ]
    else:
        parent_title = _check_parent(ingredient, ingredient_format, signer.trust_anchors_pem)
        generation["parent_sha256"] = hashlib.sha256(ingredient).hexdigest()
        actions = [
            {"action": "c2pa.opened", "parameters": {"ingredientIds": [_PARENT_LABEL]}},
            {"action": RENDITION_ACTION},
        ]
    manifest = {
        "claim_generator_info": [{"name": name, "version": version or "unknown"}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": actions}},
            {"label": GENERATION_LABEL, "data": generation},
        ],
    }
    info = sdk.C2paSignerInfo(
        signer.alg.lower().encode(),
        signer.chain_pem.encode(),
        signer.key_pem.encode(),
        signer.tsa_url.encode() if signer.tsa_url else None,
    )
    out = io.BytesIO()
    try:
        with (
            sdk.Context.from_dict(_settings(signer.trust_anchors_pem, signing=True)) as context,
            sdk.Signer.from_info(info) as c2pa_signer,
            sdk.Builder(manifest, context=context) as builder,
        ):
            if ingredient is not None:
                builder.add_ingredient(
                    {"title": parent_title, "relationship": "parentOf", "label": _PARENT_LABEL},
                    ingredient_format,
                    io.BytesIO(ingredient),
                )
            builder.sign(c2pa_signer, fmt, io.BytesIO(data), out)
    except sdk.C2paError as exc:
        raise ProvenanceError(str(exc)) from exc
    return out.getvalue()


def read(data: bytes, fmt: str, *, trust_anchors_pem: str | None) -> ManifestReport:
    """Validate ``data``'s manifest store against ``trust_anchors_pem``.

    Never raises for a bad file: a damaged or forged file is a result to
    report, not an error, and callers (the verify command, audits) need the
    report either way.
    """
    try:
        with sdk.Context.from_dict(_settings(trust_anchors_pem)) as context:
            reader = sdk.Reader.try_create(fmt, io.BytesIO(data), None, context)
            if reader is None:
                return ManifestReport(
                    present=False, valid=False, validation_state=None, errors=["no C2PA manifest"]
                )
            with reader:
                store = json.loads(reader.json())
                state = reader.get_validation_state()
    except sdk.C2paError as exc:
        # Not parseable as ``fmt`` at all: whether it ever had a manifest is unknowable.
        return ManifestReport(
            present=False,
            valid=False,
            validation_state=None,
            errors=[f"not readable as {fmt}: {exc}"],
        )
    return _report(store, state)


def _check_parent(ingredient: bytes, fmt: str | None, trust_anchors_pem: str | None) -> str:
    """The parent's title, once it is known to carry an intact (and trusted) manifest.

    c2pa-rs would embed a broken parent and merely record its failures; a
    rendition chained to an unverifiable original is not worth delivering.
    """
    if fmt not in FORMATS:
        raise ValueError(f"ingredient_format must be one of {', '.join(FORMATS)}")
    parent = read(ingredient, fmt, trust_anchors_pem=trust_anchors_pem)
    if not parent.present or parent.validation_state == "Invalid":
        raise SigningRefused(["ingredient has no intact manifest", *parent.errors])
    if trust_anchors_pem and not parent.valid:
        raise SigningRefused(["ingredient's manifest is not trusted", *parent.errors])
    return parent.title or "original"


def _settings(trust_anchors_pem: str | None, *, signing: bool = False) -> dict[str, Any]:
    # The EKU list is explicit because without it c2pa-rs accepts only
    # emailProtection and refuses c2pa-kp-claimSigning-only signers.
    trust: dict[str, Any] = {
        "trust_config": "".join(f"{oid.dotted_string}\n" for oid in certs.ACCEPTED_EKUS)
    }
    if trust_anchors_pem:
        trust["trust_anchors"] = trust_anchors_pem
    config: dict[str, Any] = {
        "trust": trust,
        # Offline by design: no remote manifests, no OCSP.
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False, "verify_trust": True},
    }
    if signing:
        config["builder"] = {"thumbnail": {"enabled": False}}
    return config


def _report(store: dict[str, Any], state: str | None) -> ManifestReport:
    manifests: dict[str, Any] = store.get("manifests", {})
    active = manifests.get(store.get("active_manifest", ""), {})
    results = store.get("validation_results", {})
    errors = [_failure(f) for f in results.get("activeManifest", {}).get("failure", [])]
    for delta in results.get("ingredientDeltas", []):
        errors += [
            f"ingredient: {_failure(f)}"
            for f in delta.get("validationDeltas", {}).get("failure", [])
        ]
    generation = _assertion(active, GENERATION_LABEL) or {}
    created = _find_created(active, manifests)
    info = (active.get("claim_generator_info") or [{}])[0]
    signature = active.get("signature_info", {})
    ingredients = [
        IngredientReport(
            title=ing.get("title", ""),
            relationship=ing.get("relationship", ""),
            format=ing.get("format"),
            manifest=ing.get("active_manifest"),
            # Only the parent's bytes are recorded (by ``sign``, in our assertion).
            sha256=generation.get("parent_sha256")
            if ing.get("relationship") == "parentOf"
            else None,
        )
        for ing in active.get("ingredients", [])
    ]
    return ManifestReport(
        present=True,
        valid=state == "Trusted" and not errors,
        validation_state=state,
        errors=errors,
        title=active.get("title"),
        actions=[a.get("action", "") for a in _actions(active)],
        created=created is not None,
        digital_source_type=created.get("digitalSourceType") if created else None,
        asset_id=generation.get("asset_id"),
        model_name=generation.get("model"),
        weights_revision=generation.get("weights_revision"),
        generator=" ".join(filter(None, (info.get("name"), info.get("version")))) or None,
        ingredients=ingredients,
        signer_common_name=signature.get("common_name"),
        signer_issuer=signature.get("issuer"),
        signed_at=signature.get("time"),
    )


def _failure(item: dict[str, Any]) -> str:
    code, text = item.get("code", "?"), item.get("explanation")
    return f"{code}: {text}" if text else str(code)


def _assertion(manifest: dict[str, Any], label: str) -> dict[str, Any] | None:
    for assertion in manifest.get("assertions", []):
        if assertion.get("label") == label:
            data: dict[str, Any] = assertion.get("data", {})
            return data
    return None


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    actions = _assertion(manifest, "c2pa.actions.v2") or _assertion(manifest, "c2pa.actions")
    return list((actions or {}).get("actions", []))


def _find_created(
    manifest: dict[str, Any], manifests: dict[str, Any], depth: int = 0
) -> dict[str, Any] | None:
    """The created action of this manifest or, through parentOf ingredients, its origin."""
    for action in _actions(manifest):
        if action.get("action") == CREATED:
            return action
    if depth > 8:  # a real chain is original -> rendition; this bounds forged loops
        return None
    for ing in manifest.get("ingredients", []):
        parent = manifests.get(ing.get("active_manifest") or "")
        if ing.get("relationship") == "parentOf" and parent:
            return _find_created(parent, manifests, depth + 1)
    return None
