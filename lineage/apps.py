from django.apps import AppConfig


class LineageConfig(AppConfig):
    name = "lineage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Connects PII propagation to steward decisions (catalog.services.pii_decisions_changed).
        import lineage.pii  # noqa: F401
