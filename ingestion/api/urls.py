from django.urls import re_path

from dab_project.routers import Router
from ingestion.api import diff_views, views

router = Router()
router.register("ingest/history", views.IngestionJobViewSet, basename="ingestion-job")

urlpatterns = [
    re_path(r"^ingest/dbt/?$", views.DbtIngestView.as_view(), name="ingest-dbt"),
    re_path(r"^diff/dbt/?$", diff_views.DbtDiffView.as_view(), name="diff-dbt"),
    re_path(r"^ingest/status/?$", views.IngestStatusView.as_view(), name="ingest-status"),
    *router.urls,
]
