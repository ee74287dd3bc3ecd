"""Where DAB learnt of each column: the warehouse catalog, the dbt manifest, or inferred by column lineage
(from a model's SQL, or from what downstream SQL reads of a source). Stored columns are all declared ones:
catalog when the warehouse saw them, else manifest."""

from django.db import migrations, models


def declared_origins(apps, schema_editor):
    Column = apps.get_model("catalog", "Column")
    Column.objects.filter(in_catalog=True).update(origin="catalog")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0011_capsule_sort_indexes")]

    operations = [
        migrations.AddField(
            model_name="column",
            name="origin",
            field=models.CharField(
                choices=[
                    ("catalog", "warehouse catalog"),
                    ("manifest", "dbt manifest"),
                    ("sql", "inferred from SQL"),
                    ("usage", "inferred from usage"),
                ],
                db_default="manifest",
                default="manifest",
                max_length=20,
            ),
        ),
        migrations.RunPython(declared_origins, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="column",
            constraint=models.CheckConstraint(
                condition=models.Q(("origin__in", ["catalog", "manifest", "sql", "usage"])),
                name="catalog_column_origin_valid",
            ),
        ),
    ]
