"""`manage.py capsules_lineage` / `dab capsules lineage <urn>`: what a capsule or column reads from and feeds."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Capsule, Column
from lineage import selectors
from lineage.management.commands._output import csv_text, json_text, table


class Command(BaseCommand):
    help = "Show the lineage of a capsule or column: upstream, downstream or both, to a depth."

    def add_arguments(self, parser):
        parser.add_argument("urn", help="URN of a capsule (or of a column: column-level lineage)")
        parser.add_argument("--direction", choices=selectors.DIRECTIONS, default="both")
        parser.add_argument("--depth", type=int, help="hops (default and maximum: MAX_LINEAGE_DEPTH)")
        parser.add_argument("--level", choices=selectors.LEVELS, default="capsule",
                            help="for a capsule: its capsules (default) or its columns' lineage")  # fmt: skip
        parser.add_argument("--format", choices=("table", "json", "csv"), default="table")

    def handle(self, *args, urn: str, direction: str, depth: int | None, level: str, format: str, **options):
        if depth is not None and depth < 1:
            raise CommandError("--depth must be at least 1")
        resolved = selectors.depth_resolve(requested=depth)
        capsule = Capsule.objects.filter(urn=urn).first()
        if capsule is not None:
            result = selectors.capsule_lineage(capsule=capsule, direction=direction, depth=resolved, level=level)
        else:
            column = Column.objects.filter(urn=urn).first()
            if column is None:
                raise CommandError(f"no capsule or column {urn}")
            result = selectors.column_lineage(column=column, direction=direction, depth=resolved)
        if format == "json":
            self.stdout.write(json_text(result.as_dict()))
            return
        column_level = result.level == "column"
        header = ["direction", "depth", "type", "layer", "name", "urn"]
        if column_level:
            header = ["direction", "depth", "capsule", "column", "pii", "urn"]
        rows = []
        for node in result.nodes:
            if column_level:
                rows.append([node.direction, node.depth, node.capsule_name, node.name, node.pii_type or "", node.urn])
            else:
                rows.append([node.direction, node.depth, node.capsule_type, node.layer or "", node.label, node.urn])
        if format == "csv":
            self.stdout.write(csv_text([header, *rows]), ending="")
            return
        self.stdout.write(table(rows, header))
        if column_level and result.edges:
            self.stdout.write("")
            self.stdout.write(
                table(
                    [[e.source, e.edge_type, e.expression or "", e.target] for e in result.edges],
                    ["from", "transformation", "expression", "into"],
                )
            )
        capped = " (capped at MAX_LINEAGE_DEPTH)" if result.depth.capped else ""
        self.stdout.write(
            f"\n{len(result.nodes) - 1} nodes {direction} of {urn} within {result.depth.applied} hops{capped}; "
            f"{len(result.edges)} edges."
        )
