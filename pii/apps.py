from django.apps import AppConfig


class PiiAppConfig(AppConfig):
    """Personal data: classification, stewards' decisions, propagation along lineage, inventory, exposure, trace."""

    name = "pii"
    verbose_name = "Personal data"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The column page shows the PII panel through the catalog's panel registry (no include across apps).
        from catalog.panels import column_panels_register

        column_panels_register(template="pii/_column_panel.html", order=10)
