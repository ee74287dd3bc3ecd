#!/usr/bin/env bash
# Rebuild the committed dbt artifacts of a sample project (default examples/acme_shop; or the folder given, e.g.
# lineage/tests/data/lineage_lab): target/manifest.json, target/catalog.json and target/run_results.json.
#
# 1. create .venv-dbt (python3.11) at the repository root if missing and install requirements-dbt.txt;
# 2. in the project: start from an empty DuckDB file, `dbt seed`, `dbt build`, the project's own
#    before_docs.sh if it has one (with $DBT set), then `dbt docs generate`;
# 3. keep the run_results.json of `dbt build` (docs generate overwrites it with its own).
#
# Two data tests warn on purpose (severity: warn), so `dbt build` exits 0 with warnings. If a test ever
# errors instead, the artifacts are still written and kept; the script reports the exit code and fails.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project_dir="$(cd "${1:-$repo_root/examples/acme_shop}" && pwd)"
venv="$repo_root/.venv-dbt"

if [[ ! -x "$venv/bin/dbt" ]]; then
    python3.11 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$repo_root/requirements-dbt.txt"
fi

# Never phone home: no usage stats, no version check, no packages hub.
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
export DO_NOT_TRACK=1
export DBT_VERSION_CHECK=false
export DBT_PARTIAL_PARSE=false
export DBT_PROFILES_DIR="$project_dir"
export DBT_USE_COLORS=false
dbt="$venv/bin/dbt"

cd "$project_dir"
rm -rf target logs ./*.duckdb ./*.duckdb.wal

if [[ -f packages.yml || -f dependencies.yml ]]; then
    "$dbt" deps
fi

"$dbt" seed
build_status=0
"$dbt" build || build_status=$?
cp target/run_results.json target/run_results.build.json
if [[ -x before_docs.sh ]]; then
    DBT="$dbt" ./before_docs.sh
fi
"$dbt" docs generate
mv target/run_results.build.json target/run_results.json

if [[ $build_status -ne 0 ]]; then
    echo "dbt build exited with status $build_status; artifacts were written anyway" >&2
    exit "$build_status"
fi
echo "artifacts: $project_dir/target/{manifest,catalog,run_results}.json"
