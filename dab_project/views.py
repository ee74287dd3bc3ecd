"""The dashboard: the first page a steward sees."""

from django.views.generic import TemplateView

from dab_project.dashboard import dashboard_summary


class DashboardView(TemplateView):
    template_name = "dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(dashboard_summary())
        context["last_job"] = context["recent_jobs"][0] if context["recent_jobs"] else None
        return context
