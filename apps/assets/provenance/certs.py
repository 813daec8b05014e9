"""Signing certificates for C2PA manifests: a development PKI and a pre-flight check.

C2PA validators refuse manifests whose signer certificate breaks the C2PA
certificate profile, but they say so only when the file is *read*, long after
it was delivered. ``check_signing_certificate`` applies the same rules before
anything is signed, so a misconfigured certificate stops the pipeline instead
of producing files that every verifier rejects.

The development PKI is a self-signed root plus one leaf, both ES256 (P-256,
the algorithm every C2PA implementation supports). The root's key is not
written anywhere: a lost development CA is replaced by running the command
again, which is cheaper than protecting a key that signs nothing real.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

# EKUs that c2pa-rs's default trust configuration accepts for claim signing.
ACCEPTED_EKUS: dict[ObjectIdentifier, str] = {
    ObjectIdentifier("1.3.6.1.4.1.62558.2.1"): "c2pa-kp-claimSigning",
    ObjectIdentifier("1.3.6.1.5.5.7.3.36"): "id-kp-documentSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "id-kp-emailProtection",
    ObjectIdentifier("1.3.6.1.4.1.311.76.59.1.9"): "Microsoft C2PA signing",
}
# The leaf carries the C2PA-specific EKU plus emailProtection, which
# validators that predate c2pa-kp-claimSigning still accept.
LEAF_EKUS = (ObjectIdentifier("1.3.6.1.4.1.62558.2.1"), ExtendedKeyUsageOID.EMAIL_PROTECTION)
# The C2PA profile forbids these on a claim signer: a time-stamping or OCSP
# certificate must not be usable to sign content, nor may "any" purpose.
FORBIDDEN_EKUS: dict[ObjectIdentifier, str] = {
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
    ExtendedKeyUsageOID.TIME_STAMPING: "id-kp-timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "id-kp-OCSPSigning",
}

CA_FILE = "ca.pem"
CHAIN_FILE = "signing-chain.pem"
KEY_FILE = "signing-key.pem"
SIGNING_ALG = "es256"

CA_VALIDITY = dt.timedelta(days=5 * 365)
# Short on purpose: without a time-stamp authority a manifest is checked
# against the certificate's validity *now*, so a development leaf that lives
# for ever would hide that every signed file expires with its leaf.
LEAF_VALIDITY = dt.timedelta(days=365)


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


@dataclass(frozen=True)
class DevPki:
    """Paths written by ``write_dev_pki``, named after the settings that take them."""

    trust_anchors: Path
    cert_chain: Path
    key: Path

    def settings(self) -> dict[str, str]:
        return {
            "C2PA_SIGNING_CERT_CHAIN": str(self.cert_chain),
            "C2PA_SIGNING_KEY": str(self.key),
            "C2PA_SIGNING_ALG": SIGNING_ALG,
            "C2PA_TRUST_ANCHORS": str(self.trust_anchors),
        }


def name(common_name: str, organisation: str) -> x509.Name:
    # Some validators refuse a signer without an organisation, so always set O.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "FOR DEVELOPMENT ONLY"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue_certificate(
    subject: x509.Name,
    *,
    issuer: Issued | None = None,
    is_ca: bool = False,
    digital_signature: bool = True,
    ekus: Sequence[ObjectIdentifier] | None = LEAF_EKUS,
    not_before: dt.datetime | None = None,
    validity: dt.timedelta = LEAF_VALIDITY,
) -> Issued:
    """Issue a certificate signed by ``issuer``, or self-signed when it is None.

    Every profile property is a parameter so the tests can build each kind of
    wrong certificate the check must refuse with the same code that builds
    the right one.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.certificate.subject if issuer else subject
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + validity)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=0 if is_ca else None), True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=is_ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), False
        )
    )
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(ekus)), critical=False)
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


def create_dev_pki(organisation: str = "Imprimatur development") -> tuple[Issued, Issued]:
    """A development root CA and a claim-signing leaf it issued."""
    root = issue_certificate(
        name(f"{organisation} root CA", organisation),
        is_ca=True,
        ekus=None,
        validity=CA_VALIDITY,
    )
    leaf = issue_certificate(name(f"{organisation} C2PA signer", organisation), issuer=root)
    return root, leaf


