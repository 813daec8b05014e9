"""Review queue, gallery filters and side-by-side compare."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.approvals.services import asset_submit
from apps.generation.services import GenerationParams, generation_claim, generation_request
from tests.generation.images import complete, tiny_png

pytestmark = pytest.mark.django_db


def _asset(user, project, route="draft", seed=1):
    params = GenerationParams(route=route, width=256, height=256, prompt="a shoe", seed=seed)
    job = generation_request(actor=user, project=project, params=params)
    claim = generation_claim(job_id=job.pk, worker="w")
    return complete(job_id=job.pk, attempt=claim.attempt, png=tiny_png())


def test_the_review_queue_lists_what_others_submitted(
    client, member, reviewer, project, draft_route
):
    mine = _asset(reviewer, project)
    theirs = _asset(member, project)
    untouched = _asset(member, project)
    asset_submit(actor=reviewer, asset=mine)
    asset_submit(actor=member, asset=theirs)
    client.force_login(reviewer)
    html = client.get(reverse("projects:review-queue", args=[project.slug])).content.decode()
    assert str(theirs.pk) in html
    assert str(mine.pk) not in html and str(untouched.pk) not in html
    client.force_login(member)
    assert client.get(reverse("projects:review-queue", args=[project.slug])).status_code == 403


def test_gallery_filters_by_state_route_and_creator(
    client, member, owner, project, draft_route, final_route
):
    draft = _asset(member, project)
    final = _asset(owner, project, route="final")
    asset_submit(actor=owner, asset=final)
    client.force_login(owner)
    url = reverse("projects:gallery", args=[project.slug])

    def shown(**query):
        html = client.get(url, query).content.decode()
        return {a for a in (draft, final) if str(a.pk) in html}

    assert shown() == {draft, final}
    assert shown(state="in_review") == {final}
    assert shown(route=draft_route.pk) == {draft}
    assert shown(creator=member.pk) == {draft}


def test_compare_shows_two_versions_and_what_differs(
    client, member, project, draft_route, outsider
):
    a, b = _asset(member, project, seed=1), _asset(member, project, seed=2)
    client.force_login(member)
    url = reverse("projects:compare", args=[project.slug])
    response = client.get(url, {"a": a.pk, "b": b.pk})
    assert response.status_code == 200
    differing = [label for label, _values, differs in response.context["rows"] if differs]
    assert differing == ["Seed"]
    client.force_login(outsider)
    assert client.get(url, {"a": a.pk, "b": b.pk}).status_code == 404
