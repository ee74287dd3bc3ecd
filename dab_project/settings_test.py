"""Settings for the test suite: PostgreSQL when one is reachable, else SQLite; fast hashing.

Database choice, in order: DAB_TEST_DATABASE=sqlite forces SQLite; DATABASE_URL is used when set;
otherwise the local PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) when it answers;
otherwise SQLite, with a note on stderr. Django creates (and drops) the test database itself.
"""

import os
import sys

os.environ["ENVIRONMENT"] = "test"
os.environ["DAB_ENV_FILE"] = os.devnull  # a developer's .env must not leak into tests
os.environ.setdefault("DATABASE_POOL_SIZE", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/dab"


def _postgres_answers(url: str) -> bool:
    try:
        import psycopg

        psycopg.connect(url.replace("/dab", "/postgres"), connect_timeout=2).close()
    except Exception:
        return False
    return True


if os.environ.get("DAB_TEST_DATABASE", "").lower() == "sqlite":
    os.environ.pop("DATABASE_URL", None)
elif not os.environ.get("DATABASE_URL"):
    if _postgres_answers(LOCAL_POSTGRES):
        os.environ["DATABASE_URL"] = LOCAL_POSTGRES
    else:
        sys.stderr.write("note: no PostgreSQL at 127.0.0.1:5432; the tests run on SQLite.\n")

from dab_project.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
API_KEY = "test-api-key-0123456789"
