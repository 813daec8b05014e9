"""A creator logs in, generates, watches the progress bar move and sees the image, in Chromium."""

from __future__ import annotations

import time

import pytest
from django.db import connections
from playwright.sync_api import Error as PlaywrightError

from apps.generation.models import GenerationJob, JobStatus
from tests.workers import delete_queues, start_worker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


def test_creator_generates_and_watches_progress_until_the_image_appears(
    live_server, browser_page, member, project, draft_route, template, tmp_path
):
    # Enough steps at 1024x1024 that the tiny model takes a few seconds.
    draft_route.steps, draft_route.max_steps = 40, 40
    draft_route.save()
    worker = start_worker([draft_route.queue], "gpu-browser", tmp_path)
    page = browser_page
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("member")
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Spring launch").click()
        page.get_by_role("link", name="Generate", exact=True).click()

        page.get_by_label("Product").fill("ceramic mug")
        page.get_by_label("Surface").fill("oak table")
        page.get_by_label("Route").select_option("draft")
        page.get_by_label("Size").fill("1024x1024")
        page.get_by_label("Seed").fill("11")
        page.get_by_role("button", name="Generate").click()
        page.wait_for_url("**/jobs/**")

        seen: list[int] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                seen.append(page.evaluate("document.getElementById('job-progress').value"))
                if page.locator("#job-image").is_visible():
                    break
            except PlaywrightError:
                pass  # the page reloads itself once the job is done
            page.wait_for_timeout(100)
        # Finished while open: the page reloads to show the review section.
        page.get_by_role("heading", name="Review").wait_for()

        page.wait_for_function(
            "document.getElementById('job-image').complete"
            " && document.getElementById('job-image').naturalWidth === 1024"
        )
        page.screenshot(path=str(tmp_path / "job.png"))
    finally:
        worker.stop()
        delete_queues([draft_route.queue])

    try:
        job = GenerationJob.objects.get()
    finally:
        # Playwright runs this test inside a greenlet, where the ORM opens its
        # own connection that pytest-django does not know to close.
        connections.close_all()
    assert job.status == JobStatus.SUCCEEDED
    assert job.prompt == "Photo of ceramic mug on a oak table"
    assert any(0 < value < 100 for value in seen), seen  # it moved while running
    assert seen == sorted(seen)  # and never went backwards
    assert page.evaluate("document.getElementById('job-progress').value") == 100
    assert page.locator("#job-status").inner_text() == "Succeeded"
    assert page.get_by_role("button", name="Submit for review").is_visible()
