from django.urls import path
from django.views.generic import TemplateView

from lineage import views

app_name = "lineage"

urlpatterns = [
    path("lineage/", views.ExplorerView.as_view(), name="explorer"),
    path("lineage/graph.json", views.GraphJsonView.as_view(), name="graph_json"),
    path("lineage/search.json", views.SearchJsonView.as_view(), name="search_json"),
    path("lineage/impact/", views.ImpactView.as_view(), name="impact"),
    path("pii/", TemplateView.as_view(template_name="lineage/pii.html"), name="pii"),
]
