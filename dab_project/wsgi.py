"""WSGI entry point: `gunicorn dab_project.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dab_project.settings")

application = get_wsgi_application()

# After setup, so settings are read: a production server without collected static files stops here with
# a message saying what to run, instead of answering 500 on every page.
from dab_project.staticfiles import static_files_require  # noqa: E402

static_files_require()
