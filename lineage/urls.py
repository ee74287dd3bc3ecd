from django.urls import path

from lineage import views

app_name = "lineage"

urlpatterns = [
    path("lineage/", views.ExplorerView.as_view(), name="explorer"),
    path("lineage/graph.json", views.GraphJsonView.as_view(), name="graph_json"),
    path("lineage/search.json", views.SearchJsonView.as_view(), name="search_json"),
    path("lineage/impact/", views.ImpactView.as_view(), name="impact"),
]
