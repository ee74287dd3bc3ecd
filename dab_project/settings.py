"""Django settings for DAB, read from the environment (and an optional `.env`) with django-environ.

Every variable is documented in `.env.example`. ENVIRONMENT=production (the default, as the seed's design
says) refuses to start with a default SECRET_KEY or API_KEY, or with DEBUG on.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from dab_project.logging import logging_config
from dab_project.security import MIN_API_KEY_LENGTH, MIN_SECRET_KEY_LENGTH, secret_weakness

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _path(value: str) -> Path:
    """A path from the environment; relative ones are taken from the repository root, not the cwd."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else BASE_DIR / path


_env_file = Path(os.environ.get("DAB_ENV_FILE", BASE_DIR / ".env"))
if _env_file.is_file():
    environ.Env.read_env(_env_file, overwrite=False)

# -- Environment --------------------------------------------------------------------------------------

ENVIRONMENTS = ("development", "test", "staging", "production")
ENVIRONMENT = env.str("ENVIRONMENT", default="production").strip().lower()
if ENVIRONMENT not in ENVIRONMENTS:
    raise ImproperlyConfigured(f"ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}; got {ENVIRONMENT!r}.")
# staging is run like production: real secrets, no DEBUG.
STRICT = ENVIRONMENT in ("staging", "production")

DEV_SECRET_KEY = "django-insecure-dab-development-key-do-not-use-in-production"
DEV_API_KEY = "dev-api-key-change-in-prod"
# Placeholders from the seed's files and our .env.example: never acceptable in production.
PLACEHOLDER_API_KEYS = {DEV_API_KEY, "your-secure-api-key-here", "change-me", ""}

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
API_KEY = env.str("API_KEY", default="")


def _check_strict_settings() -> None:
    problems = []
    if DEBUG:
        problems.append("DEBUG must be false")
    if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or SECRET_KEY.startswith("django-insecure"):
        problems.append(
            "SECRET_KEY must be set to a long random value"
            " (python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    elif weakness := secret_weakness(SECRET_KEY, min_length=MIN_SECRET_KEY_LENGTH):
        problems.append(f"SECRET_KEY is too weak: it {weakness}")
    if API_KEY in PLACEHOLDER_API_KEYS:
        problems.append("API_KEY must be set to a secret value, not a default or placeholder")
    elif weakness := secret_weakness(API_KEY, min_length=MIN_API_KEY_LENGTH):
        problems.append(
            f"API_KEY is too weak: it {weakness} (python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    if problems:
        raise ImproperlyConfigured(
            f"Refusing to start with ENVIRONMENT={ENVIRONMENT}: " + "; ".join(problems) + ". See .env.example."
        )


if STRICT:
    _check_strict_settings()
else:
    SECRET_KEY = SECRET_KEY or DEV_SECRET_KEY
    API_KEY = API_KEY or DEV_API_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# -- Applications -------------------------------------------------------------------------------------

INSTALLED_APPS = [
    "dab_project.apps.AdminConfig",  # the admin, its modules loaded with the URLs
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "dab_project.apps.DabProjectConfig",
    "catalog",
    "lineage",
    "pii.apps.PiiAppConfig",
    "conformance",
    "ingestion",
]

MIDDLEWARE = [
    "dab_project.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "dab_project.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dab_project.middleware.LoginRequiredPagesMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dab_project.urls"
WSGI_APPLICATION = "dab_project.wsgi.application"
ASGI_APPLICATION = "dab_project.asgi.application"

TEMPLATES_PATH = _path(env.str("TEMPLATES_PATH")) if env.str("TEMPLATES_PATH", default="") else None
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [path for path in (TEMPLATES_PATH, BASE_DIR / "templates") if path],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dab_project.context_processors.dab",
            ],
        },
    },
]

# -- Database -----------------------------------------------------------------------------------------

DATA_DIR = _path(env.str("DATA_DIR", default="var"))
DB_SCHEMA = "dab"


