#!/bin/sh
# Apply migrations before serving (RUN_MIGRATIONS=false to leave that to `make migrate`), then exec the CMD.
set -e
if [ "${RUN_MIGRATIONS:-true}" = "true" ]; then
  python manage.py migrate --no-input
fi
exec "$@"
