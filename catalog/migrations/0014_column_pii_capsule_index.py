"""Which capsules hold PII, read from a small index (PostgreSQL only).

A partial index over the columns that have a PII type, keyed by their capsule and carrying the steward's
decision, so "which of these capsules hold PII that no steward rejected" is an index-only scan: the search
facets ask it for up to 2,000 candidate capsules per query, and the capsule filter ``has_pii`` asks it per
capsule. From the heap (through ``idx_columns_pii_type``) the same question read 4,500 pages for the 15,700
PII columns of a generated 10,000-model project (70-120 ms cold); the index holds only those rows, so
ingestion writes it for a few percent of the columns.
"""

from django.db import migrations

from dab_project.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("catalog", "0013_capsule_search_document")]

    operations = [
        PostgresOnlySQL(
            "CREATE INDEX IF NOT EXISTS idx_columns_pii_capsule ON columns (capsule_id, pii_decision) "
            "WHERE pii_type IS NOT NULL;",
            "DROP INDEX IF EXISTS idx_columns_pii_capsule;",
        ),
    ]
