"""Structured logging: JSON lines in production, a readable console elsewhere, request ids everywhere.

Both structlog loggers and the standard library's (Django, gunicorn) go through the same processors, so
a request's id (bound by ``RequestIdMiddleware``) appears on every line that request logs.
Logs go to stderr: stdout belongs to CLI output such as ``dab ingest dbt --json``.
"""

from __future__ import annotations

import structlog

_SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def logging_config(*, level: str, fmt: str) -> dict:
    """Configure structlog and return the ``LOGGING`` dict Django applies with dictConfig."""
    structlog.configure(
        processors=[*_SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer = (
        [structlog.processors.dict_tracebacks, structlog.processors.JSONRenderer()]
        if fmt == "json"
        else [structlog.dev.ConsoleRenderer(colors=False)]
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
                "foreign_pre_chain": _SHARED_PROCESSORS,
            }
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # The request middleware logs every request itself, with its id and duration.
            "django.server": {"level": "WARNING"},
            "django.db.backends": {"level": "INFO"},
            "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
        },
    }
