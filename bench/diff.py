"""Change-report benchmark: a generated dbt project stored in PostgreSQL, then a head with changed models.

    python bench/diff.py [--models 10000] [--changed 50] [--database-url postgres://postgres@127.0.0.1:5432/x]
                         [--artifacts DIR] [--reuse] [--steps diff,no-evaluate,ingest]

Steps, each `dab ...` in a fresh process (wall time, peak RSS and CPU time from wait4; the CPU time of the PostgreSQL
backends serving it, sampled from /proc):

1. generate the artifacts with ../shared/bench/gen_dbt.py (cached in /tmp), and a head where ``--changed`` models
   changed: each model's compiled SQL selects one more column (in the catalog too), and every second one also
   lost its last column (a removal that the diff judges against what reads it);
2. a fresh scratch database, migrated; the first ingest of the base (the memory of an ingest, for reference);
3. `dab diff dbt --head ... --head-catalog ... --format json` against the stored state: the whole report, PII
   and conformance deltas included;
4. the same with --no-evaluate (the diff alone);
5. ingesting the head: the job's own timing of the changeset recording against the whole ingestion;
6. the same head again with --force (the whole pipeline, nothing changed): the changeset rows it stores.

``--reuse`` keeps the ingested base as a template database (``<database>_<models>_base``) and clones it on later
runs instead of ingesting again (minutes at 10,000 models); ``--steps`` picks which of steps 3-6 run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from ingest import PYTHON, fresh_database, generate  # noqa: E402

PYTHON = PYTHON if PYTHON.exists() else Path(sys.executable)  # a worktree without its own .venv


CPU: list[float] = []
PG_CPU: list[float] = []
TICKS = os.sysconf("SC_CLK_TCK")


def _backend_cpu(url: str, app: str, done: threading.Event, out: dict[int, float]) -> None:
    """Poll the PostgreSQL backends serving ``app`` (their application_name) and keep each one's CPU seconds as last
    read from /proc (the server runs on this machine); what a backend spends after the last poll is missed."""
    with psycopg.connect(url, autocommit=True) as conn:
        while not done.wait(0.2):
            for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [app]):
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                out[pid] = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def cpu() -> str:
    return f"cpu {CPU[-1]:.1f} s + PostgreSQL {PG_CPU[-1]:.1f} s"


def run_dab(args: list[str], env: dict) -> tuple[float, int, str]:
    """Run `dab ...` in a fresh process; wall seconds, peak RSS in MB, stdout (exit 1 allowed: a gate). The process's
    CPU time (user + system, from wait4) is kept in CPU[-1]: on a busy machine it is the fairer figure; the CPU time
    of the PostgreSQL backends serving it (sampled every 0.2 s) in PG_CPU[-1]."""
    app = f"dab_bench_diff_{os.getpid()}_{len(CPU)}"
    done, backends = threading.Event(), {}
    poller = threading.Thread(target=_backend_cpu, args=(env["DATABASE_URL"], app, done, backends), daemon=True)
    poller.start()
    started = time.perf_counter()
    process = subprocess.Popen([str(PYTHON), "-m", "dab_project.cli", *args], cwd=REPO,
                               env={**env, "PGAPPNAME": app},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    stdout = process.stdout.read()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    poller.join()
    CPU.append(usage.ru_utime + usage.ru_stime)
    PG_CPU.append(sum(backends.values()))
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"dab {' '.join(args)} failed:\n{stderr[-3000:]}")
    return wall, usage.ru_maxrss // 1024, stdout


def head_artifacts(artifacts: Path, count: int) -> tuple[Path, Path]:
    """The head: ``count`` models changed (see the module docstring); cached beside the artifacts."""
    manifest_out, catalog_out = artifacts / f"head_manifest_{count}.json", artifacts / f"head_catalog_{count}.json"
    if manifest_out.exists() and catalog_out.exists():
        return manifest_out, catalog_out
    manifest = orjson.loads((artifacts / "manifest.json").read_bytes())
    catalog = orjson.loads((artifacts / "catalog.json").read_bytes())
    models = sorted(uid for uid, n in manifest["nodes"].items()
                    if n.get("resource_type") == "model" and uid in catalog["nodes"]
                    and (n.get("compiled_code") or "").lstrip().lower().startswith("select"))  # fmt: skip
    for i, uid in enumerate(models[:: max(1, len(models) // count)][:count]):
        node = manifest["nodes"][uid]
        node["compiled_code"] = node["compiled_code"].replace("select", "select 1 as bench_changed,", 1)
        columns = catalog["nodes"][uid]["columns"]
        if i % 2 and len(columns) > 2:
            last = max(columns, key=lambda name: columns[name]["index"])
            del columns[last]
            node["columns"].pop(last, None)
        columns["bench_changed"] = {"type": "integer", "index": len(columns) + 1, "name": "bench_changed",
                                    "comment": None}  # fmt: skip
    manifest_out.write_bytes(orjson.dumps(manifest))
    catalog_out.write_bytes(orjson.dumps(catalog))
    return manifest_out, catalog_out


def count_changes(url: str) -> int:
    with psycopg.connect(url, options="-c search_path=dab,public") as conn:
        return conn.execute("SELECT count(*) FROM capsule_changes").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=10000)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="dab_bench_diff", help="prefix of the scratch database's name")
    parser.add_argument("--artifacts", type=Path, help="generated artifacts to use (default: generated in /tmp)")
    parser.add_argument("--reuse", action="store_true",
                        help="clone the base from a template database kept by an earlier --reuse run")  # fmt: skip
    parser.add_argument("--steps", default="diff,no-evaluate,ingest", help="which of: diff, no-evaluate, ingest")
    options = parser.parse_args()
    steps = set(options.steps.split(","))
    artifacts = options.artifacts or generate(options.models)
    head, head_catalog = head_artifacts(artifacts, options.changed)
    name = f"{options.database}_{options.models}"
    template = f"{name}_base"
    print(f"{options.models} models, {options.changed} changed; PostgreSQL, fresh process per step", flush=True)
    if options.reuse and database_exists(options.database_url, template):
        url = database_clone(options.database_url, name, template=template)
        env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "development", "LOG_LEVEL": "WARNING"}
        print(f"  base cloned from {template}")
    else:
        url = fresh_database(options.database_url, name)
        env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "development", "LOG_LEVEL": "WARNING"}
        subprocess.run([str(PYTHON), "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)
        wall, rss, out = run_dab(["ingest", "dbt", "--manifest", str(artifacts / "manifest.json"), "--catalog",
                                  str(artifacts / "catalog.json"), "--json"], env)  # fmt: skip
        print(f"  first ingest of the base:          {wall:6.1f} s  {rss:6,} MB peak RSS  {cpu()}")
        if options.reuse:
            database_clone(options.database_url, template, template=name)
    diff_args = ["diff", "dbt", "--head", str(head), "--head-catalog", str(head_catalog), "--format", "json"]
    if "diff" in steps:
        diff_whole(diff_args, env)
    if "no-evaluate" in steps:
        wall, rss, _ = run_dab([*diff_args, "--no-evaluate"], env)
        print(f"  diff, --no-evaluate:               {wall:6.1f} s  {rss:6,} MB peak RSS  {cpu()}")
    if "ingest" in steps:
        ingest_head(head, head_catalog, url, env)


def database_exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def database_clone(admin_url: str, name: str, *, template: str) -> str:
    """A fresh database ``name`` copied from ``template`` (a file copy: seconds, where ingesting takes minutes)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def diff_whole(diff_args: list[str], env: dict) -> None:
    wall, rss, out = run_dab(diff_args, env)
    report = json.loads(out)
    print(f"  diff against stored (whole report): {wall:6.1f} s  {rss:6,} MB peak RSS  {cpu()}")
    summary = report["summary"]
    print("    " + ", ".join(f"{k} {v}" for k, v in summary.items() if v))
    scope = (report.get("conformance") or {}).get("evaluation") or {}
    if scope:
        judged = f", {scope['changed_capsules']} capsules changed" if "changed_capsules" in scope else ""
        print(f"    conformance delta evaluated {scope.get('mode')}{judged} {scope.get('reason', '')}".rstrip())
        if "columns" in scope:  # the columns that evaluation loaded (conformance.md, evaluation after a change)
            print(f"    columns loaded: {scope['columns']}")


