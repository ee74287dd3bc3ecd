from django.apps import AppConfig
from django.db.models.signals import pre_migrate


def _create_schema(sender, using="default", **kwargs):
    """Create the `dab` schema before Django creates its first table, so every table lands in it."""
    from django.conf import settings
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {settings.DB_SCHEMA}")


class DabProjectConfig(AppConfig):
    name = "dab_project"
    verbose_name = "Data Architecture Brain"

    def ready(self):
        import orjson
        from psycopg.types.json import set_json_loads

        # jsonb columns decode with orjson: reading a project's meta/tags is several times faster.
        set_json_loads(orjson.loads)
        pre_migrate.connect(_create_schema, sender=self, dispatch_uid="dab_create_schema")
