"""scripts/backup.sh, direct mode, against the local PostgreSQL: a round trip loses nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.db import connection

from catalog.models import Capsule, Column, Owner, SourceSystem
from lineage.models import CapsuleLineage

REPO_DIR = Path(__file__).resolve().parents[2]
TABLES = ("source_systems", "owners", "domains", "capsules", "columns", "capsule_lineage", "ingestion_jobs")

pytestmark = pytest.mark.django_db(transaction=True)


def _url(dbname: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgresql+asyncpg://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{dbname}"


def _table_digest(url: str) -> dict[str, str]:
    """Row count and an order-independent digest of every row, per table, read with psql."""
    digests = {}
    libpq = url.replace("postgresql+asyncpg://", "postgresql://")
    for table in TABLES:
        digest = "coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
        sql = f"SELECT count(*) || ':' || {digest} FROM dab.{table} t"
        result = subprocess.run(["psql", libpq, "-Atc", sql], capture_output=True, text=True, check=True)
        digests[table] = result.stdout.strip()
    return digests


def test_backup_and_restore_round_trip(tmp_path):
    if connection.vendor != "postgresql" or not shutil.which("pg_dump"):
        pytest.skip("backups are pg_dump/pg_restore: needs PostgreSQL and its client tools")
    system = SourceSystem.objects.create(name="acme", source_type="dbt", meta={"adapter_type": "duckdb"})
    owner = Owner.objects.create(name="Ünïcode team", email="t@example.com")
    a = Capsule.objects.create(urn="urn:dab:dbt:model:acme.a", name="a", capsule_type="model", source_system=system,
                               owner=owner, tags=["pii", "x"], meta={"k": [1, 2, {"n": None}]},
                               description="line\nbreak 'quote' \"dq\" \\ backslash")
    b = Capsule.objects.create(urn="urn:dab:dbt:model:acme.b", name="b", capsule_type="model", source_system=system)
    Column.objects.create(urn=f"{a.urn}:email", capsule=a, name="email", pii_type="email")
    CapsuleLineage.objects.create(source=a, target=b, source_urn=a.urn, target_urn=b.urn)

    source_url = _url(connection.settings_dict["NAME"])
    dump = tmp_path / "dab.dump"
    env = {**os.environ, "DATABASE_URL": source_url}
    subprocess.run([REPO_DIR / "scripts" / "backup.sh", "backup", dump], env=env, check=True, capture_output=True)
    assert dump.stat().st_size > 0

    restored = f"dab_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{restored}"')
    try:
        env["DATABASE_URL"] = _url(restored)
        subprocess.run([REPO_DIR / "scripts" / "backup.sh", "restore", dump], env=env, check=True, capture_output=True)
        before, after = _table_digest(source_url), _table_digest(_url(restored))
        assert before == after
        assert before["capsules"].startswith("2:") and before["capsule_lineage"].startswith("1:")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')


def test_restore_refuses_a_missing_file(tmp_path):
    env = {**os.environ, "DATABASE_URL": "postgres://u@localhost/x"}
    result = subprocess.run([REPO_DIR / "scripts" / "backup.sh", "restore", tmp_path / "nope.dump"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "no such backup file" in result.stderr


def test_backup_refuses_a_sqlite_url():
    env = {**os.environ, "DATABASE_URL": "sqlite:///tmp/x.sqlite3"}
    result = subprocess.run([REPO_DIR / "scripts" / "backup.sh", "backup", "/tmp/never.dump"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "not a PostgreSQL URL" in result.stderr
