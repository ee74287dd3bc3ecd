"""Search indexes for the catalog's search box and list filters (PostgreSQL only; SQLite searches with LIKE).

Each index serves an expression in catalog/querysets.py, which must stay identical to it:
- trigram GIN on ``lower(name)`` of capsules and columns, and on ``lower(urn)`` of capsules:
  ``lower(name) LIKE '%q%'`` / ``LIKE 'q%'`` / ``= 'q'`` (search tiers 0-2);
- GIN on ``to_tsvector('simple', coalesce(description, ''))`` of capsules and columns: description matches;
- GIN on columns' ``tags`` (jsonb_path_ops): ``tags @> '["t"]'``, as capsules already have.

pg_trgm is enabled when the server has it and the user may create it; otherwise (managed databases that
refuse, a minimal server) the migration still succeeds, the trigram indexes are skipped with a NOTICE and
name search falls back to scanning, which is correct, only slower. Run ``CREATE EXTENSION pg_trgm`` as a
superuser and re-run this migration's SQL (``dab migrate catalog 0005 && dab migrate``) to add them later.
"""

from django.db import migrations

from dab_project.migration_ops import PostgresOnlySQL

TRIGRAM_INDEXES = (
    ("idx_capsules_name_trgm", "capsules", "lower(name)"),
    ("idx_capsules_urn_trgm", "capsules", "lower(urn)"),
    ("idx_columns_name_trgm", "columns", "lower(name)"),
)

# Inside one DO block: the CREATE EXTENSION attempt runs in a sub-transaction, so a refusal does not abort
# the migration. The operator class is qualified with the schema the extension lives in, which need not
# be on the search path.
ENABLE_TRIGRAMS = """
DO $$
DECLARE
    trgm_schema text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'pg_trgm could not be enabled (%); catalog name search runs without trigram indexes',
                SQLERRM;
        END;
    END IF;
    SELECT n.nspname INTO trgm_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_trgm';
    IF trgm_schema IS NULL THEN
        RAISE NOTICE 'pg_trgm is not available; catalog name search runs without trigram indexes';
        RETURN;
    END IF;
    {creates}
END
$$;
"""

CREATE_TRIGRAM = (
    "EXECUTE format('CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expr} %I.gin_trgm_ops)', trgm_schema);"
)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_column_indexes")]

    operations = [
        PostgresOnlySQL(
            ENABLE_TRIGRAMS.format(
                creates="\n    ".join(
                    CREATE_TRIGRAM.format(name=name, table=table, expr=expr) for name, table, expr in TRIGRAM_INDEXES
                )
            ),
            "\n".join(f"DROP INDEX IF EXISTS {name};" for name, _, _ in TRIGRAM_INDEXES),
        ),
        PostgresOnlySQL(
            """
            CREATE INDEX IF NOT EXISTS idx_capsules_description_fts
                ON capsules USING gin (to_tsvector('simple'::regconfig, COALESCE(description, '')));
            CREATE INDEX IF NOT EXISTS idx_columns_description_fts
                ON columns USING gin (to_tsvector('simple'::regconfig, COALESCE(description, '')));
            CREATE INDEX IF NOT EXISTS idx_columns_tags ON columns USING gin (tags jsonb_path_ops);
            """,
            """
            DROP INDEX IF EXISTS idx_capsules_description_fts;
            DROP INDEX IF EXISTS idx_columns_description_fts;
            DROP INDEX IF EXISTS idx_columns_tags;
            """,
        ),
    ]
