"""`manage.py conformance_sync` / `dab conformance sync`: load the rule files into the rules table."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from conformance.engine import RuleFileError, load_rules
from conformance.services import rules_sync


class Command(BaseCommand):
    help = "Sync the rule files (RULES_PATH) into the rules table; stewards' overrides are kept."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only validate the rule files; change nothing")

    def handle(self, *args, check: bool, **options):
        path = Path(settings.RULES_PATH)
        try:
            if check:
                rules = load_rules([path])
                self.stdout.write(f"{path}: {len(rules)} rule(s), valid")
                return
            result = rules_sync()
        except RuleFileError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Synced {path}: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.removed} no longer in the files"
            )
        )
