"""What a process loads at start: the apps' admin modules and page panels wait until something draws them."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

REPO_DIR = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: this test process has long since loaded the URLs and every admin module.
SCRIPT = """
import sys
import django
django.setup()
from django.contrib import admin
from django.core import checks
from catalog.models import Capsule
from conformance.models import Rule

lazy = ["catalog.admin", "conformance.admin", "pii.admin", "pii.services", "ingestion.changes.selectors"]
print("at setup:", [name for name in lazy if name in sys.modules], admin.site.is_registered(Capsule))
errors = checks.run_checks(tags=[checks.Tags.admin])
print("after the admin checks:", admin.site.is_registered(Capsule), admin.site.is_registered(Rule), errors)
"""


def test_setup_leaves_admin_modules_for_the_urls_and_checks():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE, "PYTHONPATH": str(REPO_DIR)}
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=REPO_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-2] == "at setup: [] False"
    # `manage.py check` still checks every ModelAdmin, even when it runs before the URLs load.
    assert lines[-1] == "after the admin checks: True True []"


def test_admin_urls_register_every_app_admin(client):
    from django.contrib import admin

    from catalog.models import Column
    from conformance.models import Violation

    client.get("/admin/login/")
    assert admin.site.is_registered(Column)
    assert admin.site.is_registered(Violation)


# `dab` imports Django and the command with the collector paused, then freezes what that loaded (dab_project.cli).
CLI_SCRIPT = """
import gc, sys
from dab_project import cli
from django.core.management.base import BaseCommand
seen = {}
original = BaseCommand.run_from_argv
def run_from_argv(self, argv):
    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count(), module=type(self).__module__)
    return original(self, argv)
BaseCommand.run_from_argv = run_from_argv
status = cli._main(["check", "--deploy", "--fail-level", "CRITICAL"])
print(status, seen["enabled"], seen["frozen"] > 50_000, seen["module"])
"""


def test_cli_runs_the_command_with_the_collector_on_and_its_start_frozen():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE, "PYTHONPATH": str(REPO_DIR)}
    done = subprocess.run(
        [sys.executable, "-c", CLI_SCRIPT], cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-4:] == ["0", "True", "True", "django.core.management.commands.check"], done.stdout
