"""Time what every DAB process pays before its work: the interpreter, ``django.setup()`` and the command's module.

    ENVIRONMENT=development python bench/startup.py                 # 5 fresh processes, conformance_check
    ENVIRONMENT=development python bench/startup.py --repeat 9 --module ingestion.management.commands.ingest_dbt

Each repeat runs a fresh interpreter (imports are cached per process) and prints its wall time and its CPU
time (user + system, from the child's own getrusage: the fairer figure on a busy machine), then the medians.
No database is touched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]

CHILD = """
import os, resource, sys, time
started = time.perf_counter()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dab_project.settings")
import django
django.setup()
__import__(sys.argv[1])
usage = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - started, usage.ru_utime + usage.ru_stime)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--module", default="conformance.management.commands.conformance_check")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO_DIR)}
    walls, cpus = [], []
    for _ in range(args.repeat):
        command = [sys.executable, "-c", CHILD, args.module]
        out = subprocess.run(command, env=env, cwd=REPO_DIR, capture_output=True, text=True, check=True)
        wall, cpu = map(float, out.stdout.split())
        walls.append(wall)
        cpus.append(cpu)
        print(f"setup + {args.module}: {wall:.3f} s wall, {cpu:.3f} s CPU")
    wall, cpu, load = statistics.median(walls), statistics.median(cpus), os.getloadavg()[0]
    print(f"median of {args.repeat}: {wall:.3f} s wall, {cpu:.3f} s CPU (load {load:.1f})")


if __name__ == "__main__":
    main()
