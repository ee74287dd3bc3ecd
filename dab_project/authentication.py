"""API authentication: a shared API key for services, the browser session for signed-in stewards.

Kept apart from dab_project.api because DRF imports these classes while rest_framework.views is loading.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.authentication import BaseAuthentication


class ApiKeyUser:
    """The principal behind a valid API key: a service, not a person."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_active = True
    username = "api-key"
    pk = None

    def __str__(self) -> str:
        return self.username


def api_key_matches(candidate: str) -> bool:
    """Compare in constant time so the key can't be guessed byte by byte from response timings."""
    return hmac.compare_digest(candidate.encode(), settings.API_KEY.encode())


class ApiKeyAuthentication(BaseAuthentication):
    """``X-API-Key: <key>`` or ``Authorization: Api-Key <key>``."""

    keyword = "Api-Key"

    def authenticate(self, request):
        key = request.headers.get("X-API-Key")
        if key is None:
            header = request.headers.get("Authorization", "")
            scheme, _, value = header.partition(" ")
            if scheme.lower() != self.keyword.lower():
                return None
            key = value.strip()
        if not key or not api_key_matches(key):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        return ApiKeyUser(), key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to unauthenticated requests.
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """A signed-in user's browser session also reaches the API (with CSRF for writes), so pages can fetch JSON."""


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "dab_project.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "dab_project.authentication.SessionAuthentication"
    name = "SessionAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
