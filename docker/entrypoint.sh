#!/bin/sh
# Apply migrations before serving (RUN_MIGRATIONS=false to leave that to `make migrate`), make sure the
# static files are collected, then exec the CMD.
set -e
if [ "${RUN_MIGRATIONS:-true}" = "true" ]; then
  python manage.py migrate --no-input
fi
# Static files are collected at build time; this only collects them when STATIC_ROOT lacks them (a volume
# mounted over it, an image built another way), and stops with a clear message when it cannot.
python manage.py ensure_static
exec "$@"
