"""The evaluator's numbers, its input checks, and the shipped set against the goals."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from apps.policies.filters import semantic
from apps.policies.filters.base import FilterResult, Hit
from apps.policies.filters.defaults import default_config
from apps.policies.filters.evaluation import (
    Case,
    CaseFileError,
    evaluate,
    load_cases,
    suggest_thresholds,
)
from apps.policies.filters.prompt import PromptFilter

EVAL_SET = Path(__file__).parent / "data" / "filter_eval.jsonl"
MIN_RECALL = 0.95
MAX_FPR = 0.05


class KeywordFilter:
    """Blocks prompts containing "bad" as category "sexual"; scores "s" = len/100."""

    def check(self, fields, *, contacts=()):
        prompt = fields["prompt"]
        hits = [Hit("terms", "sexual", "prompt", rule="terms:sexual")] if "bad" in prompt else []
        return FilterResult(hits=hits, scores={"s": len(prompt) / 100}, elapsed_ms=1.0)


TINY = [
    Case("bad one", "block", "sexual"),
    Case("bad two", "block", "sexual"),
    Case("missed", "block", "sexual"),
    Case("bad but other", "block", "violence"),
    Case("fine", "allow", "benign"),
    Case("bad near miss", "allow", "sexual"),
    Case("also fine", "allow", "benign"),
    Case("fine again", "allow", "benign"),
]


def test_evaluate_counts_recall_and_false_positives():
    report = evaluate(KeywordFilter(), TINY)
    sexual = report.categories["sexual"]
    assert (sexual.block_total, sexual.blocked, sexual.allow_total) == (3, 2, 1)
    assert sexual.recall == pytest.approx(2 / 3)
    assert sexual.false_positive_rate == 1.0
    violence = report.categories["violence"]
    assert violence.recall == 1.0 and violence.category_recall == 0.0  # blocked as sexual
    assert report.categories["benign"].false_positive_rate == 0.0
    assert report.overall.recall == pytest.approx(3 / 4)
    assert report.overall.false_positive_rate == pytest.approx(1 / 4)
    assert [c.prompt for c in report.missed] == ["missed"]
    assert [(c.prompt, cats) for c, cats in report.false_positives] == [
        ("bad near miss", ["sexual"])
    ]


def test_report_table_and_failures():
    report = evaluate(KeywordFilter(), TINY)
    table = report.format_table()
    assert "sexual" in table and "66.7%" in table and "overall" in table
    assert report.failures(min_recall=0.5, max_fpr=0.3) == []
    failures = report.failures(min_recall=0.9, max_fpr=0.2)
    assert failures == [
        "sexual: recall 0.667 is below 0.900 (1 of 3 missed)",
        "overall: false-positive rate 0.250 is above 0.200 (1 of 4 allow cases)",
    ]


def test_suggest_thresholds_spends_a_fixed_false_positive_budget():
    cases = [Case("x" * n, "allow", "benign") for n in (10, 40, 30, 20)]
    assert suggest_thresholds(KeywordFilter(), cases) == {"s": 0.31}
    assert suggest_thresholds(KeywordFilter(), cases, allowed_false_positives=0) == {"s": 0.41}


def test_load_cases_reads_jsonl(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text(
        '{"prompt": "a", "expect": "block", "category": "sexual"}\n\n'
        '{"prompt": "b", "expect": "allow", "category": "benign", "note": "extra keys ok"}\n'
    )
    assert load_cases(path) == [
        Case("a", "block", "sexual", line=1),
        Case("b", "allow", "benign", line=3),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ('["a list"]', "line 2: expected a JSON object"),
        ('{"expect": "block", "category": "x"}', "line 2: 'prompt' must be"),
        ('{"prompt": "p", "expect": "maybe", "category": "x"}', "line 2: 'expect' must be"),
        ('{"prompt": "p", "expect": "allow"}', "line 2: 'category' must be"),
    ],
)
def test_load_cases_names_the_bad_line(tmp_path, line, message):
    path = tmp_path / "cases.jsonl"
    path.write_text('{"prompt": "ok", "expect": "allow", "category": "benign"}\n' + line + "\n")
    with pytest.raises(CaseFileError, match=message):
        load_cases(path)


def test_shipped_set_has_the_promised_shape():
    cases = load_cases(EVAL_SET)
    blocks = Counter(c.category for c in cases if c.expect == "block")
    for category in ("sexual", "minors", "ncii", "violence", "hate", "self_harm"):
        assert blocks[category] >= 40, category
    assert blocks["brand_misuse"] >= 20 and blocks["pii"] >= 20
    assert sum(1 for c in cases if c.expect == "allow") >= 250
    assert len({c.prompt for c in cases}) == len(cases)
    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line) for line in lines)


def test_default_config_meets_the_goals_on_the_shipped_set():
    report = evaluate(PromptFilter(default_config(), semantic.get_embedder()), load_cases(EVAL_SET))
    assert report.failures(min_recall=MIN_RECALL, max_fpr=MAX_FPR) == [], report.format_table()


def test_filter_eval_reports_by_language_and_each_miss_with_its_rules(db, tmp_path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        "\n".join(
            json.dumps(case, ensure_ascii=False)
            for case in [
                {"prompt": "une femme nue", "expect": "block", "category": "sexual", "lang": "fr"},
                {"prompt": "a sunny park", "expect": "block", "category": "violence", "lang": "en"},
                {"prompt": "茶叶礼盒", "expect": "allow", "category": "benign", "lang": "zh"},
            ]
        )
    )
    with pytest.raises(CommandError):  # one miss: below the floors
        call_command("filter_eval", str(cases), "--by", "language", "--per-case")
    out = capsys.readouterr().out
    assert "fr " in out and "zh " in out and "attribution" in out
    assert "MISS line 2 [en->en violence/-]" in out
