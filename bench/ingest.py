"""Ingestion benchmark: generated dbt projects into PostgreSQL: first ingest, then re-ingests.

    python bench/ingest.py [--models 1000 10000] [--repeat 3] [--changed 5] [--database-url postgres://...]

For each size it generates artifacts once with ../shared/bench/gen_dbt.py (cached in /tmp), then per
repeat: drops and re-creates a scratch database, migrates it, and runs `dab ingest dbt --json`, each in a fresh
process:

1. first ingest;
2. identical artifacts again: the job ends at once, saying nothing changed;
3. the same artifacts with ``--force``: the whole pipeline over an unchanged project;
4. a handful of models changed (``--changed``, default 5: their compiled SQL gains a column).

It prints wall time, CPU time (user + system of that process and the worker processes it waited for), peak RSS,
rows per second, and the job's own step timings, wall (``stats.timings``) and CPU (``stats.cpu_timings``);
medians over the repeats. On a shared machine the wall times follow the load; the CPU times much less.
"core" is read + parse + load (what the ingestion itself costs); "total" adds the pipeline's later steps
(PII classification, column lineage, PII propagation, conformance) that other apps run in the same job.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
GEN = REPO.parent / "shared" / "bench" / "gen_dbt.py"
PYTHON = REPO / ".venv" / "bin" / "python"


def generate(models: int) -> Path:
    out = Path(f"/tmp/dab_bench_gen_{models}")
    if not (out / "manifest.json").exists():
        if not GEN.exists():
            sys.exit(f"cannot generate artifacts: {GEN} is absent")
        print(f"generating {models} models into {out} ...", flush=True)
        subprocess.run([sys.executable, str(GEN), "--models", str(models), "--out", str(out)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    return out


def fresh_database(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def run_dab(args: list[str], env: dict) -> tuple[float, int, str, float]:
    """Run `dab ...` in a fresh process; wall seconds, peak RSS in MB, stdout, CPU seconds (user + system, of it
    and the worker processes it waited for; from wait4)."""
    started = time.perf_counter()
    process = subprocess.Popen([str(PYTHON), "-m", "dab_project.cli", *args], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    stdout = process.stdout.read()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"dab {' '.join(args)} failed:\n{stderr[-3000:]}")
    return wall, usage.ru_maxrss // 1024, stdout, usage.ru_utime + usage.ru_stime


def ingest_once(artifacts: Path, env: dict, *, manifest: Path | None = None, force: bool = False) -> dict:
    args = ["ingest", "dbt", "--manifest", str(manifest or artifacts / "manifest.json"), "--catalog",
            str(artifacts / "catalog.json"), "--json", *(["--force"] if force else [])]  # fmt: skip
    wall, rss, out, cpu = run_dab(args, env)
    job = json.loads(out)
    timings = job["stats"]["timings"]
    cpu_timings = job["stats"].get("cpu_timings", {})
    core = sum(timings.get(k, 0) for k in ("read", "parse", "lock", "load"))
    rows = sum(
        sum(job["stats"].get(k, {}).get(c, 0) for c in ("created", "updated", "unchanged"))
        for k in ("capsules", "columns", "edges")
    )
    return {"wall": wall, "rss": rss, "core": core, "timings": timings, "rows": rows, "stats": job["stats"],
            "cpu": cpu, "cpu_timings": cpu_timings}  # fmt: skip


def changed_manifest(artifacts: Path, count: int) -> Path:
    """The manifest with ``count`` models' compiled SQL each selecting one more column (cached beside it).

    Written by a child process: Linux carries a process's peak RSS across fork and exec, so had this process
    decoded the 142 MB manifest itself, every ``dab`` run it starts afterwards would report at least its ~900 MB."""
    out = artifacts / f"manifest_changed_{count}.json"
    if not out.exists():
        subprocess.run([str(PYTHON), __file__, "--write-changed", str(artifacts), str(count)], check=True)
    return out


def write_changed_manifest(artifacts: Path, count: int) -> None:
    out = artifacts / f"manifest_changed_{count}.json"
    import orjson

    manifest = orjson.loads((artifacts / "manifest.json").read_bytes())
    models = sorted(uid for uid, n in manifest["nodes"].items()
                    if n.get("resource_type") == "model" and (n.get("compiled_code") or "").lstrip().lower()
                    .startswith("select"))  # fmt: skip
    for uid in models[:: max(1, len(models) // count)][:count]:
        node = manifest["nodes"][uid]
        node["compiled_code"] = node["compiled_code"].replace("select", "select 1 as bench_changed,", 1)
    out.write_bytes(orjson.dumps(manifest))


def compile_sources() -> None:
    """Write the bytecode of DAB's modules, as an installed DAB has it: with PYTHONDONTWRITEBYTECODE set (some
    development containers set it) every ``dab`` process would compile each module it imports from source again,
    about half a second of every run that an installation never pays."""
    folders = [str(REPO / name) for name in ("dab_project", "catalog", "lineage", "pii", "conformance", "ingestion")]
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", "-x", "/tests/", *folders], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def median(values):
    return statistics.median(values) if values else float("nan")


def main() -> None:
    if sys.argv[1:2] == ["--write-changed"]:
        write_changed_manifest(Path(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--changed", type=int, default=5, help="models changed for the last re-ingest")
    parser.add_argument("--database", default="dab_bench_ingest", help="prefix of the scratch databases' names")
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL URL whose user may create databases (scratch databases are made beside it)",
    )
    options = parser.parse_args()
    compile_sources()
    print(f"load average before: {os.getloadavg()[0]:.2f}; cpus: {os.cpu_count()}")
    for models in options.models:
        artifacts = generate(models)
        changed = changed_manifest(artifacts, options.changed)
        first, identical, forced, handful = [], [], [], []
        for _ in range(options.repeat):
            url = fresh_database(options.database_url, f"{options.database}_{models}")
            env = {**os.environ, "ENVIRONMENT": "development", "DAB_ENV_FILE": os.devnull, "DATABASE_URL": url,
                   "DATABASE_POOL_SIZE": "0", "LOG_LEVEL": "WARNING"}  # fmt: skip
            run_dab(["migrate", "-v0"], env)
            first.append(ingest_once(artifacts, env))
            identical.append(ingest_once(artifacts, env))
            forced.append(ingest_once(artifacts, env, force=True))
            handful.append(ingest_once(artifacts, env, manifest=changed))
        made = {k: first[0]["stats"][k]["created"] for k in ("capsules", "columns", "edges", "tests")}
        print(
            f"\n== {models} models: " + ", ".join(f"{v} {k}" for k, v in made.items()) + f"; median of {options.repeat}"
        )
        labelled = (("first ingest", first), ("identical artifacts", identical), ("unchanged, --force", forced),
                    (f"{options.changed} models changed", handful))  # fmt: skip
        for label, runs in labelled:
            steps = sorted({k for r in runs for k in r["timings"]})
            step_text = ", ".join(f"{k} {median([r['timings'].get(k, 0) for r in runs]):.2f}s" for k in steps)
            wall = median([r["wall"] for r in runs])
            print(f"  {label:<20} total {wall:6.2f}s  CPU {median([r['cpu'] for r in runs]):6.2f}s  "
                  f"core {median([r['core'] for r in runs]):6.2f}s  "
                  f"peak RSS {median([r['rss'] for r in runs]):5.0f} MB  "
                  f"{median([r['rows'] / r['wall'] for r in runs]):9.0f} rows/s")  # fmt: skip
            print(f"  {'':<20} steps (wall): {step_text}")
            cpu_steps = sorted({k for r in runs for k in r["cpu_timings"]})
            cpu_text = ", ".join(f"{k} {median([r['cpu_timings'].get(k, 0) for r in runs]):.2f}s" for k in cpu_steps)
            print(f"  {'':<20} steps (CPU):  {cpu_text}")
        changes = forced[0]["stats"]
        counted = {k: changes[k] for k in ("capsules", "columns", "edges", "tests")}
        print(f"  forced re-ingest changes: {json.dumps(counted)}")
        print(f"  identical artifacts: {identical[0]['stats'].get('unchanged', {}).get('message', 'not recognised')}")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
