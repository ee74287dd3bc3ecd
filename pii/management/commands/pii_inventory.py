"""`manage.py pii_inventory` / `dab pii inventory`: every PII column, grouped by type, layer, domain and owner."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lineage.management.commands._output import csv_text, json_text, table
from pii.filters import PiiInventoryFilterSet
from pii.selectors import pii_inventory_columns, pii_inventory_summary, pii_path_of
from pii.services import pii_config

HEADER = ["column", "capsule", "pii_type", "risk", "confidence", "detected_by", "masked", "layer", "domain", "owner",
          "origin"]


class Command(BaseCommand):
    help = "PII inventory: every column holding personal data, with counts by type, layer, domain and owner."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
        parser.add_argument("--type", dest="pii_type", help="only this PII type (email, phone, ...)")
        parser.add_argument("--layer", help="only capsules of this layer (raw, staging, intermediate, marts, ...)")
        parser.add_argument("--domain", help='only this domain ("-" for none)')
        parser.add_argument("--owner", help='only this owner ("-" for none)')
        parser.add_argument("--masked", choices=("yes", "no"), help="only masked (hashed) or unmasked PII")
        parser.add_argument("--project", help="only this dbt project (source system)")

    def handle(self, *args, format: str, pii_type, layer, domain, owner, masked, project, **options):
        config = pii_config()
        if pii_type and pii_type not in config.types:
            raise CommandError(f"unknown PII type {pii_type!r}; known: {', '.join(sorted(config.types))}")
        params = {"pii_type": pii_type, "layer": layer, "domain": domain, "owner": owner,
                  "masked": {"yes": "true", "no": "false"}.get(masked or ""), "source_system": project}
        filters = PiiInventoryFilterSet({k: v for k, v in params.items() if v})
        if not filters.is_valid():
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in filters.errors.items()))
        summary = pii_inventory_summary(filters=filters, config=config)
        rows = []
        for column in pii_inventory_columns(filters=filters).iterator(chunk_size=2000):
            capsule = column.capsule
            kind = config.types.get(column.pii_type)
            rows.append([
                column.urn, capsule.name, column.pii_type, kind.risk if kind else None, column.pii_confidence,
                column.pii_detected_by, column.pii_masked, capsule.layer,
                capsule.domain.name if capsule.domain_id else None, capsule.owner.name if capsule.owner_id else None,
                pii_path_of(column)[0],
            ])  # fmt: skip
        if format == "json":
            self.stdout.write(json_text({"summary": summary, "columns": [dict(zip(HEADER, r, strict=True))
                                                                         for r in rows]}))
            return
        if format == "csv":
            self.stdout.write(csv_text([HEADER, *rows]), ending="")
            return
        self.stdout.write(
            f"{summary['total']} PII columns: {summary['unmasked']} unmasked, {summary['masked']} masked.")
        titles = {"pii_type": "type", "layer": "layer", "domain": "domain", "owner": "owner",
                  "detected_by": "detected by"}
        for key, title in titles.items():
            items = summary["groups"][key]
            if not items:
                continue
            self.stdout.write("")
            extra = ["risk"] if key == "pii_type" else []
            self.stdout.write(table(
                [[i["label"], *([i.get("risk") or ""] if extra else []), i["count"], i["masked"]] for i in items],
                [title, *extra, "columns", "masked"]))
        if rows:
            self.stdout.write("")
            self.stdout.write(table(
                [[r[0], r[2], r[3], f"{r[4]:.2f}" if r[4] is not None else "", r[5], "yes" if r[6] else "no",
                  r[7] or "", r[9] or ""] for r in rows],
                ["column", "type", "risk", "conf", "detected by", "masked", "layer", "owner"]))
