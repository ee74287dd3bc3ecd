from django.urls import path

from pii import views

app_name = "pii"

urlpatterns = [
    path("pii/", views.PiiInventoryView.as_view(), name="inventory"),
    path("pii/trace/<urn:urn>/", views.PiiTraceView.as_view(), name="trace"),
    path("pii/decide/<urn:urn>/", views.PiiDecideView.as_view(), name="decide"),
]
