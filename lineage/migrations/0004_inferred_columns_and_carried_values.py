"""Column lineage learns more: whether each edge carries the value, and what a model's SQL says of its own columns
(inferred outputs, whether they are whole, what it reads of its parents that they do not list).

Existing edges keep carries_value true until the next ingestion re-derives them: lineage.services' extractor
version moved with this change, so every model is derived again then."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("lineage", "0003_column_lineage_inputs")]

    operations = [
        migrations.AddField(
            model_name="columnlineage",
            name="carries_value",
            field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.AddField(
            model_name="columnlineageinput",
            name="outputs_complete",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="columnlineageinput",
            name="outputs_hash",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="columnlineageinput",
            name="reads",
            field=models.JSONField(blank=True, db_default={}, default=dict),
        ),
    ]
