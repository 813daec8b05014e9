"""The metric definitions on lineages built by hand: what a manager reads on
the dashboard must mean what the README says it means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apps.metrics.definitions import (
    Lineage,
    asset_figures,
    job_figures,
    pass_rate,
    percentile,
    review_from_transitions,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_job_stages_and_ttf_only_for_a_visible_image():
    job = {
        "status": "succeeded",
        "created_at": at(0),
        "started_at": at(0.5),
        "first_image_at": at(1.5),
        "finished_at": at(1.6),
    }
    figures = job_figures(job)
    assert (figures.queue_wait, figures.run) == (30, 60)
    assert round(figures.store, 3) == 6 and round(figures.ttf, 3) == 96
    refused = job_figures(job | {"status": "refused", "first_image_at": None})
    assert refused.ttf is None and refused.store is None and refused.queue_wait == 30
    queued = job_figures(job | {"status": "queued", "started_at": None, "finished_at": None})
    assert queued == type(figures)(ttf=None, queue_wait=None, run=None, store=None)


def _lineage() -> Lineage:
    """draft A (t=0) -> changes requested -> B regenerated from A (t=30) -> approved at t=90;
    a branch C from A (t=40) was abandoned; a job from A at t=50 was refused (no asset);
    D regenerated from B after B's approval (t=100) does not count for B."""
    lineage = Lineage()
    lineage.parent = {"A": None, "B": "A", "C": "A", "D": "B", "X": None}
    lineage.requested_at = {"A": at(0), "B": at(30), "C": at(40), "D": at(100), "X": at(5)}
    lineage.children_jobs = {"A": [at(30), at(40), at(50)], "B": [at(100)]}
    return lineage


def test_ltaq_runs_from_the_first_request_in_the_lineage_and_iterations_count_every_try():
    lineage = _lineage()
    review = review_from_transitions([("in_review", at(60)), ("approved", at(90))], at(91))
    figures = asset_figures("B", review, lineage)
    assert figures.ltaq == 90 * 60  # from A's request, not B's
    assert figures.cycle == 60 * 60  # B's own request to its approval
    assert figures.review_wait == 30 * 60
    assert figures.delivery == 60
    # A, B, the abandoned C and the refused try; not D, made after the approval.
    assert figures.iterations == 4
    assert figures.passed is True


def test_a_rejected_or_changed_asset_does_not_pass_even_if_approved_later():
    lineage = _lineage()
    changed_then_approved = review_from_transitions(
        [
            ("in_review", at(10)),
            ("changes_requested", at(20)),
            ("in_review", at(25)),
            ("approved", at(35)),
        ]
    )
    figures = asset_figures("A", changed_then_approved, lineage)
    assert figures.passed is False and figures.approved
    assert figures.review_wait == 10 * 60  # to the first decision
    assert figures.delivery is None  # never delivered
    rejected = asset_figures(
        "X", review_from_transitions([("in_review", at(6)), ("rejected", at(8))]), lineage
    )
    assert rejected.passed is False and rejected.ltaq is None and rejected.iterations is None
    undecided = asset_figures("C", review_from_transitions([("in_review", at(41))]), lineage)
    assert not undecided.decided and undecided.passed is None
    assert pass_rate([figures, rejected, undecided]) == 0
    approved = asset_figures(
        "B", review_from_transitions([("in_review", at(60)), ("approved", at(90))]), lineage
    )
    assert pass_rate([figures, rejected, undecided, approved]) == 1 / 3


def test_a_cycle_in_broken_lineage_data_does_not_hang():
    lineage = Lineage(parent={"A": "B", "B": "A"}, requested_at={"A": at(0), "B": at(1)})
    review = review_from_transitions([("approved", at(5))])
    assert asset_figures("A", review, lineage).iterations == 1


def test_percentiles_interpolate_like_numpy():
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile(list(map(float, range(1, 11))), 0.9) == 9.1


def test_names_in_the_csv_cannot_run_as_spreadsheet_formulas():
    from apps.metrics.definitions import JobFigures
    from apps.metrics.report import jobs_csv
    from apps.metrics.selectors import JobRow

    dims = {
        "project": "spring",
        "route": "draft",
        "model": "m",
        "template": "=HYPERLINK(1)",
        "user": "@cleo",
    }
    row = JobRow("j1", T0, "succeeded", dims, JobFigures(1.0, 0.1, 0.8, 0.1), {})
    text = jobs_csv([row])
    assert ",'=HYPERLINK(1),'@cleo," in text
