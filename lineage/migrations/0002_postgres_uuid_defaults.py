from django.db import migrations

from dab_project.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("lineage", "0001_initial")]

    operations = [
        # As the seed has it: the database makes the key when a bulk insert leaves it out.
        PostgresOnlySQL(
            "ALTER TABLE capsule_lineage ALTER COLUMN id SET DEFAULT gen_random_uuid();"
            "ALTER TABLE column_lineage ALTER COLUMN id SET DEFAULT gen_random_uuid();",
            "ALTER TABLE capsule_lineage ALTER COLUMN id DROP DEFAULT;"
            "ALTER TABLE column_lineage ALTER COLUMN id DROP DEFAULT;",
        ),
    ]
