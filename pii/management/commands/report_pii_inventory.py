"""`manage.py report_pii_inventory --output FILE.html` / `dab report pii-inventory`: a self-contained HTML
report of the PII inventory and exposure that a privacy officer can send on (inline CSS, no scripts, no
external resources; every value escaped)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone

from catalog.models import SourceSystem
from catalog.querysets import pii_q
from pii.selectors import pii_exposure_list, pii_inventory_columns, pii_inventory_summary, pii_path_of
from pii.services import pii_config


class Command(BaseCommand):
    help = "Write the PII inventory and exposure as one self-contained HTML file."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", default="pii-inventory.html", help="file to write (default: %(default)s)")
        parser.add_argument("--title", default="Personal data inventory", help="the report's title")

    def handle(self, *args, output: str, title: str, **options):
        config = pii_config()
        summary = pii_inventory_summary(config=config)
        exposed = pii_exposure_list(config=config)
        rows = []
        for column in pii_inventory_columns().iterator(chunk_size=2000):
            kind = config.types.get(column.pii_type)
            path = pii_path_of(column)
            rows.append({"column": column, "risk": kind.risk if kind else "", "label": kind.label if kind else "",
                         "origin": path[0] if len(path) > 1 else "", "hops": len(path) - 1})
        projects = SourceSystem.objects.annotate(pii=Count("capsules__columns", filter=pii_q("capsules__columns__")))
        html = render_to_string("pii/pii_report.html", {
            "title": title, "generated_at": timezone.now(), "summary": summary, "exposed": exposed, "rows": rows,
            "projects": projects.order_by("name"),
            "types": sorted(config.types.values(), key=lambda t: (t.category, t.label)),
            "exposure_names": sorted({e["name"] for item in exposed for e in item.exposures}),
        })  # fmt: skip
        path = Path(output)
        try:
            path.write_text(html, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from exc
        self.stdout.write(f"Wrote {path} ({summary['total']} PII columns, {len(exposed)} exposed unmasked).")
