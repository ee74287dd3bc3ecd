"""`manage.py pii_exposure` / `dab pii exposure`: unmasked PII that reaches marts or exposures."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lineage.management.commands._output import csv_text, json_text, table
from pii.selectors import pii_exposure_list
from pii.services import pii_config


class Command(BaseCommand):
    help = "PII exposure: unmasked PII in marts/consumption capsules or read by exposures, with its path."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
        parser.add_argument("--type", dest="pii_type", help="only this PII type")
        parser.add_argument("--fail-on-exposure", action="store_true",
                            help="exit with status 1 when anything is exposed (for CI)")

    def handle(self, *args, format: str, pii_type, fail_on_exposure: bool, **options):
        config = pii_config()
        if pii_type and pii_type not in config.types:
            raise CommandError(f"unknown PII type {pii_type!r}; known: {', '.join(sorted(config.types))}")
        items = pii_exposure_list(config=config, pii_type=pii_type)
        records = [{
            "column": i.column.urn, "capsule": i.column.capsule.name, "pii_type": i.pii_type, "risk": i.risk,
            "layer": i.column.capsule.layer,
            "owner": i.column.capsule.owner.name if i.column.capsule.owner_id else None,
            "origin": i.origin, "path": list(i.path), "exposures": [e["name"] for e in i.exposures],
            "reasons": list(i.reasons),
        } for i in items]  # fmt: skip
        if format == "json":
            self.stdout.write(json_text({"count": len(records), "results": records}))
        elif format == "csv":
            header = ["column", "capsule", "pii_type", "risk", "layer", "owner", "origin", "path", "exposures",
                      "reasons"]
            rows = [[r["column"], r["capsule"], r["pii_type"], r["risk"], r["layer"], r["owner"], r["origin"],
                     " > ".join(r["path"]), "; ".join(r["exposures"]), "; ".join(r["reasons"])] for r in records]
            self.stdout.write(csv_text([header, *rows]), ending="")
        elif not records:
            self.stdout.write("No unmasked PII reaches marts or exposures.")
        else:
            capsules = len({i.column.capsule_id for i in items})
            self.stdout.write(f"{len(records)} unmasked PII columns in {capsules} capsules reach consumers.")
            self.stdout.write("")
            self.stdout.write(table(
                [[r["column"], r["pii_type"], r["risk"] or "", ", ".join(r["exposures"]) or "-", r["origin"]]
                 for r in records],
                ["column", "type", "risk", "exposures", "origin"]))
        if fail_on_exposure and records:
            raise SystemExit(1)
