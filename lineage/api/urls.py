"""Lineage endpoints. The capsule and column paths sit under the catalog's ``capsules/{urn}`` and
``columns/{urn}``; a URN never holds '/', so these cannot be taken by the catalog's detail routes."""

from django.urls import re_path

from lineage.api import views

URN = r"(?P<urn>urn:[^/]+)"

urlpatterns = [
    re_path(rf"^capsules/{URN}/lineage/?$", views.CapsuleLineageView.as_view(), name="capsule-lineage"),
    re_path(rf"^capsules/{URN}/impact/?$", views.CapsuleImpactView.as_view(), name="capsule-impact"),
    re_path(rf"^columns/{URN}/lineage/?$", views.ColumnLineageView.as_view(), name="column-lineage"),
    re_path(rf"^columns/{URN}/impact/?$", views.ColumnImpactView.as_view(), name="column-impact"),
    re_path(r"^lineage/paths/?$", views.PathsView.as_view(), name="lineage-paths"),
    re_path(r"^lineage/graph/?$", views.GraphView.as_view(), name="lineage-graph"),
]

# PII compliance (issue #6).
from lineage.api import pii as pii_views  # noqa: E402

urlpatterns += [
    re_path(r"^compliance/pii-inventory/?$", pii_views.PiiInventoryView.as_view(), name="pii-inventory"),
    re_path(r"^compliance/pii-exposure/?$", pii_views.PiiExposureView.as_view(), name="pii-exposure"),
    re_path(rf"^compliance/pii-trace/{URN}/?$", pii_views.PiiTraceView.as_view(), name="pii-trace"),
]
