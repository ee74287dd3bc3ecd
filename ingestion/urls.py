from django.urls import path

from ingestion import views
from ingestion.routes import JOB_PAGE_ROUTE

app_name = "ingestion"

urlpatterns = [
    path("ingestion/", views.JobListView.as_view(), name="job_list"),
    path("ingestion/upload/", views.DbtUploadView.as_view(), name="upload"),
    path(JOB_PAGE_ROUTE, views.JobDetailView.as_view(), name="job_detail"),
    path("ingestion/<uuid:pk>/retry/", views.JobRetryView.as_view(), name="job_retry"),
    path("changes/", views.ChangeTimelineView.as_view(), name="changes"),
    path("changes/diff/", views.DiffView.as_view(), name="diff"),
]
