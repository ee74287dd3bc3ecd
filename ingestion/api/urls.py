from django.urls import re_path

from dab_project.routers import Router
from ingestion.api import diff_views, history_views, views
from ingestion.routes import JOB_API_PREFIX

router = Router()
router.register(JOB_API_PREFIX, views.IngestionJobViewSet, basename="ingestion-job")

urlpatterns = [
    re_path(r"^ingest/dbt/?$", views.DbtIngestView.as_view(), name="ingest-dbt"),
    re_path(r"^diff/dbt/?$", diff_views.DbtDiffView.as_view(), name="diff-dbt"),
    re_path(r"^changes/?$", history_views.ChangeListView.as_view(), name="change-list"),
    # under the catalog's capsules/{urn}: a URN never holds '/', so the catalog's detail route cannot take it
    re_path(
        r"^capsules/(?P<urn>urn:[^/]+)/history/?$", history_views.CapsuleHistoryView.as_view(), name="capsule-history"
    ),
    re_path(r"^ingest/status/?$", views.IngestStatusView.as_view(), name="ingest-status"),
    *router.urls,
]
