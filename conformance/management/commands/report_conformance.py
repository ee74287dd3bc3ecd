"""`manage.py report_conformance` / `dab report conformance`: write the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from conformance.report import report_render


class Command(BaseCommand):
    help = "Write a self-contained HTML conformance report (scores, trend, what to fix first, rules, violations)."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=Path("conformance-report.html"), help="the HTML file")
        parser.add_argument("--per-rule", type=int, default=50, help="violations listed per rule (default 50)")

    def handle(self, *args, output: Path, per_rule: int, **options):
        try:
            html = report_render(per_rule=per_rule)
        except LookupError as exc:
            raise CommandError(str(exc), returncode=1) from None
        output.write_text(html, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {output} ({len(html) / 1024:.0f} KB)"))
