"""Stewards' ingestion pages: job history, one job, and an upload form."""

from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from ingestion import selectors
from ingestion.forms import DbtUploadForm
from ingestion.jobs import JobRetryError, dbt_job_enqueue, job_retry
from ingestion.models import IngestionJob
from ingestion.services import Artifact


class JobListView(ListView):
    template_name = "ingestion/job_list.html"
    context_object_name = "jobs"
    paginate_by = 25

    def get_queryset(self):
        return selectors.job_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = DbtUploadForm()
        return context


class JobDetailView(DetailView):
    template_name = "ingestion/job_detail.html"
    context_object_name = "job"
    model = IngestionJob

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["details"] = selectors.job_details(job=self.object)
        return context


class DbtUploadView(UserPassesTestMixin, FormView):
    """Upload artifacts from the browser; signed-in staff only (ingestion changes the catalog)."""

    template_name = "ingestion/upload.html"
    form_class = DbtUploadForm

    def test_func(self):
        return self.request.user.is_authenticated and self.request.user.is_staff

    def form_valid(self, form):
        data = form.cleaned_data

        def artifact(kind):
            upload = data.get(kind)
            return Artifact(kind=kind, label=upload.name, file=upload, size=upload.size) if upload else None

        job = dbt_job_enqueue(
            manifest=artifact("manifest"),
            catalog=artifact("catalog"),
            run_results=artifact("run_results"),
            project_name=data.get("project_name") or None,
            dry_run=data.get("dry_run", False),
            triggered_by=f"user:{self.request.user.get_username()}",
            dbt_project=artifact("dbt_project"),
            evaluator_exceptions=artifact("evaluator_exceptions"),
        )
        if job.status == "failed":
            messages.error(self.request, f"Ingestion failed: {job.error_message}")
        else:
            messages.success(self.request, "Artifacts received: a background worker is ingesting them.")
        return redirect(job.get_absolute_url())


class JobRetryView(UserPassesTestMixin, View):
    """Queue a failed job again over its stored artifacts (POST); staff only."""

    def test_func(self):
        return self.request.user.is_authenticated and self.request.user.is_staff

    def post(self, request, pk):
        job = get_object_or_404(IngestionJob, pk=pk)
        try:
            retry = job_retry(job=job, triggered_by=f"user:{request.user.get_username()}")
        except JobRetryError as exc:
            messages.error(request, f"Can't retry: {exc}")
            return redirect(job.get_absolute_url())
        messages.success(request, "Retry queued: a background worker is ingesting the same artifacts again.")
        return redirect(retry.get_absolute_url())
