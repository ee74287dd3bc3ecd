from django.urls import path
from django.views.generic import TemplateView

app_name = "lineage"

# Placeholders until the lineage and PII issues build these pages.
urlpatterns = [
    path("lineage/", TemplateView.as_view(template_name="lineage/explorer.html"), name="explorer"),
    path("pii/", TemplateView.as_view(template_name="lineage/pii.html"), name="pii"),
]