def ingest_head(head: Path, head_catalog: Path, url: str, env: dict) -> None:
    wall, rss, out = run_dab(["ingest", "dbt", "--manifest", str(head), "--catalog", str(head_catalog), "--json"],
                             env)  # fmt: skip
    job = json.loads(out)
    changes = job["stats"]["changes"]
    total = sum(v for k, v in job["stats"]["timings"].items())
    print(f"  ingest of the head:                {wall:6.1f} s  {rss:6,} MB peak RSS; job {total:.1f} s, changeset "
          f"recording {changes['seconds']:.2f} s ({100 * changes['seconds'] / total:.1f}% of the job), "
          f"{changes['recorded']} changes stored")  # fmt: skip
    before = count_changes(url)
    wall, rss, out = run_dab(["ingest", "dbt", "--manifest", str(head), "--catalog", str(head_catalog), "--json",
                              "--force"], env)  # fmt: skip
    job = json.loads(out)
    changes = job["stats"]["changes"]
    total = sum(v for k, v in job["stats"]["timings"].items())
    print(f"  unchanged re-ingest (--force):     {wall:6.1f} s  {rss:6,} MB peak RSS; changeset recording "
          f"{changes['seconds']:.2f} s ({100 * changes['seconds'] / total:.1f}% of the job), "
          f"{count_changes(url) - before} rows stored")  # fmt: skip


if __name__ == "__main__":
    main()
