"""Share links: approved assets only, hashed tokens, expiry, download limits,
revocation (also on withdrawal), every access audited, safe responses."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.approvals.services import asset_decide, asset_submit, asset_withdraw
from apps.assets.models import ShareLink
from apps.assets.sharing import share_link_create, share_link_revoke
from apps.audit.models import AuditEvent
from apps.core.exceptions import ApplicationError, PermissionDenied
from apps.generation.services import GenerationParams, generation_claim, generation_request
from tests.generation.images import complete, deliver, picture_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset(member, project, draft_route):
    params = GenerationParams(route="draft", width=256, height=256, prompt="a shoe")
    job = generation_request(actor=member, project=project, params=params)
    claim = generation_claim(job_id=job.pk, worker="w")
    return complete(job_id=job.pk, attempt=claim.attempt, png=picture_png())


@pytest.fixture
def approved(asset, member, reviewer, signing):
    asset_submit(actor=member, asset=asset)
    asset_decide(actor=reviewer, asset=asset, verdict="approve")
    asset.refresh_from_db()
    return deliver(asset)


def _share(user, asset, **kwargs):
    return share_link_create(actor=user, asset=asset, **kwargs)


def test_only_approved_assets_can_be_shared(asset, member):
    with pytest.raises(ApplicationError, match="Only approved"):
        _share(member, asset)


def test_the_token_is_long_shown_once_and_stored_only_as_a_hash(approved, member):
    new = _share(member, approved)
    assert len(new.token) >= 43  # 256 bits, URL-safe base64
    link = ShareLink.objects.get()
    assert link.token_sha256 == hashlib.sha256(new.token.encode()).hexdigest()
    assert new.token not in str(ShareLink.objects.values().get())
    event = AuditEvent.objects.get(action="share_link.create")
    assert new.token not in str(event.payload)


def test_the_public_page_shows_the_image_and_its_credentials_safely(client, approved, member):
    token = _share(member, approved, label="Agency preview").token
    page = client.get(reverse("share-page", args=[token]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Agency preview" in html and "trainedAlgorithmicMedia" in html
    assert "Valid, signed by Imprimatur development C2PA signer" in html
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "no-referrer"
    file = client.get(reverse("share-file", args=[token]) + "?download=1")
    assert file.status_code == 200 and file["X-Content-Type-Options"] == "nosniff"
    assert file["Content-Disposition"] == f'attachment; filename="spring-{approved.pk}.png"'


def test_download_limit_is_enforced_and_counted(client, approved, member):
    token = _share(member, approved, max_downloads=2).token
    url = reverse("share-file", args=[token]) + "?download=1"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 404]
    assert ShareLink.objects.get().downloads == 2
    outcomes = AuditEvent.objects.filter(action="share_link.access").order_by("sequence")
    assert [e.payload["allowed"] for e in outcomes] == [True, True, False]
    assert outcomes.last().payload["reason"] == "download limit reached"


def test_expired_and_revoked_links_stop_working(client, approved, member, outsider):
    expired = _share(member, approved).token
    ShareLink.objects.filter(prefix=expired[:8]).update(expires_at=timezone.now() - dt.timedelta(1))
    assert client.get(reverse("share-page", args=[expired])).status_code == 404

    new = _share(member, approved)
    with pytest.raises(PermissionDenied):
        share_link_revoke(actor=outsider, link=new.link)
    assert share_link_revoke(actor=member, link=new.link, reason="Sent to the wrong agency.")
    response = client.get(reverse("share-page", args=[new.token]))
    assert response.status_code == 404 and b"not available" in response.content
    assert AuditEvent.objects.filter(action="share_link.revoke").count() == 1


def test_withdrawing_the_approval_revokes_every_link(
    client, approved, member, reviewer, django_capture_on_commit_callbacks
):
    token = _share(member, approved).token
    with django_capture_on_commit_callbacks(execute=True):
        asset_withdraw(actor=reviewer, asset=approved, comment="Recalled.")
    link = ShareLink.objects.get()
    assert link.revoked_at is not None and "withdrawn" in link.revoke_reason
    assert client.get(reverse("share-file", args=[token])).status_code == 404


def test_a_changed_file_is_never_served_by_a_link(client, approved, member):
    token = _share(member, approved).token
    with open(approved.file.path, "ab") as fh:
        fh.write(b"x")
    assert client.get(reverse("share-file", args=[token])).status_code == 404
    event = AuditEvent.objects.filter(action="share_link.access").order_by("sequence").last()
    assert event.payload["reason"] == "asset not approved"


def test_unknown_tokens_get_the_same_neutral_page(client, db):
    response = client.get(reverse("share-page", args=["x" * 43]))
    assert response.status_code == 404 and b"not available" in response.content


def test_portal_creates_and_revokes_links(client, approved, member, project):
    client.force_login(member)
    response = client.post(
        reverse("projects:asset-share", args=[project.slug, approved.pk]),
        {"expires_in_days": 3, "label": "Partner"},
        follow=True,
    )
    assert "shown once" in response.content.decode()
    link = ShareLink.objects.get()
    client.post(reverse("projects:asset-share-revoke", args=[project.slug, approved.pk, link.pk]))
    link.refresh_from_db()
    assert link.revoked_at is not None