def sqlite_config(path) -> dict:
    """SQLite for laptops: WAL so pages read while an ingestion writes; IMMEDIATE transactions so two
    writers queue for the lock instead of failing half-way (this is how ingestions serialise on SQLite)."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 60,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }


def database_config(url: str | None) -> dict:
    """Turn DATABASE_URL (or nothing: embedded SQLite) into a Django DATABASES entry.

    The seed spells URLs for SQLAlchemy (``postgresql+asyncpg://``); any ``+driver`` suffix is dropped
    because Django always talks to PostgreSQL through psycopg 3.
    """
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return sqlite_config(DATA_DIR / "dab.sqlite3")
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ImproperlyConfigured(f"DATABASE_URL is not a URL: {url!r}")
    scheme = scheme.split("+", 1)[0].lower()
    if scheme == "postgresql":
        scheme = "postgres"
    if scheme not in ("postgres", "sqlite"):
        raise ImproperlyConfigured(f"DATABASE_URL must be a PostgreSQL or SQLite URL; got scheme {scheme!r}.")
    config = environ.Env.db_url_config(f"{scheme}://{rest}")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return sqlite_config(config["NAME"])
    if config["ENGINE"] == "django.db.backends.postgresql":
        options = config.setdefault("OPTIONS", {})
        # Every table lives in schema `dab`, as in the seed; migrations create it (dab_project/apps.py).
        options["options"] = f"-c search_path={DB_SCHEMA},public"
        options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    return config


DATABASE_URL = env.str("DATABASE_URL", default="")
DATABASES = {"default": database_config(DATABASE_URL)}
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=5)
DATABASE_MAX_OVERFLOW = env.int("DATABASE_MAX_OVERFLOW", default=10)
if DATABASE_POOL_SIZE < 0 or DATABASE_MAX_OVERFLOW < 0:
    raise ImproperlyConfigured("DATABASE_POOL_SIZE and DATABASE_MAX_OVERFLOW must not be negative.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_SIZE > 0:
    # psycopg's pool, one per process: POOL_SIZE connections kept, up to POOL_SIZE + MAX_OVERFLOW at peak.
    # Django opens it on first use, so the process starts (and answers liveness) while the database is down.
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": DATABASE_POOL_SIZE,
        "max_size": DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW,
        # How long a request waits for a connection. A sync worker uses one at a time, so waiting only
        # happens when the database cannot be reached: fail fast (503) instead of holding the request.
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=2.0),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Search's fixed-shape SQL prepared once per (persistent) connection; off behind a pooler that cannot keep
# prepared statements (PgBouncer in transaction mode before 1.21).
SEARCH_PREPARED_STATEMENTS = env.bool("SEARCH_PREPARED_STATEMENTS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- Auth, sessions, security -------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# For a laptop try-out: let anyone browse the pages read-only (the API still needs a key).
ALLOW_ANONYMOUS_READ = env.bool("ALLOW_ANONYMOUS_READ", default=False)
if STRICT and ALLOW_ANONYMOUS_READ:
    raise ImproperlyConfigured("ALLOW_ANONYMOUS_READ is for local use only; it cannot be on in production.")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=STRICT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=STRICT)
# Behind a TLS-terminating proxy: the header (and value) it sets on HTTPS requests. Empty turns it off,
# for a server reached directly; never trust a header the proxy does not overwrite.
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto: https" if STRICT else "")
if _proxy_ssl_header:
    _header, _, _value = _proxy_ssl_header.partition(":")
    if not _value.strip():
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https'; got {_proxy_ssl_header!r}."
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _header.strip().upper().replace("-", "_"), _value.strip())
# HTTPS only in production: plain-HTTP requests are redirected, and browsers told to remember it (HSTS).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=STRICT)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if STRICT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Asking browsers to preload the domain is a commitment for every sub-domain, the operator's to make
# (SECURE_HSTS_PRELOAD=true); without it, Django's deploy check would warn on every production install.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Content-Security-Policy on every response (dab_project.middleware); CSP_ENABLED=false only to debug.
CSP_ENABLED = env.bool("CSP_ENABLED", default=True)

# Login throttling (django-axes) on /accounts/login/ and /admin/login/; API keys never go through it.
# After LOGIN_FAILURE_LIMIT failed sign-ins an account is locked, and so is the address they came from,
# each on its own, for LOGIN_LOCKOUT_MINUTES. Attempts are stored in the database (shared by every
# worker), listed in the admin, and cleared with `python manage.py axes_reset`.
AXES_ENABLED = env.bool("LOGIN_THROTTLING", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
if AXES_FAILURE_LIMIT < 1 or LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be at least 1.")
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every command; failures and lockouts are still logged
AXES_LOCKOUT_CALLABLE = "dab_project.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "dab_project.security.client_ip"
# Behind a reverse proxy, the number of proxies that append to X-Forwarded-For: the client's address is
# the one that many hops from the right. 0 (the default) trusts only REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# -- Internationalisation, static files ---------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = _path(env.str("STATIC_ROOT", default="staticfiles"))
# Outside production whitenoise serves straight from the apps' static folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = not STRICT
if not STRICT:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "dab_project" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STRICT
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# -- API ----------------------------------------------------------------------------------------------

API_PREFIX = "/" + env.str("API_PREFIX", default="/api/v1").strip("/")
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=500)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "dab_project.authentication.ApiKeyAuthentication",
        "dab_project.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "dab_project.api.PageNumberPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "dab_project.parsers.JSONParser",  # deep JSON is a 400, not a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dab_project.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Data Architecture Brain API",
    "DESCRIPTION": (
        "Catalog, lineage, PII and conformance over dbt metadata. Authenticate with the X-API-Key header. "
        "URNs and names in paths are escaped into one segment: `~` becomes `~7E` and `/` becomes `~2F` "
        "(then percent-encoding as usual); every `url` in a response is already spelled so. Every error, "
        "whatever its status, is JSON in the `Error` shape."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": API_PREFIX,
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {"securitySchemes": {"ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}},
    "SECURITY": [{"ApiKeyAuth": []}],
    # Swagger UI's files come from the drf-spectacular-sidecar package: served by us, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two apps have a "status" choice set; name each after what it is.
    "ENUM_NAME_OVERRIDES": {
        "ViolationStatusEnum": "conformance.choices.ViolationStatus",
        "IngestionJobStatusEnum": "ingestion.choices.JobStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "dab_project.api.strip_trailing_slashes",
        "dab_project.api.describe_escaped_names",
        "dab_project.api.document_error_responses",
    ],
}

# Production allows no cross-origin browser calls unless origins are listed; elsewhere any origin may.
CORS_ORIGINS = env.list("CORS_ORIGINS", default=[] if STRICT else ["*"])
CORS_ALLOW_ALL_ORIGINS = CORS_ORIGINS == ["*"]
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else CORS_ORIGINS
CORS_URLS_REGEX = r"^/api/.*$"
# Health probes come over plain HTTP from inside the container or the orchestrator: never redirected.
SECURE_REDIRECT_EXEMPT = [rf"^{API_PREFIX.strip('/')}/health"]
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "x-api-key", "x-request-id")

# -- Product features ---------------------------------------------------------------------------------

MAX_LINEAGE_DEPTH = env.int("MAX_LINEAGE_DEPTH", default=10)
if not 1 <= MAX_LINEAGE_DEPTH <= 100:
    raise ImproperlyConfigured(f"MAX_LINEAGE_DEPTH must be between 1 and 100; got {MAX_LINEAGE_DEPTH}.")
PII_DETECTION_ENABLED = env.bool("PII_DETECTION_ENABLED", default=True)
# Processes deriving column lineage from SQL (default: one per CPU), and extra masking/hashing
# function names (or globs like mask_*) on top of the built-in list.
LINEAGE_PROCESSES = env.int("LINEAGE_PROCESSES", default=0) or None
LINEAGE_MASKING_FUNCTIONS = tuple(env.list("LINEAGE_MASKING_FUNCTIONS", default=[]))
CONFORMANCE_ON_INGEST = env.bool("CONFORMANCE_ON_INGEST", default=True)
RULES_PATH = _path(env.str("RULES_PATH", default="config/rules"))
PII_CONFIG_PATH = _path(env.str("PII_CONFIG_PATH", default="config/pii.yaml"))
CONVENTIONS_PATH = _path(env.str("CONVENTIONS_PATH")) if env.str("CONVENTIONS_PATH", default="") else None
# Largest artifact accepted from a file (CLI) and from an upload (API, UI), in megabytes.
INGEST_MAX_FILE_MB = env.int("INGEST_MAX_FILE_MB", default=1024)
INGEST_MAX_UPLOAD_MB = env.int("INGEST_MAX_UPLOAD_MB", default=256)
for _name in ("INGEST_MAX_FILE_MB", "INGEST_MAX_UPLOAD_MB"):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive number of megabytes.")
# Change history (docs/changes.md): how long changes and run observations are kept (0 keeps them forever); a
# model's execution time is recorded when it moved by more than this share of the last recorded one (and by at
# least RUN_TIME_DEADBAND_SECONDS); a test is flaky when its status changed FLAKY_MIN_FLIPS times or more in
# the project's last FLAKY_WINDOW_RUNS runs.
CHANGE_HISTORY_DAYS = env.int("CHANGE_HISTORY_DAYS", default=365)
RUN_TIME_DEADBAND = env.float("RUN_TIME_DEADBAND", default=0.2)
RUN_TIME_DEADBAND_SECONDS = env.float("RUN_TIME_DEADBAND_SECONDS", default=0.5)
FLAKY_WINDOW_RUNS = env.int("FLAKY_WINDOW_RUNS", default=10)
FLAKY_MIN_FLIPS = env.int("FLAKY_MIN_FLIPS", default=2)
if CHANGE_HISTORY_DAYS < 0:
    raise ImproperlyConfigured("CHANGE_HISTORY_DAYS must be 0 (keep forever) or a positive number of days.")
if RUN_TIME_DEADBAND < 0 or RUN_TIME_DEADBAND_SECONDS < 0:
    raise ImproperlyConfigured("RUN_TIME_DEADBAND and RUN_TIME_DEADBAND_SECONDS must not be negative.")
if FLAKY_WINDOW_RUNS < 2 or FLAKY_MIN_FLIPS < 1:
    raise ImproperlyConfigured("FLAKY_WINDOW_RUNS must be at least 2 and FLAKY_MIN_FLIPS at least 1.")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024  # form fields; files stream to disk
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# -- Background jobs (Django's Tasks framework through the django-tasks backport) ----------------------
# The ORM backend keeps the queue in DAB's own database (PostgreSQL or SQLite), so `dab worker` processes on
# any machine sharing the database take jobs from it. TASKS_BACKEND names another backend (a dotted path, for
# example django_tasks_rq.RQBackend) without code changes; TASKS_OPTIONS passes it JSON options.
TASKS_BACKEND = env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")
TASKS = {
    "default": {
        "BACKEND": TASKS_BACKEND,
        "QUEUES": [],  # any queue name
        "OPTIONS": env.json("TASKS_OPTIONS", default={}),
    }
}
# A running job's worker writes its progress and a heartbeat at most every INGEST_PROGRESS_INTERVAL seconds;
# a running job whose process can't be checked directly (another host, not PostgreSQL) and whose heartbeat is
# older than INGEST_JOB_LEASE_SECONDS is taken for dead: failed, saying whether anything was stored.
INGEST_PROGRESS_INTERVAL = env.float("INGEST_PROGRESS_INTERVAL", default=1.0)
INGEST_JOB_LEASE_SECONDS = env.int("INGEST_JOB_LEASE_SECONDS", default=300)
if INGEST_PROGRESS_INTERVAL <= 0 or INGEST_JOB_LEASE_SECONDS < 10 * INGEST_PROGRESS_INTERVAL:
    raise ImproperlyConfigured(
        "INGEST_PROGRESS_INTERVAL must be positive and INGEST_JOB_LEASE_SECONDS at least ten times as long."
    )
# The sample dbt project `make run` ingests on first start.
SAMPLE_PROJECT_DIR = BASE_DIR / "examples" / "acme_shop" / "target"

# -- Caching, logging ---------------------------------------------------------------------------------

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL; got {LOG_LEVEL!r}.")
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if STRICT else "console")

if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or console; got {LOG_FORMAT!r}.")
LOGGING = logging_config(level=LOG_LEVEL, fmt=LOG_FORMAT)
