"""Description and column-tag search indexes only over rows that have one (PostgreSQL).

Most columns have no description (78% in a generated 10,000-model project) and almost none have tags, yet
full indexes computed a tsvector and visited the GIN for every ingested row. Partial indexes cost next to
nothing for those rows; catalog.querysets states the same predicate in its search conditions so the planner
can use them.
"""

from django.db import migrations

from dab_project.migration_ops import PostgresOnlySQL

PARTIAL = """
DROP INDEX IF EXISTS idx_capsules_description_fts;
DROP INDEX IF EXISTS idx_columns_description_fts;
DROP INDEX IF EXISTS idx_columns_tags;
CREATE INDEX idx_capsules_description_fts ON capsules
    USING gin (to_tsvector('simple'::regconfig, COALESCE(description, '')))
    WHERE description IS NOT NULL AND description <> '';
CREATE INDEX idx_columns_description_fts ON columns
    USING gin (to_tsvector('simple'::regconfig, COALESCE(description, '')))
    WHERE description IS NOT NULL AND description <> '';
CREATE INDEX idx_columns_tags ON columns USING gin (tags jsonb_path_ops) WHERE tags <> '[]'::jsonb;
"""

FULL = """
DROP INDEX IF EXISTS idx_capsules_description_fts;
DROP INDEX IF EXISTS idx_columns_description_fts;
DROP INDEX IF EXISTS idx_columns_tags;
CREATE INDEX idx_capsules_description_fts ON capsules
    USING gin (to_tsvector('simple'::regconfig, COALESCE(description, '')));
CREATE INDEX idx_columns_description_fts ON columns
    USING gin (to_tsvector('simple'::regconfig, COALESCE(description, '')));
CREATE INDEX idx_columns_tags ON columns USING gin (tags jsonb_path_ops);
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_drop_column_name_trigrams")]

    operations = [PostgresOnlySQL(PARTIAL, FULL)]
