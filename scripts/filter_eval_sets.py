"""Measure the shipped prompt filter on the development and held-out test sets.

    .venv/bin/python scripts/filter_eval_sets.py [--set dev|test|both] [--per-case]
        [--calibrate] [--json docs/bench-results/filter-eval.json]

* dev = tests/policies/data/filter_dev.jsonl + filter_dev_ml.jsonl: the sets the
  rules and thresholds are tuned on (`--calibrate` prints the thresholds the
  calibration rule picks there; copy them into `defaults` by hand).
* test = tests/policies/data/filter_test.jsonl: written blind, before tuning, by
  someone who had not read the rules. Never tune on it: `--calibrate` refuses
  it and `--per-case` is refused for it too, so its misses cannot leak into
  the lists by reading them.
* tests/policies/data/filter_eval.jsonl is the older English set the first rules
  were tuned against; it is reported as "regression", not as evidence.

The filter is the shipped rules (`defaults.default_config`: every language's
lists, the registers, both embedders) without a database, as the gate builds it
from a freshly migrated one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

DATA = ROOT / "tests/policies/data"
SETS = {
    "dev": [DATA / "filter_dev.jsonl", DATA / "filter_dev_ml.jsonl"],
    "test": [DATA / "filter_test.jsonl"],
    "regression": [DATA / "filter_eval.jsonl"],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["dev", "test", "regression", "all"], default="all")
    parser.add_argument("--per-case", action="store_true", help="dev/regression only")
    parser.add_argument("--calibrate", action="store_true", help="dev only")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.set in ("test", "all") and (args.per_case or args.calibrate):
        parser.error("the test set is never read case by case or tuned on; use --set dev")

    from apps.policies.filters import semantic
    from apps.policies.filters.defaults import default_config
    from apps.policies.filters.evaluation import (
        EVAL_CONTACTS,
        evaluate,
        load_cases,
        suggest_thresholds,
    )
    from apps.policies.filters.prompt import PromptFilter

    prompt_filter = PromptFilter(default_config(), embedder=semantic.get_embedder())
    prompt_filter.warm()
    names = ["dev", "test", "regression"] if args.set == "all" else [args.set]
    results = {}
    for name in names:
        cases = [case for path in SETS[name] if path.exists() for case in load_cases(path)]
        if not cases:
            print(f"== {name}: no cases")
            continue
        if args.calibrate:
            english = [c for c in cases if c.lang == "en"]
            others = [c for c in cases if c.lang != "en"]
            print("English thresholds (1 FP per category):")
            print(suggest_thresholds(prompt_filter, english, allowed_false_positives=1))
            print("Multilingual thresholds (non-English cases, no FP per category):")
            found = suggest_thresholds(
                prompt_filter, others, allowed_false_positives=0, margin=0.005, step=0.005
            )
            print({k: v for k, v in found.items() if k.endswith(":ml")})
            continue
        report = evaluate(prompt_filter, cases, contacts=EVAL_CONTACTS)
        non_english = sum(c.lang != "en" for c in cases)
        print(f"== {name}: {len(cases)} cases, {non_english / len(cases):.0%} not English")
        print(report.format_table("category"))
        print()
        print(report.format_table("language"))
        print()
        if args.per_case:
            print(report.per_case())
        results[name] = {
            "cases": len(cases),
            "non_english": non_english,
            "by_category": {k: _stats(v) for k, v in sorted(report.categories.items())},
            "by_language": {k: _stats(v) for k, v in sorted(report.languages.items())},
            "overall": _stats(report.overall),
        }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


def _stats(stats: object) -> dict[str, object]:
    return {
        "block": getattr(stats, "block_total", 0),
        "recall": getattr(stats, "recall", None),
        "category_hit": getattr(stats, "category_recall", None),
        "attribution": getattr(stats, "attribution", None),
        "allow": getattr(stats, "allow_total", 0),
        "false_positives": getattr(stats, "false_positives", 0),
        "fp_rate": getattr(stats, "false_positive_rate", None),
    }


if __name__ == "__main__":
    raise SystemExit(main())
