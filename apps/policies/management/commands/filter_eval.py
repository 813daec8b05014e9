"""Measure the prompt filter in force against a labelled JSONL set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.policies import gate
from apps.policies.filters.base import FilterUnavailable
from apps.policies.filters.evaluation import evaluate, load_cases
from apps.policies.filters.prompt import PromptFilter


class Command(BaseCommand):
    help = (
        "Print recall on block cases and false-positive rate on allow cases, per category "
        "and overall, for the prompt filter configured in the database; exit 1 below the floors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help='JSONL lines {"prompt", "expect", "category"}')
        parser.add_argument(
            "--min-recall", type=float, default=settings.POLICY_FILTER_EVAL_MIN_RECALL
        )
        parser.add_argument("--max-fpr", type=float, default=settings.POLICY_FILTER_EVAL_MAX_FPR)
        parser.add_argument(
            "--max-language-fpr",
            type=float,
            default=None,
            help="Also fail when any language's false-positive rate is above this.",
        )
        parser.add_argument(
            "--by",
            choices=["category", "language"],
            action="append",
            help="Tables to print (repeatable); default: category.",
        )
        parser.add_argument(
            "--contact",
            action="append",
            help="A registered company contact the cases may contain (repeatable).",
        )
        parser.add_argument(
            "--per-case",
            action="store_true",
            help="List every miss and false positive with the rules and scores behind it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            cases = load_cases(options["file"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        config = gate.prompt_filter_config(gate.filter_settings())
        try:
            report = evaluate(PromptFilter(config), cases, contacts=options["contact"] or ())
        except FilterUnavailable as exc:
            raise CommandError(f"The prompt filter cannot run: {exc}") from exc
        for by in options["by"] or ["category"]:
            self.stdout.write(report.format_table(by))
            self.stdout.write("")
        if options["per_case"]:
            self.stdout.write(report.per_case())
        failures = report.failures(
            options["min_recall"],
            options["max_fpr"],
            max_language_fpr=options["max_language_fpr"],
        )
        if failures:
            for line in failures:
                self.stderr.write(f"BELOW FLOOR: {line}")
            raise CommandError(f"{len(failures)} figure(s) below the floors.", returncode=1)
        self.stdout.write(
            f"All figures meet the floors (recall >= {options['min_recall']:g}, "
            f"false-positive rate <= {options['max_fpr']:g})."
        )
