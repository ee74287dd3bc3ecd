"""Capsule search without re-parsing descriptions, and typo-tolerant capsule names (PostgreSQL only).

- ``description_document``: a stored generated ``tsvector`` of each capsule's description, GIN-indexed.
  Until now description matches used an expression index, so every candidate row the index found was
  re-checked by running ``to_tsvector`` on its description again: GitLab's long Markdown descriptions made
  that 10-34 ms of a 35 ms search for a common word ("date"). The stored vector is read, not recomputed;
  PostgreSQL keeps it current on every insert and update (about 14,500 capsules per 10,000-model project,
  so ingestion hardly notices). Django does not know the column: only catalog.querysets reads it, and every
  write names its columns. It replaces the expression index of migration 0010.
- ``idx_capsules_name_squashed_trgm``: a trigram index on the lower-cased name without its separators, so
  ``DimDate`` or ``dimdate`` find ``dim_date`` (catalog.querysets' fuzzy tier). Skipped, like the other
  trigram indexes, where pg_trgm cannot be enabled (see migration 0006).
"""

import importlib

from django.db import migrations

from dab_project.migration_ops import PostgresOnlySQL

_search_indexes = importlib.import_module("catalog.migrations.0006_search_indexes")

# Must stay identical to catalog.querysets.SQUASHED_NAME_SQL, or the planner cannot use the index.
SQUASHED_NAME = "regexp_replace(lower(name), '[^a-z0-9]+', '', 'g')"

DOCUMENT = """
ALTER TABLE capsules ADD COLUMN IF NOT EXISTS description_document tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(description, ''))) STORED;
CREATE INDEX IF NOT EXISTS idx_capsules_description_document ON capsules USING gin (description_document);
DROP INDEX IF EXISTS idx_capsules_description_fts;
"""

NO_DOCUMENT = """
DROP INDEX IF EXISTS idx_capsules_description_document;
ALTER TABLE capsules DROP COLUMN IF EXISTS description_document;
CREATE INDEX IF NOT EXISTS idx_capsules_description_fts ON capsules
    USING gin (to_tsvector('simple'::regconfig, COALESCE(description, '')))
    WHERE description IS NOT NULL AND description <> '';
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0012_column_origin")]

    operations = [
        PostgresOnlySQL(DOCUMENT, NO_DOCUMENT),
        PostgresOnlySQL(
            _search_indexes.ENABLE_TRIGRAMS.format(
                # The expression sits inside a quoted format() string there: its quotes are doubled.
                creates=_search_indexes.CREATE_TRIGRAM.format(
                    name="idx_capsules_name_squashed_trgm", table="capsules", expr=SQUASHED_NAME.replace("'", "''")
                )
            ),
            "DROP INDEX IF EXISTS idx_capsules_name_squashed_trgm;",
        ),
    ]
