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
