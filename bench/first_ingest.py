"""A first ingestion's whole cost, every process counted: `dab ingest dbt --json` into a fresh database.

    ENVIRONMENT=development python bench/first_ingest.py --database dab_bench_first [--artifacts DIR] [--repo DIR]

Creates (drops first) the scratch database, migrates it, ingests the artifacts (default: the generated
10,000-model project of bench/ingest.py) in a fresh process and prints one JSON line: wall seconds, CPU of that
process and the workers it waited for, CPU of its PostgreSQL backends (from /proc, sampled every 0.2 s), the peak
of the summed RSS of the process and its children (column lineage's workers), the load average, and the job's
step timings. ``--repo`` runs another checkout's code (for before/after pairs) with this project's interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _tree(pid: int) -> list[int]:
    """The process and its descendants, leaving out a child forked but not yet exec'd (a worker being spawned):
    it shares its parent's pages, so its RSS would count them twice."""
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                if _cmdline(int(child)) != _cmdline(pid):
                    found += _tree(int(child))
    except OSError:
        pass
    return found


def _rss_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="name of the scratch database (dropped and created)")
    parser.add_argument("--artifacts", type=Path, default=Path("/tmp/dab_bench_gen_10000"))
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose code runs")
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    options = parser.parse_args()
    with psycopg.connect(options.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{options.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{options.database}"')
    url = options.admin_url.rsplit("/", 1)[0] + f"/{options.database}"
    env = {**os.environ, "ENVIRONMENT": "development", "DAB_ENV_FILE": os.devnull, "DATABASE_URL": url,
           "DATABASE_POOL_SIZE": "0", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(options.repo)}  # fmt: skip
    dab = [sys.executable, "-m", "dab_project.cli"]
    subprocess.run([*dab, "migrate", "-v0"], cwd=options.repo, env=env, check=True)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(
        [*dab, "ingest", "dbt", "--manifest", str(options.artifacts / "manifest.json"), "--catalog",
         str(options.artifacts / "catalog.json"), "--json"],
        cwd=options.repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    peak = [0]
    backends: dict[int, float] = {}

    def sample() -> None:
        with psycopg.connect(options.admin_url, autocommit=True) as conn:
            while process.poll() is None:
                query = "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
                for (pid,) in conn.execute(query, (options.database,)).fetchall():
                    seconds = _cpu(pid)
                    if seconds is not None:
                        backends[pid] = seconds
                peak[0] = max(peak[0], sum(_rss_mb(pid) for pid in _tree(process.pid)))
                time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    if process.returncode:
        sys.exit(f"dab ingest dbt failed:\n{stderr[-3000:]}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = json.loads(stdout)["stats"]
    print(json.dumps({
        "wall": round(wall, 1),
        "cpu_dab_and_workers_with_migrate": round(children.ru_utime + children.ru_stime, 1),
        "cpu_postgresql": round(sum(backends.values()), 1),
        "peak_rss_all_processes_mb": peak[0],
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "timings": stats["timings"],
        "cpu_timings": stats.get("cpu_timings", {}),
    }))


if __name__ == "__main__":
    main()
