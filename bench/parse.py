"""Time the dbt artifact parser: wall time (median of several runs) and peak RSS.

    python bench/parse.py --models 10000            # generate a 10,000-model project into a temp dir
    python bench/parse.py --dir /tmp/gen10k         # or parse existing manifest/catalog/run_results
    python bench/parse.py --models 1000 --repeat 7

Other processes on the machine inflate wall time; the CPU time of the parsing process is printed too,
and the load average before the runs. Each run happens in a fresh child process so that its peak RSS
is its own (RSS never shrinks within a process); the artifacts are read into memory before the clock
starts, so the time is parsing + merging.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GENERATOR = REPO / ".." / "shared" / "bench" / "gen_dbt.py"

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from ingestion.parsers.dbt import parse_dbt_artifacts

folder = sys.argv[2]
def read(name):
    try:
        with open(f"{folder}/{name}", "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None

manifest, catalog, run_results = read("manifest.json"), read("catalog.json"), read("run_results.json")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, cpu_start = time.perf_counter(), time.process_time()
parsed = parse_dbt_artifacts(manifest=manifest, catalog=catalog, run_results=run_results)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "seconds": elapsed, "cpu_seconds": cpu, "peak_rss_mb": peak / 1024, "rss_before_mb": before / 1024,
    "bytes": sum(len(b) for b in (manifest, catalog, run_results) if b),
    "capsules": len(parsed.capsules), "columns": parsed.stats.get("columns", 0), "tests": len(parsed.tests),
    "edges": len(parsed.edges), "warnings": len(parsed.warnings),
}))
"""


def run_once(folder: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(REPO), str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"parsing {folder} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def bench(folder: Path, repeat: int) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    runs = [run_once(folder) for _ in range(repeat)]
    first = runs[0]
    seconds = [run["seconds"] for run in runs]
    cpu = [run["cpu_seconds"] for run in runs]
    peaks = [run["peak_rss_mb"] for run in runs]
    print(f"artifacts: {folder} ({first['bytes'] / 1e6:.1f} MB); load average before: {load:.2f}")
    print(
        f"records: {first['capsules']} capsules, {first['columns']} columns, {first['tests']} tests, "
        f"{first['edges']} edges, {first['warnings']} warnings"
    )
    print(
        f"parse+merge: median {statistics.median(seconds):.2f} s over {repeat} runs "
        f"(min {min(seconds):.2f}, max {max(seconds):.2f}); CPU median {statistics.median(cpu):.2f} s"
    )
    print(
        f"peak RSS: median {statistics.median(peaks):.0f} MB "
        f"(of which {first['rss_before_mb']:.0f} MB interpreter + artifact bytes before parsing)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--models", type=int, help="generate a project of N models with gen_dbt.py")
    group.add_argument("--dir", type=Path, help="folder holding manifest.json (+ catalog.json, run_results.json)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.dir is not None:
        bench(args.dir, args.repeat)
        return
    if not GENERATOR.exists():
        sys.exit(f"generator not found at {GENERATOR}; use --dir")
    with tempfile.TemporaryDirectory(prefix="dab-parse-bench-") as folder:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, str(GENERATOR), "--models", str(args.models), "--out", folder, "--no-truth"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"generated {args.models} models in {time.perf_counter() - start:.1f} s")
        bench(Path(folder), args.repeat)


if __name__ == "__main__":
    main()
