"""Django's error handlers (``handler400`` ... ``handler500`` in dab_project/urls.py): under the API prefix an
error is the API's JSON error shape, never an HTML page; elsewhere Django's own views render the templates.

They catch what DRF's exception handler never sees: a path no route takes, a method on a plain Django
view, an exception raised in middleware, a database that went away before the view ran.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults

from dab_project.api import database_unavailable_response, error_body


def _is_api(request) -> bool:
    return request.path == settings.API_PREFIX or request.path.startswith(f"{settings.API_PREFIX}/")


def _json(request, status: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(status, message, request=request), status=status)


def bad_request(request, exception, template_name="400.html"):
    if _is_api(request):
        return _json(request, 400, "The request is not valid.")
    return defaults.bad_request(request, exception, template_name=template_name)


def permission_denied(request, exception, template_name="403.html"):
    if _is_api(request):
        return _json(request, 403, str(exception) or "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception, template_name=template_name)


def page_not_found(request, exception, template_name="404.html"):
    if _is_api(request):
        return _json(request, 404, "Not found: no endpoint or object at this path.")
    return defaults.page_not_found(request, exception, template_name=template_name)


def server_error(request, template_name="500.html"):
    """Called inside Django's ``except`` block, so the exception is still at hand."""
    error = sys.exc_info()[1]
    if _is_api(request):
        if isinstance(error, (OperationalError, InterfaceError)):
            return database_unavailable_response(request)
        return _json(request, 500, "Internal server error; the request id identifies it in the logs.")
    if isinstance(error, (OperationalError, InterfaceError)):
        response = defaults.server_error(request, template_name=template_name)
        response.status_code = 503
        return response
    return defaults.server_error(request, template_name=template_name)
