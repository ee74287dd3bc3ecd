from django.apps import AppConfig
from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks
from django.db.models.signals import pre_migrate


def _create_schema(sender, using="default", **kwargs):
    """Create the `dab` schema before Django creates its first table, so every table lands in it."""
    from django.conf import settings
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {settings.DB_SCHEMA}")


@checks.register(checks.Tags.security, deploy=True)
def wildcard_hosts_and_origins(app_configs=None, **kwargs):
    """`manage.py check --deploy`: ALLOWED_HOSTS or CORS_ORIGINS of '*' (dab.W001, dab.W002)."""
    from django.conf import settings

    from dab_project.security import wildcard_warnings

    found = wildcard_warnings(allowed_hosts=settings.ALLOWED_HOSTS, cors_origins=settings.CORS_ORIGINS)
    ids = {"ALLOWED_HOSTS": "dab.W001", "CORS_ORIGINS": "dab.W002"}
    return [checks.Warning(text, id=ids[name]) for name, text in found.items()]


class DabProjectConfig(AppConfig):
    name = "dab_project"
    verbose_name = "Data Architecture Brain"

    def ready(self):
        import orjson
        from psycopg.types.json import set_json_loads

        from dab_project import pg_types

        # jsonb columns decode with orjson: reading a project's meta/tags is several times faster.
        set_json_loads(orjson.loads)
        pg_types.register()  # and uuid columns with a loader twice as fast as psycopg's
        pre_migrate.connect(_create_schema, sender=self, dispatch_uid="dab_create_schema")
        _warn_about_wildcards()


def _warn_about_wildcards() -> None:
    """In production, say at every start (web, worker, command) when any host or origin is accepted."""
    import structlog
    from django.conf import settings

    from dab_project.security import wildcard_warnings

    if not settings.STRICT:
        return
    logger = structlog.get_logger("dab.security")
    found = wildcard_warnings(allowed_hosts=settings.ALLOWED_HOSTS, cors_origins=settings.CORS_ORIGINS)
    for text in found.values():
        logger.warning("insecure_setting", environment=settings.ENVIRONMENT, problem=text)


def _admin_app_checks(app_configs=None, **kwargs):
    """Django's admin checks, after loading the apps' admin modules: `manage.py check` may run before the URLs."""
    from django.contrib import admin

    admin.autodiscover()
    return check_admin_app(app_configs, **kwargs)


class AdminConfig(SimpleAdminConfig):
    """The admin, loading every app's admin module when the URLs load (dab_project.urls) or the checks run, not
    at setup: a worker or `dab conformance check` never draws an admin page, and those modules import the apps'
    services (about 0.1 s of every process start)."""

    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(_admin_app_checks, checks.Tags.admin)
