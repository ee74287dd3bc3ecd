from django.urls import path
from django.views.generic import TemplateView

app_name = "conformance"

# Placeholder until the conformance issue builds the dashboard.
urlpatterns = [
    path("conformance/", TemplateView.as_view(template_name="conformance/dashboard.html"), name="dashboard"),
]
