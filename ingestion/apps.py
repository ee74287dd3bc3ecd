from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "ingestion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from catalog.panels import capsule_panels_register

        capsule_panels_register(template="ingestion/_capsule_history.html", context=_capsule_history_panel, order=50)


def _capsule_history_panel(*, capsule):
    """Import the panel's selectors when a capsule page first draws it: at setup they would cost every process
    (a worker, `dab conformance check`) about 0.09 s of imports it never uses."""
    from ingestion.changes.panels import capsule_history_panel

    return capsule_history_panel(capsule=capsule)
