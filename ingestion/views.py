from django.views.generic import DetailView, ListView

from ingestion import selectors
from ingestion.models import IngestionJob


class JobListView(ListView):
    template_name = "ingestion/job_list.html"
    context_object_name = "jobs"
    paginate_by = 50

    def get_queryset(self):
        return selectors.job_list()


class JobDetailView(DetailView):
    template_name = "ingestion/job_detail.html"
    context_object_name = "job"
    model = IngestionJob
