"""Health endpoints, as the seed names them; they need no API key (load balancers and Docker call them)."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from dab_project import __version__
from dab_project.database import database_problem

logger = structlog.get_logger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class _OpenView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


_status_schema = inline_serializer(
    "HealthStatus", {"status": serializers.CharField(), "timestamp": serializers.DateTimeField()}
)


class HealthView(_OpenView):
    """The process is up and serving requests."""

    @extend_schema(responses=_status_schema, tags=["health"], auth=[])
    def get(self, request):
        return Response({"status": "healthy", "timestamp": _now(), "version": __version__})


class LivenessView(_OpenView):
    """Liveness: answers without touching the database, so a database outage doesn't restart the app."""

    @extend_schema(responses=_status_schema, tags=["health"], auth=[])
    def get(self, request):
        return Response({"status": "alive", "timestamp": _now()})


def database_check() -> str:
    """ "ok", or "error: " and what keeps the database from answering (connection refused, authentication
    failed, database missing, ...). A connection of its own, never the pool's: an outage is named within
    about 2 s instead of after the pool's timeout (dab_project.database)."""
    problem = database_problem(timeout=2.0)
    return "ok" if problem is None else f"error: {problem}"


class ReadinessView(_OpenView):
    """Readiness: 200 when the database answers, else 503 naming the failing check."""

    @extend_schema(tags=["health"], auth=[], responses={200: _status_schema, 503: _status_schema})
    def get(self, request):
        checks = {"database": database_check()}
        ready = all(value == "ok" for value in checks.values())
        if not ready:
            logger.warning("not_ready", checks=checks)
        return Response(
            {"status": "ready" if ready else "not_ready", "timestamp": _now(), "checks": checks},
            status=200 if ready else 503,
        )
