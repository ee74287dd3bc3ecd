"""The routes that name an ingestion job, mounted where ``dab_project.urls`` mounts them (the API's under
API_PREFIX, the pages' at the root), and nothing else.

`dab ingest dbt --json` prints a job with its URLs; reversing them with the site's URLconf imports every view of the
site (the admin, DRF's viewsets, drf-spectacular): about 0.24 s of CPU in a process that serves no page. This
URLconf imports only the ingestion app's views. ``test_the_cli_names_a_jobs_urls_as_the_site_does`` checks that both
give the same URLs.
"""

from django.conf import settings
from django.urls import include, path

urlpatterns = [
    path(f"{settings.API_PREFIX.strip('/')}/", include("ingestion.api.urls")),
    path("", include("ingestion.urls")),
]
