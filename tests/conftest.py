"""Shared fixtures: the owner / member / outsider trio, the tiny model, routes."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from apps.generation.models import ModelRoute, ModelWeights
from apps.generation.services import route_configure
from apps.generation.tiny_model import RAW_DIR, TURBO_DIR, build_tiny_krea2
from apps.generation.weights import weights_register
from apps.projects.models import Role
from apps.projects.services import membership_set

from .factories import ProjectFactory, TemplateFactory, UserFactory, license_weights

TEST_SIZES = [[256, 256], [512, 512], [1024, 1024]]


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def project(owner):
    return ProjectFactory(owner=owner, name="Spring launch", slug="spring")


@pytest.fixture
def member(project):
    """A creator in the project: may generate."""
    user = UserFactory(username="member")
    membership_set(actor=project.created_by, project=project, user=user, role=Role.CREATOR)
    return user


@pytest.fixture
def viewer(project):
    user = UserFactory(username="viewer")
    membership_set(actor=project.created_by, project=project, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def outsider(db):
    """Member of another project only."""
    user = UserFactory(username="outsider")
    ProjectFactory(owner=user, name="Other", slug="other")
    return user


@pytest.fixture
def template(project, owner):
    return TemplateFactory(project=project, actor=owner)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("models")
    build_tiny_krea2(directory)
    return directory


@pytest.fixture(autouse=True)
def policy_defaults(request):
    """The shipped policy defaults, in every test that uses the database.

    The data migration installs them, but tests that flush the database
    (transactional ones) would leave later tests without them.
    """
    names = set(request.fixturenames)
    if not {"db", "transactional_db"} & names:
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    from django.apps import apps

    from apps.policies.gate import prompt_filters
    from apps.policies.seeding import install_defaults, install_lexicon_if_empty

    install_defaults(apps.get_model)
    install_lexicon_if_empty(apps.get_model)
    prompt_filters.clear()


@pytest.fixture
def organisation(db):
    """A company under the community license's thresholds."""
    from apps.policies.gate import organisation as current
    from apps.policies.services import policy_save

    profile = current()
    profile.name, profile.annual_revenue_usd, profile.employees = "Acme", 500_000, 40
    policy_save(actor=None, instance=profile)
    return profile


@pytest.fixture
def krea_license(db, organisation):
    from apps.policies.models import CommercialUse, ModelLicense
    from apps.policies.services import policy_save

    lic = ModelLicense(
        name="Krea 2 Community License",
        license_version="1.0",
        commercial_use=CommercialUse.CONDITIONAL,
        max_annual_revenue_usd=1_000_000,
        max_employees=None,
        text="(license text)",
    )
    policy_save(actor=None, instance=lic)
    return lic


@pytest.fixture
def turbo_weights(db, tiny_model_dir, krea_license) -> ModelWeights:
    weights = weights_register(name=TURBO_DIR, path=tiny_model_dir / TURBO_DIR, revision="tiny")
    return license_weights(weights, krea_license)


@pytest.fixture
def raw_weights(db, tiny_model_dir, krea_license) -> ModelWeights:
    weights = weights_register(name=RAW_DIR, path=tiny_model_dir / RAW_DIR, revision="tiny")
    return license_weights(weights, krea_license)


@pytest.fixture
def queue_suffix() -> str:
    """Unique queue names per test, so no message from another test or run is consumed."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def draft_route(turbo_weights, queue_suffix) -> ModelRoute:
    return route_configure(
        name="draft", weights=turbo_weights, sizes=TEST_SIZES, queue=f"gpu-draft-{queue_suffix}"
    )


@pytest.fixture
def final_route(raw_weights, queue_suffix) -> ModelRoute:
    return route_configure(
        name="final", weights=raw_weights, sizes=TEST_SIZES, queue=f"gpu-final-{queue_suffix}"
    )


@pytest.fixture
def reviewer(project):
    user = UserFactory(username="reviewer")
    membership_set(actor=project.created_by, project=project, user=user, role=Role.REVIEWER)
    return user


@pytest.fixture
def compliance_officer(db):
    """Staff in the Compliance officers group, member of no project."""
    from django.contrib.auth.models import Group

    from apps.accounts.groups import COMPLIANCE_OFFICERS

    user = UserFactory(username="compliance", is_staff=True)
    user.groups.add(Group.objects.get(name=COMPLIANCE_OFFICERS))
    return user


@pytest.fixture(scope="session")
def signing_pki(tmp_path_factory):
    """A development CA and C2PA signing leaf, made once per test session."""
    from apps.assets.provenance.certs import write_dev_pki

    return write_dev_pki(tmp_path_factory.mktemp("signing"))


@pytest.fixture
def signing(settings, signing_pki):
    """Delivery is configured: renditions and originals can be signed."""
    settings.C2PA_SIGNING_CERT_CHAIN = str(signing_pki.cert_chain)
    settings.C2PA_SIGNING_KEY = str(signing_pki.key)
    settings.C2PA_TRUST_ANCHORS = str(signing_pki.trust_anchors)
    return signing_pki
