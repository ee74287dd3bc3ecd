"""`manage.py pii_classify` / `dab pii classify`: re-run PII detection and propagation without re-ingesting
(after editing config/pii.yaml, or switching PII_DETECTION_ENABLED)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalog.models import SourceSystem
from pii.services import pii_classify_columns, pii_config, pii_propagate
from pii.vocabulary import PiiConfigError


class Command(BaseCommand):
    help = "Re-classify every column (or one dbt project's) and re-propagate PII along column lineage."

    def add_arguments(self, parser):
        parser.add_argument("--project", help="only this dbt project's columns (propagation always covers all)")
        parser.add_argument("--dry-run", action="store_true", help="compute and report, then roll back")

    def handle(self, *args, project: str | None, dry_run: bool, **options):
        try:
            config = pii_config()
        except PiiConfigError as exc:
            raise CommandError(str(exc)) from exc
        system = None
        if project:
            system = SourceSystem.objects.filter(name=project).first()
            if system is None:
                raise CommandError(f"no dbt project named {project!r}")
        with transaction.atomic():
            classified = pii_classify_columns(source_system_id=system and system.pk, config=config, force=True)
            propagated = pii_propagate(config=config)
            if dry_run:
                transaction.set_rollback(True)
        c, p = classified.as_dict(), propagated.as_dict()
        self.stdout.write(
            f"Classified {c['columns']} columns: {c['pii']} PII ({c['masked']} masked), {c['written']} changed"
            f" in {c['seconds']} s. Propagated from {p['origins']} origins to {p['columns_reached']} columns:"
            f" {p['pii_by_lineage']} PII by lineage, {p['stale_removed']} stale removed, {p['written']} changed"
            f" in {p['seconds']} s." + (" Dry run: rolled back." if dry_run else "")
        )
