"""The dashboard: the first page a steward sees."""

from django.views.generic import TemplateView

from catalog.selectors import catalog_counts
from ingestion.selectors import job_latest


class DashboardView(TemplateView):
    template_name = "dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = catalog_counts()
        context["last_job"] = job_latest()
        return context
