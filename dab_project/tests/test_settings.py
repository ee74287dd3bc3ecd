"""Settings validation: each check runs the real settings module in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
# Random-looking values, as secrets.token_urlsafe() gives (fixed so failures reproduce).
GOOD_SECRET = "q3VZ8mJx1-Lr9TfKc0wYpN4sHd7GbE2uAiO6nWvX5yRt_zCkMe"
GOOD_API_KEY = "Tz4kQ9vN2pLx7mRc0sWb8yHd"


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import dab_project.settings with exactly `env` (plus PATH) and print a few values."""
    clean = {"PATH": os.environ.get("PATH", ""), "DAB_ENV_FILE": os.devnull, "DATA_DIR": "/tmp/dab-settings-test"}
    clean.update(env)
    code = (
        "import django.conf as c, os; os.environ['DJANGO_SETTINGS_MODULE']='dab_project.settings';"
        "s=c.settings; db=s.DATABASES['default']; print(s.ENVIRONMENT, s.DEBUG, db['ENGINE'], db.get('NAME'),"
        " s.MAX_LINEAGE_DEPTH, s.PII_DETECTION_ENABLED, s.CONFORMANCE_ON_INGEST, s.CORS_ALLOW_ALL_ORIGINS)"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=REPO_DIR, env=clean, capture_output=True, text=True)


def test_production_is_the_default_and_refuses_to_start_without_secrets():
    result = load_settings()
    assert result.returncode != 0
    assert "Refusing to start with ENVIRONMENT=production" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr
    assert "API_KEY must be set" in result.stderr


@pytest.mark.parametrize("api_key", ["dev-api-key-change-in-prod", "your-secure-api-key-here", ""])
def test_production_refuses_default_api_key(api_key):
    result = load_settings(SECRET_KEY=GOOD_SECRET, API_KEY=api_key)
    assert result.returncode != 0
    assert "API_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("api_key", "reason"),
    [
        ("short", "is 5 characters long; at least 16 are needed"),
        ("k" * 32, "has only 1 distinct character"),
        ("abababababababababababab", "has only 2 distinct characters"),
        ("1234512345123451234512345", "has only 5 distinct characters"),
        ("abcdefghijklmnopqrstuvwxyz", "is mostly a run of repeated or consecutive characters"),
    ],
)
def test_production_refuses_low_entropy_api_keys(api_key, reason):
    result = load_settings(SECRET_KEY=GOOD_SECRET, API_KEY=api_key)
    assert result.returncode != 0
    assert f"API_KEY is too weak: it {reason}" in result.stderr


@pytest.mark.parametrize(
    ("secret_key", "reason"),
    [
        ("x" * 50, "has only 1 distinct character"),
        ("0123456789" * 6, "is mostly a run of repeated or consecutive characters"),
        (GOOD_SECRET[:40], "is 40 characters long; at least 50 are needed"),
    ],
)
def test_production_refuses_low_entropy_secret_keys(secret_key, reason):
    result = load_settings(SECRET_KEY=secret_key, API_KEY=GOOD_API_KEY)
    assert result.returncode != 0
    assert f"SECRET_KEY is too weak: it {reason}" in result.stderr


def test_generated_keys_are_accepted():
    import secrets

    from dab_project.security import MIN_API_KEY_LENGTH, MIN_SECRET_KEY_LENGTH, secret_weakness

    for _ in range(200):
        assert secret_weakness(secrets.token_urlsafe(50), min_length=MIN_SECRET_KEY_LENGTH) is None
        assert secret_weakness(secrets.token_urlsafe(12), min_length=MIN_API_KEY_LENGTH) is None
        assert secret_weakness(secrets.token_hex(16), min_length=MIN_API_KEY_LENGTH) is None


def test_production_refuses_insecure_secret_key():
    result = load_settings(SECRET_KEY="django-insecure-" + "a" * 40, API_KEY=GOOD_API_KEY)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_never_runs_with_debug():
    result = load_settings(SECRET_KEY=GOOD_SECRET, API_KEY=GOOD_API_KEY, DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG must be false" in result.stderr


def test_production_starts_with_real_secrets():
    result = load_settings(SECRET_KEY=GOOD_SECRET, API_KEY=GOOD_API_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["production", "False"]


def test_development_runs_on_embedded_sqlite_without_database_url():
    result = load_settings(ENVIRONMENT="development")
    assert result.returncode == 0, result.stderr
    fields = result.stdout.split()
    assert fields[2] == "django.db.backends.sqlite3"
    assert fields[3].endswith("dab.sqlite3")


def test_seed_asyncpg_database_url_is_accepted():
    result = load_settings(ENVIRONMENT="development", DATABASE_URL="postgresql+asyncpg://dab:dab_password@db:5433/dab")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[2:4] == ["django.db.backends.postgresql", "dab"]


def test_feature_flags_and_limits_are_read_from_the_environment():
    result = load_settings(
        ENVIRONMENT="development",
        MAX_LINEAGE_DEPTH="25",
        PII_DETECTION_ENABLED="false",
        CONFORMANCE_ON_INGEST="false",
        CORS_ORIGINS="https://a.example,https://b.example",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[4:] == ["25", "False", "False", "False"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ENVIRONMENT", "prod", "ENVIRONMENT must be one of"),
        ("MAX_LINEAGE_DEPTH", "0", "MAX_LINEAGE_DEPTH must be between 1 and 100"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be"),
        ("DATABASE_URL", "mysql://u@h/db", "must be a PostgreSQL or SQLite URL"),
        ("DATABASE_POOL_SIZE", "-1", "must not be negative"),
    ],
)
def test_bad_values_fail_with_a_message_naming_the_variable(name, value, message):
    env = {"ENVIRONMENT": "development", name: value}
    result = load_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_postgres_urls_put_tables_in_schema_dab():
    from dab_project.settings import database_config

    config = database_config("postgres://u:p@localhost:5432/dab")
    assert config["OPTIONS"]["options"] == "-c search_path=dab,public"
    assert config["HOST"] == "localhost" and config["PORT"] == 5432 and config["USER"] == "u"


def test_env_file_is_read(tmp_path):
    env_file = tmp_path / "dab.env"
    env_file.write_text("ENVIRONMENT=development\nMAX_LINEAGE_DEPTH=7\n")
    result = load_settings(DAB_ENV_FILE=str(env_file))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "development"
    assert result.stdout.split()[4] == "7"
