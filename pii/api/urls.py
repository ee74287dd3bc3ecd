"""PII compliance endpoints, under ``/api/v1/compliance/``."""

from django.urls import re_path

from pii.api import views

URN = r"(?P<urn>urn:[^/]+)"

urlpatterns = [
    re_path(r"^compliance/pii-inventory/?$", views.PiiInventoryView.as_view(), name="pii-inventory"),
    re_path(r"^compliance/pii-exposure/?$", views.PiiExposureView.as_view(), name="pii-exposure"),
    re_path(rf"^compliance/pii-trace/{URN}/?$", views.PiiTraceView.as_view(), name="pii-trace"),
]
