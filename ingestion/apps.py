from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "ingestion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from catalog.panels import capsule_panels_register
        from ingestion.changes.panels import capsule_history_panel

        capsule_panels_register(template="ingestion/_capsule_history.html", context=capsule_history_panel, order=50)
