"""An index on capsules.updated_at: catalog.selectors.catalog_version reads MAX(updated_at) on every column
list (to know whether a remembered count still holds), and ?ordering=updated_at sorts by it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_browse_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS idx_capsules_updated_at ON capsules (updated_at)",
            "DROP INDEX IF EXISTS idx_capsules_updated_at",
        ),
    ]
