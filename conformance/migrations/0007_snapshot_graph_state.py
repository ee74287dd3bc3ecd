from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conformance", "0006_rule_capsule_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="scoresnapshot",
            name="graph_state",
            field=models.JSONField(blank=True, db_default={}, default=dict),
        ),
    ]
