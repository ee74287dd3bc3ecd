"""Security helpers shared by settings and middleware: the client's address and secret-strength rules."""

from __future__ import annotations

import structlog
from django.conf import settings

logger = structlog.get_logger("dab.security")


def client_ip(request) -> str | None:
    """The client's address for login throttling.

    REMOTE_ADDR unless TRUSTED_PROXY_COUNT proxies sit in front: then the address the outermost trusted
    proxy saw, counted from the right of X-Forwarded-For (entries further left are the client's to forge).
    """
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE): 429, saying for how long."""
    from axes.helpers import get_client_username
    from django.shortcuts import render

    username = get_client_username(request, credentials) or ""
    address = client_ip(request)
    logger.warning("login_locked_out", username=username, address=address, path=request.path)
    context = {
        "username": username,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
    }
    return render(request, "registration/locked_out.html", context, status=429)


# Secrets shorter than this are refused in production; 50 for SECRET_KEY is also Django's deploy check.
MIN_SECRET_KEY_LENGTH = 50
MIN_API_KEY_LENGTH = 16
# A random 16-character key has about 14 distinct characters; fewer than this means it was typed by hand.
MIN_DISTINCT_CHARACTERS = 8


def secret_weakness(value: str, *, min_length: int) -> str | None:
    """Why ``value`` is too weak to be a production secret, or None when it will do.

    Refused: too short; too few distinct characters ("aaaa...", "abab..."); mostly a run of neighbouring
    characters ("abcdef...", "0123..."), which no random generator produces.
    """
    if len(value) < min_length:
        return f"is {len(value)} characters long; at least {min_length} are needed"
    distinct = len(set(value))
    if distinct < MIN_DISTINCT_CHARACTERS:
        return f"has only {distinct} distinct character{'s' if distinct != 1 else ''}; use a random value"
    steps = sum(1 for a, b in zip(value, value[1:], strict=False) if abs(ord(a) - ord(b)) <= 1)
    if steps * 2 >= len(value) - 1:
        return "is mostly a run of repeated or consecutive characters; use a random value"
    return None


def wildcard_warnings(*, allowed_hosts: list[str], cors_origins: list[str]) -> dict[str, str]:
    """Production settings that accept any host or any origin, by setting name: allowed, but warned about."""
    warnings = {}
    if "*" in allowed_hosts:
        warnings["ALLOWED_HOSTS"] = (
            "ALLOWED_HOSTS is '*': any Host header is accepted (host-header attacks on links and redirects);"
            " list the host names DAB is served under."
        )
    if "*" in cors_origins:
        warnings["CORS_ORIGINS"] = (
            "CORS_ORIGINS is '*': any web site may call the API from a visitor's browser;"
            " list the origins that need it, or leave it empty."
        )
    return warnings
