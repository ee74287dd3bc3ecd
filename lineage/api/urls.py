"""Lineage endpoints. The capsule and column paths sit under the catalog's ``capsules/{urn}`` and
``columns/{urn}``; an escaped URN never holds '/', so these cannot be taken by the catalog's detail routes."""

from django.urls import re_path

from dab_project.converters import URN_GROUP as URN
from dab_project.converters import names_re_path
from lineage.api import views

urlpatterns = [
    names_re_path(rf"^capsules/{URN}/lineage/?$", views.CapsuleLineageView.as_view(), name="capsule-lineage"),
    names_re_path(rf"^capsules/{URN}/impact/?$", views.CapsuleImpactView.as_view(), name="capsule-impact"),
    names_re_path(rf"^columns/{URN}/lineage/?$", views.ColumnLineageView.as_view(), name="column-lineage"),
    names_re_path(rf"^columns/{URN}/impact/?$", views.ColumnImpactView.as_view(), name="column-impact"),
    re_path(r"^lineage/paths/?$", views.PathsView.as_view(), name="lineage-paths"),
    re_path(r"^lineage/graph/?$", views.GraphView.as_view(), name="lineage-graph"),
]
