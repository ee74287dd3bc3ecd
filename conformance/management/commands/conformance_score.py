"""`manage.py conformance_score` / `dab conformance score`: the latest score, its breakdowns and its trend."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from conformance.management.commands._output import table
from conformance.selectors import snapshot_latest, snapshot_trend
from dab_project.text import plural

BREAKDOWNS = ("rule_set", "category", "layer", "domain", "owner")


class Command(BaseCommand):
    help = "Show the latest conformance score with its breakdowns and trend (evaluate with `dab conformance check`)."

    def add_arguments(self, parser):
        parser.add_argument("--by", choices=BREAKDOWNS, action="append", help="only these breakdowns (repeatable)")
        parser.add_argument("--trend", type=int, default=10, help="how many earlier evaluations to list (default 10)")
        parser.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args, by, trend: int, format: str, **options):
        snapshot = snapshot_latest()
        if snapshot is None:
            raise CommandError("no evaluation yet: ingest a project or run `dab conformance check`", returncode=1)
        report = snapshot.report or {}
        points = snapshot_trend(limit=max(trend, 1))
        if format == "json":
            body = {
                "evaluated_at": snapshot.evaluated_at.isoformat(),
                "score": snapshot.score,
                "weighted_score": snapshot.weighted_score,
                "findings": snapshot.findings,
                "waived": snapshot.waived,
                "new": snapshot.new_count,
                "fixed": snapshot.fixed_count,
                **{f"by_{name}": report.get(f"by_{name}", {}) for name in (by or BREAKDOWNS)},
                "trend": [
                    {"evaluated_at": p.evaluated_at.isoformat(), "score": p.score, "weighted_score": p.weighted_score}
                    for p in points
                ],
            }
            self.stdout.write(json.dumps(body, indent=2))
            return
        severities = ", ".join(f"{n} {s}" for s, n in (snapshot.by_severity or {}).items()) or "none"
        self.stdout.write(
            f"Conformance score {_num(snapshot.score)} (severity-weighted {_num(snapshot.weighted_score)}), "
            f"evaluated {snapshot.evaluated_at:%Y-%m-%d %H:%M} over {snapshot.capsules:,} capsules"
        )
        self.stdout.write(
            f"{plural(snapshot.findings, 'active violation')} ({severities}), {snapshot.waived:,} waived; "
            f"since the evaluation before: {snapshot.new_count:,} new, {snapshot.fixed_count:,} fixed"
        )
        for name in by or BREAKDOWNS:
            rows = [
                (key, item["score"], item["weighted_score"], item["objects"], item["failing_objects"], item["findings"])
                for key, item in sorted(
                    report.get(f"by_{name}", {}).items(), key=lambda kv: (kv[1]["score"] or 0, kv[0])
                )
            ]
            if rows:
                self.stdout.write(f"\nBy {name.replace('_', ' ')}")
                self.stdout.write(table(rows, headers=(name, "score", "weighted", "objects", "failing", "findings")))
        if len(points) > 1:
            self.stdout.write("\nTrend (oldest first)")
            rows = [
                (f"{p.evaluated_at:%Y-%m-%d %H:%M}", p.score, p.weighted_score, p.findings, p.new, p.fixed)
                for p in points
            ]
            self.stdout.write(table(rows, headers=("evaluated", "score", "weighted", "findings", "new", "fixed")))


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
