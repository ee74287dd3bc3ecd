#!/usr/bin/env bash
# Called by scripts/build_sample.sh between `dbt build` and `dbt docs generate`: drop the visits table, so the
# catalog no longer knows that source (as when a catalog is generated elsewhere, or goes stale).
set -euo pipefail
"$DBT" run-operation drop_visits_table
