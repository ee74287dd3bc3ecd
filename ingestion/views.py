"""Stewards' ingestion pages: job history, one job, and an upload form."""

from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from ingestion import selectors
from ingestion.changes.formats import render
from ingestion.changes.graph import report_subgraph
from ingestion.changes.selectors import change_list, flaky_tests, source_system_find, source_system_names
from ingestion.changes.services import ArtifactSet, DiffError, diff_run
from ingestion.filters import CapsuleChangeFilterSet
from ingestion.forms import DbtDiffForm, DbtUploadForm
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


class DiffView(FormView):
    """Upload two artifact sets (or one, against what DAB stored) and read the change report. Stores nothing."""

    template_name = "ingestion/diff.html"
    form_class = DbtDiffForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "projects": list(source_system_names())}

    def form_valid(self, form):
        data = form.cleaned_data

        def artifact(kind: str, field: str):
            upload = data.get(field)
            return Artifact(kind=kind, label=upload.name, file=upload, size=upload.size) if upload else None

        head = ArtifactSet(manifest=artifact("manifest", "head_manifest"), catalog=artifact("catalog", "head_catalog"))
        base = None
        if data.get("base_manifest"):
            base = ArtifactSet(
                manifest=artifact("manifest", "base_manifest"), catalog=artifact("catalog", "base_catalog")
            )
        try:
            report = diff_run(head=head, base=base, source_system=data.get("source_system") or None, upload=True,
                              actor=f"user:{self.request.user.get_username()}")  # fmt: skip
        except DiffError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        graph = report_subgraph(report)
        for node in graph["nodes"]:
            node["url"] = reverse("catalog:capsule_detail", kwargs={"urn": node["urn"]}) if node["in_head"] else "#"
        return self.render_to_response(self.get_context_data(
            form=form, report=report.as_dict(), graph=graph, markdown=render(report, fmt="markdown"),
        ))  # fmt: skip


class ChangeTimelineView(ListView):
    """What changed, when and in which ingestion: the projects' timeline, newest first, with the flaky tests."""

    template_name = "ingestion/change_timeline.html"
    context_object_name = "changes"
    paginate_by = 100

    def get_queryset(self):
        self.filterset = CapsuleChangeFilterSet(self.request.GET or None, queryset=change_list())
        return self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else change_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = self.request.GET.get("source_system") or None
        system = source_system_find(name=project) if project else None
        context.update(filter=self.filterset, projects=source_system_names(),
                       flaky=flaky_tests(source_system=system, limit=20))  # fmt: skip
        return context
