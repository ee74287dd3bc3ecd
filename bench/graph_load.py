"""Time ``lineage.graph.graph_load`` of another checkout against this one, alternating in one process, and
check that both build the same graph.

    git -C . archive main | tar -x -C /tmp/base          # the other checkout (any tree with lineage/graph.py)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dab_bench_conformance ENVIRONMENT=development \\
      python bench/graph_load.py --base /tmp/base --repeat 5

Both versions read the same database over the same Django settings, one after the other (base, this, base...),
so a busy machine weighs on both alike; each load is timed in wall and in CPU (the process's, every thread:
the parallel read's fetching threads included; PostgreSQL's own work is not). Medians are printed, then the two
graphs are compared field by field (capsules, columns, both adjacency levels, the urn indexes).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import time
from dataclasses import astuple
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the classes are made
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout's root")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dab_project.settings")
    import django

    django.setup()
    from lineage import graph as this

    base = load_module(args.base / "lineage" / "graph.py", "base_lineage_graph")
    cpu: dict[str, list[float]] = {"base": [], "this": []}
    wall: dict[str, list[float]] = {"base": [], "this": []}
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for _ in range(args.repeat):
        for name, module in (("base", base), ("this", this)):
            gc.collect()
            started, cpu_started = time.perf_counter(), time.process_time()
            graph = module.graph_load()
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - cpu_started)
            del graph
    for name in ("base", "this"):
        median_wall, median_cpu = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"  {name:<5} graph_load wall {median_wall:6.2f} s  cpu {median_cpu:5.2f} s  (median of {args.repeat})")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    before, after = base.graph_load(), this.graph_load()
    same = [astuple(node) for node in before.capsules] == [astuple(node) for node in after.capsules] and [
        astuple(node) for node in before.columns
    ] == [astuple(node) for node in after.columns]
    for field in ("upstream", "downstream", "column_upstream", "column_downstream", "by_urn", "column_by_urn"):
        same = same and getattr(before, field) == getattr(after, field)
    print(
        f"graphs {'identical' if same else 'DIFFERENT'}: {len(after.capsules):,} capsules, {len(after.columns):,} "
        f"columns, {sum(map(len, after.column_downstream)):,} column edges"
    )
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
