from django.db import migrations

from dab_project.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_capsule_columns_hash")]

    operations = [
        # As the seed has it: the database makes the key when an insert leaves it out. Bulk loads of
        # hundreds of thousands of columns then skip making UUIDs in Python.
        PostgresOnlySQL(
            "ALTER TABLE columns ALTER COLUMN id SET DEFAULT gen_random_uuid()",
            "ALTER TABLE columns ALTER COLUMN id DROP DEFAULT",
        ),
    ]
