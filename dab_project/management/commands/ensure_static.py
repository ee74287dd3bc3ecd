"""`manage.py ensure_static`: collect the static files when production lacks them (the Docker entry point)."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from dab_project.staticfiles import needs_collecting, static_files_ensure


class Command(BaseCommand):
    help = "Collect static files if production's manifest is missing or incomplete (a no-op otherwise)."

    def handle(self, *args, **options):
        if not needs_collecting():
            self.stdout.write("Static files are in place.")
            return
        try:
            static_files_ensure()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("Static files collected.")
