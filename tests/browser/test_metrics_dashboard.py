"""A manager reads the metrics dashboard in Chromium: figures, charts, a breakdown,
the CSV; a compliance officer reads every project's in the admin."""

from __future__ import annotations

import pytest
from django.db import connections

from tests.metrics.lineages import reviewed_lineage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, url, username):
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Log in").click()


def test_a_manager_reads_the_dashboard_and_downloads_its_figures(
    live_server,
    browser_page,
    owner,
    member,
    reviewer,
    project,
    draft_route,
    tmp_path,
):
    reviewed_lineage(member, reviewer, project)
    connections.close_all()
    page = browser_page
    _log_in(page, f"{live_server.url}/accounts/login/", "owner")
    page.get_by_role("link", name="Metrics").click()
    page.get_by_role("heading", name="Metrics").wait_for()

    ltaq = page.locator("tr[data-metric='ltaq'] td").first.inner_text()
    assert ltaq.endswith("min") and ltaq.startswith("6")  # an hour from first draft to approval
    assert page.locator("tr[data-metric='iterations'] td").first.inner_text() == "2"
    assert "pass rate 50%" in page.locator("main").inner_text()
    charts = page.get_by_role("img")
    assert charts.count() == 3
    assert page.locator("svg.chart polyline, svg.chart circle").count() >= 2

    page.get_by_label("Break down by").select_option("user")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("columnheader", name="User").wait_for()
    assert page.get_by_role("rowheader", name="member").is_visible()
    page.screenshot(path=str(tmp_path / "metrics.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="jobs").click()
    text = download.value.path().read_text()
    assert text.startswith("job,requested_at,status,project,route,model,template,user,ttf_s")
    assert len(text.strip().splitlines()) == 3


def test_a_compliance_officer_reads_every_project_in_the_admin(
    live_server,
    browser_page,
    compliance_officer,
    member,
    reviewer,
    project,
    draft_route,
):
    reviewed_lineage(member, reviewer, project)
    connections.close_all()
    page = browser_page
    _log_in(page, f"{live_server.url}/admin/login/", "compliance")
    page.get_by_role("link", name="Metrics dashboard").click()
    page.get_by_role("heading", name="Metrics: every project").wait_for()
    assert page.get_by_role("rowheader", name="draft").is_visible()  # grouped by route
    assert page.get_by_role("img").count() == 3
