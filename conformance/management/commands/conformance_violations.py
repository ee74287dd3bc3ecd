"""`manage.py conformance_violations` / `dab conformance violations`: list stored violations with filters."""

from __future__ import annotations

import csv
import json

from django.core.management.base import BaseCommand
from django.http import QueryDict

from conformance.filters import ViolationFilterSet
from conformance.management.commands._output import table
from conformance.selectors import violation_list
from dab_project.text import plural

FILTERS = ("severity", "status", "rule", "rule_set", "category", "layer", "domain", "owner", "capsule", "search")


class Command(BaseCommand):
    help = "List stored violations, worst first, with the same filters as the API (comma-separated values)."

    def add_arguments(self, parser):
        parser.add_argument("--severity", help="critical, error, warning, info (comma-separated)")
        parser.add_argument("--status", default="active", help="open, acknowledged, waived, resolved or active")
        parser.add_argument("--rule", help="rule id(s)")
        parser.add_argument("--rule-set", help="rule set(s)")
        parser.add_argument("--category", help="rule category(ies)")
        parser.add_argument("--layer", help="capsule layer(s)")
        parser.add_argument("--domain", help="domain name(s)")
        parser.add_argument("--owner", help="owner name(s)")
        parser.add_argument("--capsule", help="a capsule URN or part of its name")
        parser.add_argument("--search", help="words of the message")
        parser.add_argument("--limit", type=int, default=100, help="at most this many rows (0: all)")
        parser.add_argument("--format", choices=("table", "json", "csv"), default="table")

    def handle(self, *args, limit: int, format: str, **options):
        params = QueryDict(mutable=True)
        for name in FILTERS:
            if options.get(name):
                params[name] = options[name]
        filterset = ViolationFilterSet(params, queryset=violation_list())
        if not filterset.is_valid():
            self.stderr.write(str(filterset.errors))
            return
        queryset = filterset.qs
        total = queryset.count()
        rows = list(queryset[:limit] if limit > 0 else queryset)
        records = [
            {
                "id": str(v.pk),
                "severity": v.severity,
                "status": v.status,
                "rule": v.rule.rule_id,
                "object": v.object_label,
                "layer": v.capsule.layer if v.capsule else None,
                "owner": v.capsule.owner.name if v.capsule and v.capsule.owner else None,
                "message": v.message,
                "detected_at": v.detected_at.isoformat(),
            }
            for v in rows
        ]
        if format == "json":
            self.stdout.write(json.dumps({"count": total, "violations": records}, indent=2))
            return
        if format == "csv":
            writer = csv.DictWriter(self.stdout, fieldnames=list(records[0]) if records else ["id"])
            writer.writeheader()
            writer.writerows(records)
            return
        headers = ("severity", "status", "rule", "object", "owner", "message")
        self.stdout.write(table([[r[h] for h in headers] for r in records], headers=headers))
        shown = (
            f"{len(records):,} of {plural(total, 'violation')}" if total > len(records) else plural(total, "violation")
        )
        self.stdout.write(shown)
