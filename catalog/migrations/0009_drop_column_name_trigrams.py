"""Drop the trigram index on columns' names (PostgreSQL).

Maintaining it cost every ingestion 2.3 s per 376,000 column rows (about a quarter of a first ingest of a
10,000-model project), while those columns have only ~5,500 distinct names: a "contains" search now scans
that list in Python (catalog.search.column_names_containing) and matches the names it finds by equality on
the ``lower(name) COLLATE "C"`` btree of migration 0007. Capsules keep their trigram indexes (14,500 rows).
"""

import importlib

from django.db import migrations

from dab_project.migration_ops import PostgresOnlySQL

_search_indexes = importlib.import_module("catalog.migrations.0006_search_indexes")

RECREATE = _search_indexes.ENABLE_TRIGRAMS.format(
    creates=_search_indexes.CREATE_TRIGRAM.format(name="idx_columns_name_trgm", table="columns", expr="lower(name)")
)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_capsule_updated_index")]

    operations = [
        PostgresOnlySQL("DROP INDEX IF EXISTS idx_columns_name_trgm", RECREATE),
    ]
