"""Request-wide middleware: request ids and structured access logs, and login for stewards' pages."""

from __future__ import annotations

import re
import secrets
import time
import uuid

import structlog
from django.conf import settings
from django.contrib.auth.views import redirect_to_login

logger = structlog.get_logger("dab.request")

# A caller's id is kept only when it looks like an id, so logs can't be forged through the header.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Give every request an id (the caller's X-Request-ID, or a new one), log it once, echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        except Exception:
            logger.exception("request_failed", method=request.method, path=request.path)
            raise
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
        response["X-Request-ID"] = request_id
        if not request.path.startswith(("/static/", f"{settings.API_PREFIX}/health")):
            logger.info(
                "request",
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=duration_ms,
            )
        structlog.contextvars.clear_contextvars()
        return response


class LoginRequiredPagesMiddleware:
    """Stewards' pages need a login; the API, admin, health and login pages handle auth themselves.

    With ALLOW_ANONYMOUS_READ (local try-outs only) anonymous visitors may browse with GET.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.open_prefixes = (
            f"{settings.API_PREFIX}/",
            "/admin/",
            "/static/",
            "/accounts/login/",
            "/accounts/logout/",
            "/favicon.ico",
        )

    def __call__(self, request):
        # The path first: reading request.user loads the session, a database query the API must not need.
        if (
            not request.path.startswith(self.open_prefixes)
            and not request.user.is_authenticated
            and not (settings.ALLOW_ANONYMOUS_READ and request.method in ("GET", "HEAD"))
        ):
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy: scripts, styles, images and connections from our own origin only.

    The pages carry no inline script or style (templates/ and static files only), so the policy needs no
    'unsafe-inline'. A template that truly needs an inline block marks it with ``nonce="{{ request.csp_nonce }}"``.
    Images may also be data: URIs (Swagger UI's icons); nothing loads from another host, so a Markdown
    description can't make a steward's browser call out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        # With DEBUG on (development only), Django's own 404 and 500 pages carry inline styles and scripts.
        debug_page = settings.DEBUG and response.status_code in (404, 500)
        if settings.CSP_ENABLED and not debug_page and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(nonce=request.csp_nonce)
        return response


def content_security_policy(*, nonce: str) -> str:
    """The policy's text for one response."""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": f"'self' 'nonce-{nonce}'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())
