"""What keeps the database from answering, in one line, found fast.

Through the connection pool an outage looks the same whatever its cause (``couldn't get a connection after
N sec``) and costs the pool's whole timeout. One direct connection attempt, bounded by ``timeout``, names
the cause instead: the server refused the connection, refused the credentials, or has no such database.
The health check, the API's 503 and the CLI all say it in these words.
"""

from __future__ import annotations

import math

from django.db import DatabaseError, connections

# PostgreSQL's SQLSTATEs for the causes a deployment meets (https://www.postgresql.org/docs/current/errcodes-appendix.html)
_AUTH_STATES = {"28000", "28P01"}  # invalid_authorization_specification (no such role), invalid_password
_MISSING_DB_STATE = "3D000"  # invalid_catalog_name


def database_problem(*, alias: str = "default", timeout: float = 2.0) -> str | None:
    """None when the database answers ``SELECT 1``, else one line naming the cause. On PostgreSQL it opens
    one connection of its own (never the pool's), waiting at most ``timeout`` seconds (rounded up)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as exc:
            return _first_line(exc)
        return None
    import psycopg

    settings = connection.settings_dict
    where = f"{settings.get('HOST') or 'localhost'}:{settings.get('PORT') or 5432}"
    params = {
        "dbname": settings.get("NAME") or "postgres",
        "user": settings.get("USER") or None,
        "password": settings.get("PASSWORD") or None,
        "host": settings.get("HOST") or None,
        "port": settings.get("PORT") or None,
        "connect_timeout": max(1, math.ceil(min(timeout, settings["OPTIONS"].get("connect_timeout") or timeout))),
    }
    try:
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as probe:
            probe.execute("SELECT 1")
    except psycopg.Error as exc:
        return describe(exc, where=where, user=params["user"], dbname=params["dbname"])
    return None


def describe(exc: BaseException, *, where: str, user: str | None, dbname: str) -> str:
    """One line for a failed connection attempt."""
    state = getattr(exc, "sqlstate", None)
    text = _first_line(exc)
    lowered = text.lower()
    if state in _AUTH_STATES or "authentication failed" in lowered or "role" in lowered and "does not exist" in lowered:
        return f"authentication failed for user {user or '(default)'} at {where}: {text}"
    if state == _MISSING_DB_STATE or ("database" in lowered and "does not exist" in lowered):
        return f"database {dbname!r} does not exist at {where}"
    if "refused" in lowered:
        return f"connection refused by {where} (is PostgreSQL running there?)"
    if "timeout" in lowered or "timed out" in lowered:
        return f"no answer from {where} (connection timed out)"
    return f"cannot connect to {where}: {text}"


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    # psycopg prefixes the server's message with the address it tried ("connection to server at ... failed:")
    text = lines[0] if lines else type(exc).__name__
    text = text.rsplit(" failed: ", 1)[-1]
    return text.removeprefix("FATAL:").strip()
