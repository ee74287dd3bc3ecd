import pytest
from django.core.management import call_command
from django.db import connection


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_seed_tables_exist_with_their_names():
    tables = set(connection.introspection.table_names())
    assert {
        "source_systems",
        "owners",
        "domains",
        "ingestion_jobs",
        "capsules",
        "columns",
        "capsule_lineage",
        "column_lineage",
        "rules",
        "violations",
    } <= tables


@pytest.mark.django_db
def test_postgres_tables_live_in_schema_dab_with_a_gin_index_on_tags():
    if connection.vendor != "postgresql":
        pytest.skip("schema and GIN index are PostgreSQL features")
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_schema FROM information_schema.tables WHERE table_name = 'capsules'")
        assert [row[0] for row in cursor.fetchall()] == ["dab"]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_capsules_tags'")
        assert "USING gin" in cursor.fetchone()[0]
