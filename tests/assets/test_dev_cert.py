"""The development PKI and the certificate check that guards signing."""

from __future__ import annotations

import datetime as dt
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import CommandError, call_command

from apps.assets.provenance import certs

CLAIM_SIGNING = x509.ObjectIdentifier("1.3.6.1.4.1.62558.2.1")


@pytest.fixture(scope="module")
def root() -> certs.Issued:
    return certs.issue_certificate(
        certs.name("Test root", "Test"), is_ca=True, ekus=None, validity=certs.CA_VALIDITY
    )


def chain(leaf: certs.Issued, root: certs.Issued | None) -> bytes:
    return leaf.cert_pem + (root.cert_pem if root else b"")


def leaf_of(root: certs.Issued, **options) -> certs.Issued:
    return certs.issue_certificate(certs.name("Test signer", "Test"), issuer=root, **options)


def test_command_writes_the_pki_and_prints_the_settings(tmp_path, capsys):
    call_command("c2pa_dev_cert", str(tmp_path / "pki"))
    out = capsys.readouterr().out
    directory = tmp_path / "pki"
    for setting, value in [
        ("C2PA_SIGNING_CERT_CHAIN", directory / certs.CHAIN_FILE),
        ("C2PA_SIGNING_KEY", directory / certs.KEY_FILE),
        ("C2PA_SIGNING_ALG", "es256"),
        ("C2PA_TRUST_ANCHORS", directory / certs.CA_FILE),
    ]:
        assert f"{setting}={value}" in out
    assert stat.S_IMODE((directory / certs.KEY_FILE).stat().st_mode) == 0o600

    ca, *rest = x509.load_pem_x509_certificates((directory / certs.CA_FILE).read_bytes())
    assert not rest
    leaf, issuer = x509.load_pem_x509_certificates((directory / certs.CHAIN_FILE).read_bytes())
    assert issuer == ca
    assert certs.check_signing_certificate((directory / certs.CHAIN_FILE).read_bytes()) == []

    ca_ext = ca.extensions
    assert ca_ext.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca_ext.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert ca.subject == ca.issuer

    ext = leaf.extensions
    assert not ext.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = ext.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    ekus = set(ext.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert CLAIM_SIGNING in ekus and ExtendedKeyUsageOID.TIME_STAMPING not in ekus
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    ca_ski = ca_ext.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert aki == ca_ski
    assert ext.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)
    assert leaf.public_key().curve.name == "secp256r1"
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= dt.timedelta(days=400)


def test_command_refuses_to_overwrite_without_force(tmp_path):
    call_command("c2pa_dev_cert", str(tmp_path))
    before = (tmp_path / certs.KEY_FILE).read_bytes()
    with pytest.raises(CommandError, match="--force"):
        call_command("c2pa_dev_cert", str(tmp_path))
    assert (tmp_path / certs.KEY_FILE).read_bytes() == before
    call_command("c2pa_dev_cert", str(tmp_path), "--force")
    assert (tmp_path / certs.KEY_FILE).read_bytes() != before


def test_a_proper_leaf_passes(root):
    assert certs.check_signing_certificate(chain(leaf_of(root), root)) == []
    for eku in certs.ACCEPTED_EKUS:
        assert certs.check_signing_certificate(chain(leaf_of(root, ekus=[eku]), root)) == []


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"is_ca": True}, "is a CA"),
        ({"digital_signature": False}, "lacks digitalSignature"),
        ({"ekus": None}, "no accepted ExtendedKeyUsage"),
        ({"ekus": [ExtendedKeyUsageOID.CODE_SIGNING]}, "no accepted ExtendedKeyUsage"),
        ({"ekus": [CLAIM_SIGNING, ExtendedKeyUsageOID.TIME_STAMPING]}, "id-kp-timeStamping"),
        ({"ekus": [ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE]}, "anyExtendedKeyUsage"),
        ({"not_before": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "expired"),
        ({"not_before": dt.datetime.now(dt.UTC) + dt.timedelta(days=2)}, "not valid before"),
    ],
)
def test_bad_leaves_are_refused(root, options, problem):
    problems = certs.check_signing_certificate(chain(leaf_of(root, **options), root))
    assert any(problem in p for p in problems), problems


def test_self_signed_leaf_is_refused():
    leaf = certs.issue_certificate(certs.name("Lonely signer", "Test"))
    problems = certs.check_signing_certificate(chain(leaf, None))
    assert any("self-signed" in p for p in problems)


def test_chain_must_link_up(root):
    stranger = certs.issue_certificate(
        certs.name("Other root", "Other"), is_ca=True, ekus=None, validity=certs.CA_VALIDITY
    )
    problems = certs.check_signing_certificate(chain(leaf_of(root), stranger))
    assert any("chain is broken" in p for p in problems)


def test_garbage_is_refused_not_raised():
    assert certs.check_signing_certificate("not a certificate") != []


def test_key_must_match_leaf_and_algorithm(root):
    leaf, other = leaf_of(root), leaf_of(root)
    pem = chain(leaf, root)
    assert certs.check_signing_key(pem, leaf.key_pem, "es256") == []
    assert any("does not belong" in p for p in certs.check_signing_key(pem, other.key_pem, "es256"))
    assert any(
        "wrong type for es384" in p for p in certs.check_signing_key(pem, leaf.key_pem, "es384")
    )
    assert any("unknown" in p for p in certs.check_signing_key(pem, leaf.key_pem, "md5"))
