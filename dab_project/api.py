"""The /api/v1 platform: pagination and JSON error bodies (authentication is in dab_project.authentication)."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, pagination, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dab_project.database import database_problem

logger = structlog.get_logger(__name__)


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M``; page_size is capped by API_MAX_PAGE_SIZE."""

    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:
        return settings.API_MAX_PAGE_SIZE

    @classmethod
    def params_check(cls, request) -> None:
        """``page`` and ``page_size``, when given, are whole numbers from 1 (a larger page size is capped): a
        value that is not is refused with 400, as the schema says, instead of being read as the default."""
        errors = {}
        for name in (cls.page_query_param, cls.page_size_query_param):
            values = request.query_params.getlist(name)
            if values and not (values[-1].isdigit() and int(values[-1]) >= 1) and values[-1] != "last":
                errors[name] = ["A whole number from 1 is required."]
        if errors:
            raise exceptions.ValidationError(errors)

    def get_page_size(self, request):
        self.params_check(request)
        return super().get_page_size(request)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "page": self.page.number,
                "page_size": self.get_page_size(self.request),
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["page"] = {"type": "integer"}
        response["properties"]["page_size"] = {"type": "integer"}
        return response


_ERROR_CODES = {
    status.HTTP_400_BAD_REQUEST: "bad_request",
    status.HTTP_401_UNAUTHORIZED: "unauthorized",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_409_CONFLICT: "conflict",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "payload_too_large",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
    status.HTTP_500_INTERNAL_SERVER_ERROR: "server_error",
    status.HTTP_503_SERVICE_UNAVAILABLE: "database_unavailable",
}


def error_body(status_code: int, message: str, *, details=None, request=None) -> dict:
    """Every API error has this shape: ``{"error": {"code", "message", "details", "request_id"}}``."""
    body = {"error": {"code": _ERROR_CODES.get(status_code, "error"), "message": message}}
    if details is not None:
        body["error"]["details"] = details
    request_id = getattr(request, "request_id", None)
    if request_id:
        body["error"]["request_id"] = request_id
    return body


def database_unavailable_response(request=None) -> Response | JsonResponse:
    """503 in the error shape, naming why the database does not answer (dab_project.database)."""
    problem = database_problem(timeout=2.0) or "it did not answer"
    body = error_body(503, f"The database is unavailable: {problem}.", request=request)
    return JsonResponse(body, status=503, headers={"Retry-After": "5"})


def exception_handler(exc, context):
    """DRF's handler, reshaped into DAB's one error body. A database that cannot be reached is a 503. An error
    is JSON even when the request asked for CSV (``?format=csv``) or the browsable API."""
    request = context.get("request")
    if request is not None:
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database_unavailable", error=str(exc).strip().splitlines()[:1])
        return database_unavailable_response(context.get("request"))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    details = None
    if isinstance(data, dict) and set(data) == {"detail"}:
        message = str(data["detail"])
    else:
        message = "The request is not valid." if response.status_code == 400 else str(exc)
        details = data
    response.data = error_body(response.status_code, message, details=details, request=context.get("request"))
    return response


def strip_trailing_slashes(result, generator, request, public):
    """drf-spectacular hook: document the seed's slash-less paths (both spellings are served)."""
    result["paths"] = {path.rstrip("/") or "/": item for path, item in result["paths"].items()}
    return result


_ESCAPED_NAME_DOC = (
    "escaped into one path segment: `~` becomes `~7E` and `/` becomes `~2F`, then the segment is "
    "percent-encoded as usual (a URN such as `urn:dab:dbt:source:shop.raw.events/2024` is addressed as "
    "`urn:dab:dbt:source:shop.raw.events~2F2024`). The `url` and `html_url` fields in responses are already "
    "spelled this way."
)


def describe_escaped_names(result, generator, request, public):
    """drf-spectacular hook: every ``{urn}`` and ``{name}`` path parameter says how it is escaped
    (dab_project.converters), whichever view declared it."""
    what = {"urn": "URN of the capsule or column", "name": "Name"}
    pattern = {"urn": "^urn:[^/]+$", "name": "^[^/]+$"}
    for item in result["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()) if isinstance(operation, dict) else ():
                if parameter.get("in") == "path" and parameter["name"] in what:
                    parameter["description"] = f"{what[parameter['name']]}, {_ESCAPED_NAME_DOC}"
                    parameter["schema"] = {"type": "string", "pattern": pattern[parameter["name"]]}
    return result


_ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a stable code, a message for people, what was wrong, the request's id.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": sorted(set(_ERROR_CODES.values()))},
                "message": {"type": "string"},
                "details": {"description": "what was wrong, per field or parameter, when there is more to say"},
                "request_id": {"type": "string"},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
_ERROR_RESPONSES = {
    "400": "The request is not valid: `details` names each parameter or field and what is wrong with it.",
    "401": "No valid API key (or session) was sent.",
    "403": "The key or user may not do this.",
    "404": "No such object (or page).",
    "413": "The request body is larger than the upload limit.",
    "415": "The request body is not of a media type this operation reads.",
    "503": "The database is unavailable; the message names why (connection refused, authentication, missing "
    "database). Retry after the `Retry-After` seconds.",
}
# Operations that never touch the database (liveness, the schema itself).
_NO_DATABASE = ("/health", "/health/live", "/schema", "/docs")


def document_error_responses(result, generator, request, public):
    """drf-spectacular hook: every operation documents the error responses it can give, all in the one
    error shape (``Error``): 400 when it reads parameters or a body, 401 and 403 when it needs a key, 404 when
    it addresses an object or a page, 413 and 415 when it reads a body, 503 when it reads the database.
    Responses an operation declares itself are kept."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in result["paths"].items():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.get("parameters", [])
            for parameter in parameters:  # pages are counted from 1 (PageNumberPagination refuses less)
                if parameter.get("in") == "query" and parameter["name"] in ("page", "page_size"):
                    parameter["schema"] = {**parameter.get("schema", {}), "type": "integer", "minimum": 1}
                enum = parameter.get("schema", {}).get("items", {}).get("enum")
                if parameter["name"] == "ordering" and enum is not None and "" not in enum:
                    enum.insert(0, "")  # an empty ordering is the default order, as on the pages
            codes = set()
            if any(p.get("in") == "query" for p in parameters) or "requestBody" in operation:
                codes.add("400")
            if operation.get("security", result.get("security")) not in ([], [{}]):
                codes |= {"401", "403"}
            if any(p.get("in") == "path" for p in parameters) or any(p.get("name") == "page" for p in parameters):
                codes.add("404")
            if "requestBody" in operation:
                codes |= {"413", "415"}
            if not path.removeprefix(settings.API_PREFIX).startswith(_NO_DATABASE) or path.endswith("/ready"):
                codes.add("503")
            for code in sorted(codes):
                response = operation["responses"].setdefault(code, {"description": _ERROR_RESPONSES[code]})
                response.setdefault("content", error)
    return result
