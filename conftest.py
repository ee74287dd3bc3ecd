"""Fixtures shared by every app's tests: API clients, users, the sample artifacts, a real browser."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent
SHARED_DIR = (REPO_DIR / ".." / "shared").resolve()
SHARED_DBT_DIR = SHARED_DIR / "dbt"
SAMPLE_TARGET_DIR = REPO_DIR / "examples" / "acme_shop" / "target"
CHROMIUM = os.environ.get("DAB_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def shared_dbt_dir() -> Path:
    """../shared/dbt: real dbt artifacts; tests using it skip cleanly where it is absent."""
    if not SHARED_DBT_DIR.is_dir():
        pytest.skip(f"real dbt artifacts not available ({SHARED_DBT_DIR} is absent)")
    return SHARED_DBT_DIR


@pytest.fixture
def sample_manifest() -> dict:
    """The bundled sample's artifact, parsed, for tests that modify it before ingesting."""
    return json.loads((SAMPLE_TARGET_DIR / "manifest.json").read_bytes())


@pytest.fixture
def sample_catalog() -> dict:
    """The bundled sample's artifact, parsed, for tests that modify it before ingesting."""
    return json.loads((SAMPLE_TARGET_DIR / "catalog.json").read_bytes())


@pytest.fixture
def sample_project(db):
    """The bundled acme_shop sample, ingested through the real pipeline; returns the finished job."""
    from ingestion.services import Artifact, dbt_ingest

    job = dbt_ingest(
        manifest=Artifact.from_path("manifest", SAMPLE_TARGET_DIR / "manifest.json"),
        catalog=Artifact.from_path("catalog", SAMPLE_TARGET_DIR / "catalog.json"),
        run_results=Artifact.from_path("run_results", SAMPLE_TARGET_DIR / "run_results.json"),
        triggered_by="test",
    )
    assert job.status == "completed", job.error_message
    return job


@pytest.fixture
def api_key(settings) -> str:
    return settings.API_KEY


@pytest.fixture
def api_client(api_key):
    """A DRF client that sends the API key, as a service would."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key)
    return client


@pytest.fixture
def anon_api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def steward(django_user_model):
    """A signed-in steward: staff, not superuser."""
    return django_user_model.objects.create_user(username="steward", password="steward-pass-123", is_staff=True)


@pytest.fixture
def steward_client(client, steward):
    client.force_login(steward)
    return client


@pytest.fixture
def superuser_client(client, admin_user):
    client.force_login(admin_user)
    return client


# -- Real browser (Playwright driving Debian's Chromium) -------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium; the browser tests skip, saying why, where it can't start."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (Debian package `chromium`; `make test` installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the playwright package (pip install -r requirements-dev.txt)")
    # Playwright's sync API runs an event loop in this thread; the test body's ORM calls are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page; `page.base_url` is the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.base_url = live_server.url
    yield tab
    context.close()


@pytest.fixture
def logged_in_page(page, django_user_model):
    """A browser page signed in through the real login form."""
    django_user_model.objects.create_user(username="browser", password="browser-pass-123", is_staff=True)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("browser")
    page.get_by_label("Password").fill("browser-pass-123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{page.base_url}/")
    return page


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script (a test tool, never shipped), installed by scripts/test_tools.sh into a cache.

    Skips, saying why, only when npm is truly unavailable; an npm that fails to install fails the test.
    """
    import subprocess

    result = subprocess.run([str(REPO_DIR / "scripts" / "test_tools.sh")], capture_output=True, text=True)
    if result.returncode == 3:
        pytest.skip("accessibility tests need axe-core, installed with npm (Debian package `npm`; `make test` does it)")
    assert result.returncode == 0, f"scripts/test_tools.sh failed: {result.stderr}"
    return (Path(result.stdout.strip()) / "axe.min.js").read_text()


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    chromium = CHROMIUM if shutil.which(CHROMIUM) or Path(CHROMIUM).exists() else "absent (browser tests skip)"
    return [f"database: {engine}", f"chromium: {chromium}", f"shared dbt artifacts: {SHARED_DBT_DIR.is_dir()}"]