def write_dev_pki(
    directory: Path, organisation: str = "Imprimatur development", *, force: bool = False
) -> DevPki:
    """Write the trust anchor, the signing chain and the leaf key to ``directory``."""
    paths = DevPki(directory / CA_FILE, directory / CHAIN_FILE, directory / KEY_FILE)
    existing = [p for p in (paths.trust_anchors, paths.cert_chain, paths.key) if p.exists()]
    if existing and not force:
        raise FileExistsError(", ".join(str(p) for p in existing))
    root, leaf = create_dev_pki(organisation)
    directory.mkdir(parents=True, exist_ok=True)
    paths.trust_anchors.write_bytes(root.cert_pem)
    paths.cert_chain.write_bytes(leaf.cert_pem + root.cert_pem)
    _write_private(paths.key, leaf.key_pem)
    return paths


def check_signing_certificate(
    cert_chain_pem: str | bytes, *, now: dt.datetime | None = None
) -> list[str]:
    """What makes this chain unfit to sign C2PA manifests; empty when it is fit.

    The first certificate is the signer; the rest must each have issued the
    one before. Trust in the root is not judged here: that is the reader's
    trust list, not a property of the chain.
    """
    data = cert_chain_pem.encode() if isinstance(cert_chain_pem, str) else cert_chain_pem
    try:
        chain = x509.load_pem_x509_certificates(data)
    except ValueError:
        return ["no PEM certificate could be read from the signing chain"]
    leaf = chain[0]
    problems = list(_leaf_problems(leaf, now or dt.datetime.now(dt.UTC)))
    for child, parent in zip(chain, chain[1:], strict=False):
        if not _issued_by(child, parent):
            problems.append(
                f"chain is broken: {parent.subject.rfc4514_string()} did not issue "
                f"{child.subject.rfc4514_string()}"
            )
        if not _is_ca(parent):
            problems.append(f"chain certificate {parent.subject.rfc4514_string()} is not a CA")
    return problems


def check_signing_key(cert_chain_pem: str | bytes, key_pem: str | bytes, alg: str) -> list[str]:
    """What stops ``key_pem`` from signing for the chain's leaf with ``alg``."""
    chain_data = cert_chain_pem.encode() if isinstance(cert_chain_pem, str) else cert_chain_pem
    key_data = key_pem.encode() if isinstance(key_pem, str) else key_pem
    try:
        leaf = x509.load_pem_x509_certificates(chain_data)[0]
        key = serialization.load_pem_private_key(key_data, password=None)
    except (ValueError, TypeError) as exc:
        return [f"signing key could not be read: {exc}"]
    problems = []
    if key.public_key() != leaf.public_key():
        problems.append("signing key does not belong to the signing certificate")
    expected = _KEY_TYPES.get(alg.lower())
    if expected is None:
        problems.append(f"unknown signing algorithm {alg!r}; one of {', '.join(_KEY_TYPES)}")
    elif not expected(key):
        problems.append(f"signing key is of the wrong type for {alg.lower()}")
    return problems


_KEY_TYPES: dict[str, Callable[[Any], bool]] = {
    "es256": lambda k: isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.name == "secp256r1",
    "es384": lambda k: isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.name == "secp384r1",
    "es512": lambda k: isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.name == "secp521r1",
    "ps256": lambda k: isinstance(k, rsa.RSAPrivateKey),
    "ps384": lambda k: isinstance(k, rsa.RSAPrivateKey),
    "ps512": lambda k: isinstance(k, rsa.RSAPrivateKey),
    "ed25519": lambda k: isinstance(k, ed25519.Ed25519PrivateKey),
}


def _leaf_problems(leaf: x509.Certificate, now: dt.datetime) -> Iterable[str]:
    if _is_ca(leaf):
        yield "signing certificate is a CA (BasicConstraints CA:true)"
    if leaf.subject == leaf.issuer and _issued_by(leaf, leaf):
        yield "signing certificate is self-signed"
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        yield "signing certificate has no KeyUsage extension"
    else:
        if not usage.value.digital_signature:
            yield "signing certificate's KeyUsage lacks digitalSignature"
        if not usage.critical:
            yield "signing certificate's KeyUsage is not marked critical"
    try:
        ekus = set(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        ekus = set()
    if not ekus & ACCEPTED_EKUS.keys():
        yield "signing certificate has no accepted ExtendedKeyUsage (one of: {})".format(
            ", ".join(ACCEPTED_EKUS.values())
        )
    for oid in sorted(ekus & FORBIDDEN_EKUS.keys(), key=lambda o: o.dotted_string):
        yield f"signing certificate has the forbidden ExtendedKeyUsage {FORBIDDEN_EKUS[oid]}"
    if now > leaf.not_valid_after_utc:
        yield f"signing certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    if now < leaf.not_valid_before_utc:
        yield f"signing certificate is not valid before {leaf.not_valid_before_utc:%Y-%m-%d} UTC"


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)  # O_CREAT's mode does not apply to an existing file
