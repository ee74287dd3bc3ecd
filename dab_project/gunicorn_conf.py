"""gunicorn settings: its own log lines go through DAB's structured logging too.

Used by `dab serve` and the Docker image: `gunicorn -c python:dab_project.gunicorn_conf dab_project.wsgi`.
"""

import os

from dab_project.logging import logging_config

_environment = os.environ.get("ENVIRONMENT", "production").strip().lower()
_format = os.environ.get("LOG_FORMAT") or ("json" if _environment in ("production", "staging") else "console")

logconfig_dict = logging_config(level=os.environ.get("LOG_LEVEL", "INFO").upper(), fmt=_format)
# DAB's middleware logs each request once, with its id and duration; gunicorn's access log would repeat it.
accesslog = None
control_socket_disable = True
