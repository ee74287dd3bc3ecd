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
