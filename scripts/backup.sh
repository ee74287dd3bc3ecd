#!/usr/bin/env bash
# Back up and restore DAB's PostgreSQL database with pg_dump / pg_restore (custom format).
#
#   scripts/backup.sh backup  [FILE]   default FILE: backup_YYYYmmdd_HHMMSS.dump
#   scripts/backup.sh restore FILE
#
# Where: with DATABASE_URL set (postgres://, postgresql://, or the seed's postgresql+asyncpg://), the
# local pg_dump/pg_restore talk to it directly; otherwise the commands run inside the docker compose
# `postgres` service (docker/docker-compose.yml). BACKUP_MODE=direct|docker forces one.
# A restore replaces what the target database holds (pg_restore --clean --if-exists), in one transaction.
set -euo pipefail

action=${1:-}
file=${2:-}
compose_file="$(cd "$(dirname "$0")/.." && pwd)/docker/docker-compose.yml"

usage() { echo "usage: $0 backup [FILE] | restore FILE" >&2; exit 2; }

mode=${BACKUP_MODE:-}
if [ -z "$mode" ]; then
  if [ -n "${DATABASE_URL:-}" ]; then mode=direct; else mode=docker; fi
fi

libpq_url() {
  # libpq knows postgres:// and postgresql://, not SQLAlchemy's +driver suffix.
  local url=${DATABASE_URL:?DATABASE_URL is not set}
  case "$url" in
    postgres://*|postgresql://*|postgresql+*://*|postgres+*://*) ;;
    *) echo "DATABASE_URL is not a PostgreSQL URL; backups cover PostgreSQL only (copy the SQLite file instead)." >&2; exit 2 ;;
  esac
  printf '%s' "$url" | sed -E 's#^postgres(ql)?(\+[a-z0-9_]+)?://#postgresql://#'
}

url=
if [ "$mode" = direct ] && [ -n "$action" ]; then url=$(libpq_url); fi

case "$action" in
  backup)
    file=${file:-backup_$(date +%Y%m%d_%H%M%S).dump}
    if [ "$mode" = direct ]; then
      pg_dump --format=custom --no-owner --no-privileges --dbname="$url" --file="$file"
    else
      docker compose -f "$compose_file" exec -T postgres pg_dump -U dab -Fc --no-owner dab > "$file"
    fi
    echo "Backed up to $file ($(du -h "$file" | cut -f1))"
    ;;
  restore)
    [ -n "$file" ] || usage
    [ -f "$file" ] || { echo "no such backup file: $file" >&2; exit 2; }
    if [ "$mode" = direct ]; then
      pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
        --dbname="$url" "$file"
    else
      docker compose -f "$compose_file" exec -T postgres \
        pg_restore -U dab -d dab --clean --if-exists --no-owner --single-transaction --exit-on-error < "$file"
    fi
    echo "Restored $file"
    ;;
  *) usage ;;
esac
