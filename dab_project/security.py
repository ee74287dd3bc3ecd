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
