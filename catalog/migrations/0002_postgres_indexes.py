from django.db import migrations

from dab_project.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        # The seed's GIN index: "capsules tagged X" (?tag=) uses jsonb containment, tags @> '["X"]'.
        PostgresOnlySQL(
            "CREATE INDEX IF NOT EXISTS idx_capsules_tags ON capsules USING gin (tags jsonb_path_ops)",
            "DROP INDEX IF EXISTS idx_capsules_tags",
        ),
    ]
