"""First-run set-up of a laptop install: an admin login, and the sample project ingested once."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create a local admin login if none exists and ingest the bundled sample dbt project into an empty catalog."

    def add_arguments(self, parser):
        parser.add_argument("--no-sample", action="store_true", help="don't ingest the sample project")
        parser.add_argument("--url", default="http://localhost:8001", help="where the server will listen")

    def handle(self, *args, no_sample: bool, url: str, **options):
        if settings.STRICT:
            raise CommandError("setup_local is for local installs; it refuses to run with ENVIRONMENT=production.")
        self._ensure_admin(url)
        if not no_sample:
            self._ingest_sample()

    def _ensure_admin(self, url: str) -> None:
        users = get_user_model()
        password_file = Path(settings.DATA_DIR) / "local-admin.txt"
        if not users.objects.filter(is_superuser=True).exists():
            password = secrets.token_urlsafe(12)
            users.objects.create_superuser("admin", "admin@localhost", password)
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(f"admin {password}\n")
            password_file.chmod(0o600)
        if password_file.exists():
            username, _, password = password_file.read_text().strip().partition(" ")
            self.stdout.write(self.style.SUCCESS(f"Sign in at {url} as {username} / {password}"))
            self.stdout.write(f"(kept in {password_file}; change it with `dab changepassword {username}`)")
        else:
            self.stdout.write(f"Sign in at {url} with your existing admin account.")

    def _ingest_sample(self) -> None:
        from catalog.models import Capsule

        if Capsule.objects.exists():
            return
        manifest = Path(settings.SAMPLE_PROJECT_DIR) / "manifest.json"
        if not manifest.exists() or "ingest_dbt" not in get_commands():
            self.stdout.write("The catalog is empty; ingest a project with `dab ingest dbt --manifest ...`.")
            return
        self.stdout.write("Ingesting the bundled sample project (examples/acme_shop) ...")
        arguments = ["ingest_dbt", "--manifest", str(manifest)]
        for name in ("catalog", "run_results"):
            path = manifest.with_name(f"{name}.json")
            if path.exists():
                arguments += [f"--{name.replace('_', '-')}", str(path)]
        call_command(*arguments, stdout=self.stdout)
