"""The /api/v1 tree: health, OpenAPI schema and docs, and each app's viewsets."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dab_project.health import HealthView, LivenessView, ReadinessView

urlpatterns = [
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    re_path(r"^health/ready/?$", ReadinessView.as_view(), name="health-ready"),
    re_path(r"^health/live/?$", LivenessView.as_view(), name="health-live"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("catalog.api.urls")),
    path("", include("lineage.api.urls")),
    path("", include("pii.api.urls")),
    path("", include("conformance.api.urls")),
    path("", include("ingestion.api.urls")),
]
