from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conformance", "0004_scheduled_trigger"),
    ]

    operations = [
        migrations.AddField(
            model_name="scoresnapshot",
            name="settings_fingerprint",
            field=models.CharField(blank=True, max_length=40, null=True),
        ),
    ]
