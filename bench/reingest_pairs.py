"""A re-ingest of a handful of changed models, two trees alternating: each round clones each tree's template
database and ingests the same artifacts into it with that tree's `dab`, in a fresh process.

    python bench/reingest_pairs.py --base /work/base --base-template DB_BASE --template DB_THIS \
        [--manifest PATH] [--catalog PATH] [--rounds 3]

Each template is a database in the state a re-ingest starts from, made by that tree's own code (its node digests
and kept counts are its own): for example `bench/ingest.py`'s database after its last step (5 models changed),
with ``--manifest`` the original manifest (the same 5 models changed back). Prints per round and tree the wall
and CPU time (user + system of the process and the worker processes it waited for) and each step's
CPU (``stats.cpu_timings``), then the medians; the scratch databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]


def clone(admin_url: str, template: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ingest(tree: Path, url: str, manifest: Path, catalog: Path) -> dict:
    env = {**os.environ, "ENVIRONMENT": "development", "DAB_ENV_FILE": os.devnull, "DATABASE_URL": url,
           "DATABASE_POOL_SIZE": "0", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(tree)}  # fmt: skip
    args = [str(tree / ".venv" / "bin" / "python"), "-m", "dab_project.cli", "ingest", "dbt", "--manifest",
            str(manifest), "--catalog", str(catalog), "--json"]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{tree}: dab ingest dbt failed:\n{done.stderr[-3000:]}")
    job = json.loads(done.stdout)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall": wall, "cpu": cpu, "steps": job["stats"].get("cpu_timings", {}),
            "scope": (job["stats"].get("conformance") or {}).get("scope", {}).get("mode")}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the other tree (with its .venv)")
    parser.add_argument("--base-template", required=True, help="the database the other tree's runs start from")
    parser.add_argument("--template", required=True, help="the database this tree's runs start from")
    parser.add_argument("--manifest", type=Path, default=Path("/tmp/dab_bench_gen_10000/manifest.json"))
    parser.add_argument("--catalog", type=Path, default=Path("/tmp/dab_bench_gen_10000/catalog.json"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--scratch", default="dab_bench_pairs", help="prefix of the scratch databases' names")
    options = parser.parse_args()
    trees = {"base": (options.base.resolve(), options.base_template), "this": (REPO, options.template)}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for round_ in range(1, options.rounds + 1):
        for name, (tree, template) in trees.items():
            scratch = f"{options.scratch}_{name}"
            url = clone(options.database_url, template, scratch)
            run = ingest(tree, url, options.manifest, options.catalog)
            runs[name].append(run)
            steps = ", ".join(f"{k} {v:.2f}" for k, v in run["steps"].items())
            load = os.getloadavg()[0]
            print(f"round {round_} {name:<4} wall {run['wall']:6.2f}s CPU {run['cpu']:6.2f}s "
                  f"(conformance {run['scope']}; load {load:.1f}) steps (CPU): {steps}", flush=True)  # fmt: skip
            drop(options.database_url, scratch)
    for name, done in runs.items():
        keys = sorted({k for run in done for k in run["steps"]})
        steps = ", ".join(f"{k} {statistics.median(run['steps'].get(k, 0) for run in done):.2f}" for k in keys)
        print(f"median {name:<4} wall {statistics.median(r['wall'] for r in done):6.2f}s "
              f"CPU {statistics.median(r['cpu'] for r in done):6.2f}s  steps (CPU): {steps}")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
