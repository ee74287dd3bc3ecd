"""Where an ingestion job lives in the site, written once.

``ingestion.urls`` and ``ingestion.api.urls`` serve these routes; ``dab_project.job_urls`` only names them, so that
`dab ingest dbt --json` can write a job's URLs without importing a view (nor Django REST framework). This module
imports nothing.
"""

# The API's job viewset (ingestion.api.urls registers it with dab_project.routers.Router, under API_PREFIX).
JOB_API_PREFIX = "ingest/history"
# The detail route dab_project.routers.Router gives a viewset: the lookup as DRF's default ``lookup_value_regex``,
# the trailing slash optional.
JOB_API_DETAIL_REGEX = rf"^{JOB_API_PREFIX}/(?P<pk>[^/.]+)/?$"
# A job's page (ingestion.urls, at the site's root).
JOB_PAGE_ROUTE = "ingestion/<uuid:pk>/"
