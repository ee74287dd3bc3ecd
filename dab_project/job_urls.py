"""The routes that name an ingestion job, mounted where ``dab_project.urls`` mounts them (the API's under
API_PREFIX, the pages' at the root), and nothing else: for reversing, never for serving.

`dab ingest dbt --json` prints a job with its URLs; reversing them with the site's URLconf imports every view of the
site (the admin, DRF's viewsets, drf-spectacular): about 0.24 s of CPU in a process that serves no page; with the
ingestion app's own URLconfs, its API views and Django REST framework (about 0.15 s more). These routes are the same
(``ingestion.routes``) with a view that serves nothing. ``test_the_cli_names_a_jobs_urls_as_the_site_does`` checks
that both give the same URLs.
"""

from django.conf import settings
from django.http import Http404
from django.urls import include, path, re_path

from ingestion.routes import JOB_API_DETAIL_REGEX, JOB_PAGE_ROUTE


def _reverse_only(request, *args, **kwargs):
    raise Http404("dab_project.job_urls names routes for reverse(); the site's URLconf serves them")


urlpatterns = [
    path(
        f"{settings.API_PREFIX.strip('/')}/",
        include([re_path(JOB_API_DETAIL_REGEX, _reverse_only, name="ingestion-job-detail")]),
    ),
    path("", include(([path(JOB_PAGE_ROUTE, _reverse_only, name="job_detail")], "ingestion"))),
]
