"""Production headers: CSP on every response, HTTPS redirect and HSTS behind the proxy, a clean deploy check."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
GOOD_SECRET = "q3VZ8mJx1-Lr9TfKc0wYpN4sHd7GbE2uAiO6nWvX5yRt_zCkMe"
GOOD_API_KEY = "Tz4kQ9vN2pLx7mRc0sWb8yHd"
# Templates written to be saved and sent on as one file (`dab report ...`): never served by DAB, so no CSP
# applies, and they must carry their styles inline to be self-contained.
STANDALONE_TEMPLATES = {"conformance/report.html", "pii/pii_report.html"}


def production(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh interpreter with production settings (plus `env`)."""
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "DAB_ENV_FILE": os.devnull,
        "DATA_DIR": "/tmp/dab-settings-test",
        "ENVIRONMENT": "production",
        "SECRET_KEY": GOOD_SECRET,
        "API_KEY": GOOD_API_KEY,
        "ALLOWED_HOSTS": "dab.example.com",
        **env,
    }
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_DIR, env=clean, capture_output=True, text=True)


def test_check_deploy_is_clean_in_production_settings():
    result = production("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_about_wildcard_hosts_and_origins():
    result = production("check", "--deploy", ALLOWED_HOSTS="*", CORS_ORIGINS="*")
    assert "(dab.W001) ALLOWED_HOSTS is '*'" in result.stderr
    assert "(dab.W002) CORS_ORIGINS is '*'" in result.stderr
    # ... and every production process says so when it starts.
    assert '"event": "insecure_setting"' in result.stderr


def test_production_allows_no_cross_origin_calls_unless_listed():
    code = "from django.conf import settings as s; print(s.CORS_ALLOW_ALL_ORIGINS, s.CORS_ALLOWED_ORIGINS)"
    result = production("shell", "-v", "0", "-c", code)
    assert result.stdout.split() == ["False", "[]"], result.stderr


@pytest.mark.django_db
def test_every_page_and_api_answer_carries_a_content_security_policy(steward_client, api_client):
    page = steward_client.get("/")
    policy = page["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "img-src 'self' data:" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert nonce not in steward_client.get("/")["Content-Security-Policy"]  # fresh for each response
    assert "Content-Security-Policy" in api_client.get("/api/v1/owners")


@pytest.mark.django_db
def test_https_redirect_and_hsts_behind_the_proxy_header(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # Health probes come over plain HTTP from inside the container: never redirected.
    assert client.get("/api/v1/health/live").status_code == 200


def test_production_settings_turn_on_https_and_hsts():
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER[0], s.SESSION_COOKIE_SECURE)"
    )
    result = production("shell", "-v", "0", "-c", code)
    assert result.stdout.split() == ["True", "31536000", "HTTP_X_FORWARDED_PROTO", "True"], result.stderr
    custom = production(
        "shell", "-v", "0", "-c", code, SECURE_PROXY_SSL_HEADER="X-Scheme: https", SECURE_SSL_REDIRECT="false"
    )
    assert custom.stdout.split()[:3] == ["False", "31536000", "HTTP_X_SCHEME"], custom.stderr


def test_a_malformed_proxy_header_setting_is_refused():
    result = production("check", SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https'" in result.stderr


def _served_templates() -> list[Path]:
    roots = [REPO_DIR / "templates", *REPO_DIR.glob("*/templates")]
    found = []
    for root in roots:
        for path in root.rglob("*.html"):
            if str(path.relative_to(root)) not in STANDALONE_TEMPLATES:
                found.append(path)
    return found


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_served_templates_have_no_inline_script_or_style():
    templates = _served_templates()
    assert len(templates) > 40
    problems = [
        f"{path.relative_to(REPO_DIR)}: {what}"
        for path in templates
        for pattern, what in INLINE
        if pattern.search(path.read_text())
    ]
    assert problems == []


@pytest.mark.django_db
def test_debug_error_pages_of_development_keep_their_inline_styles(steward_client, settings):
    settings.DEBUG = True
    assert "Content-Security-Policy" not in steward_client.get("/no-such-page/")
    assert "Content-Security-Policy" in steward_client.get("/")
