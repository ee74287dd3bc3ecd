"""PII compliance endpoints, under ``/api/v1/compliance/``."""

from django.urls import re_path

from dab_project.converters import URN_GROUP as URN
from dab_project.converters import names_re_path
from pii.api import views

urlpatterns = [
    re_path(r"^compliance/pii-inventory/?$", views.PiiInventoryView.as_view(), name="pii-inventory"),
    re_path(r"^compliance/pii-exposure/?$", views.PiiExposureView.as_view(), name="pii-exposure"),
    names_re_path(rf"^compliance/pii-trace/{URN}/?$", views.PiiTraceView.as_view(), name="pii-trace"),
]
