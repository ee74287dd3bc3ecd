"""`manage.py impact` / `dab impact <urn>`: everything downstream of a capsule or column."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Capsule, Column
from lineage import selectors
from lineage.management.commands._output import csv_text, json_text, table


class Command(BaseCommand):
    help = "Impact analysis: everything downstream of a capsule or column, by depth, layer, owner and exposure."

    def add_arguments(self, parser):
        parser.add_argument("urn", help="URN of a capsule or a column")
        parser.add_argument("--depth", type=int, help="hops (default and maximum: MAX_LINEAGE_DEPTH)")
        parser.add_argument("--format", choices=("table", "json", "csv"), default="table")

    def handle(self, *args, urn: str, depth: int | None, format: str, **options):
        if depth is not None and depth < 1:
            raise CommandError("--depth must be at least 1")
        resolved = selectors.depth_resolve(requested=depth)
        capsule = Capsule.objects.filter(urn=urn).first()
        if capsule is not None:
            impact = selectors.impact_analyse(capsule=capsule, depth=resolved)
        else:
            column = Column.objects.select_related("capsule").filter(urn=urn).first()
            if column is None:
                raise CommandError(f"no capsule or column {urn}")
            impact = selectors.impact_analyse(column=column, depth=resolved)
        if format == "json":
            self.stdout.write(json_text(impact.as_dict()))
            return
        if format == "csv":
            self.stdout.write(csv_text(list(impact.csv_rows())), ending="")
            return
        summary = impact.as_dict()
        capped = " (capped at MAX_LINEAGE_DEPTH)" if impact.depth.capped else ""
        self.stdout.write(
            f"Impact of {impact.root_name}: {summary['total']} capsules downstream within {impact.depth.applied}"
            f" hops{capped}, {len(impact.exposures)} exposures."
        )
        for label, key in (("depth", "by_depth"), ("layer", "by_layer"), ("owner", "by_owner"),
                           ("domain", "by_domain")):  # fmt: skip
            if summary[key]:
                self.stdout.write("")
                self.stdout.write(table([[k, v] for k, v in summary[key].items()], [label, "capsules"]))
        if impact.exposures:
            self.stdout.write("\nExposures")
            self.stdout.write(
                table(
                    [[e["name"], e["type"] or "", e["maturity"] or "", e["owner"] or "", e["url"] or ""]
                     for e in impact.exposures],
                    ["exposure", "type", "maturity", "owner", "url"],
                )
            )  # fmt: skip
        if impact.items:
            self.stdout.write("\nAffected")
            rows = []
            for item in impact.items:
                fed = ", ".join(f"{n} ({t})" for n, t, _ in item.columns)
                rows.append([item.depth, item.capsule_type, item.layer or "", item.name, item.owner or "", fed])
            self.stdout.write(table(rows, ["depth", "type", "layer", "name", "owner", "columns fed"]))
