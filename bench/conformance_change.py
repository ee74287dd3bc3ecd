"""Time the evaluation after a change (``conformance_evaluate(changes=...)``) in another checkout and in this one,
alternating, each run in a fresh process, on a bench database that holds an evaluated project.

    git -C . archive main | tar -x -C /tmp/base          # the other checkout
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dab_bench_conformance ENVIRONMENT=development \\
      python bench/conformance_change.py --base /tmp/base --repeat 3 --changed 5

Each round changes ``--changed`` models (their description cleared or restored, a different set each round),
then runs the evaluation after that change once in the other checkout and once in this one (which one first
alternates), each in a new interpreter started in its own tree. The first of the pair evaluates the change and
stores it; the second sees the same change again (the same models marked changed, the graph as the first left
it), so both judge the same scope (the other checkout's evaluations keep no counts per capsule, and none of those this
one keeps depends on a capsule's description). Printed per run: wall and process CPU (user + system, every thread;
PostgreSQL's own work is not in it), the steps' wall times and the scope; then the medians of each tree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import json, os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dab_project.settings")
django.setup()
from conformance.services import ConformanceChanges, conformance_evaluate
keys = json.loads(sys.argv[1])
changes = ConformanceChanges(capsule_ids=frozenset(keys))
started, cpu = time.perf_counter(), time.process_time()
run = conformance_evaluate(triggered_by="bench", changes=changes)
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
found = {"wall": wall, "cpu": cpu, "timings": run.timings, "scope": run.scope}
found.update(score=run.report.overall.score, findings=len(run.evaluation.findings))
print(json.dumps(found))
"""


def change(count: int, round_: int) -> list[str]:
    """Toggle the description of ``count`` models (the round's slice, by urn); their keys."""
    from django.utils import timezone

    from catalog.models import Capsule

    models = list(Capsule.objects.filter(capsule_type="model").order_by("urn").values_list("pk", "description"))
    chosen = models[round_ * count : (round_ + 1) * count]
    for pk, description in chosen:
        Capsule.objects.filter(pk=pk).update(description="" if description else "documented", updated_at=timezone.now())
    return [str(pk) for pk, _ in chosen]


def run_in(tree: Path, keys: list[str], url: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "DATABASE_URL": url, "ENVIRONMENT": "development"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(keys)], cwd=tree, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout's root")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--changed", type=int, default=5)
    parser.add_argument("--first-round", type=int, default=10, help="the first slice of models changed")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dab_bench_conformance")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dab_project.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results: dict[str, list[dict]] = {"base": [], "this": []}
    for round_ in range(args.repeat):
        keys = change(args.changed, args.first_round + round_)
        order = [("base", args.base), ("this", REPO)]
        for label, tree in order if round_ % 2 == 0 else order[::-1]:
            found = run_in(tree, keys, url)
            results[label].append(found)
            steps = " ".join(f"{key} {value:.2f}" for key, value in found["timings"].items())
            columns = (found["scope"] or {}).get("columns", "")
            print(
                f"  round {round_ + 1} {label:<4} wall {found['wall']:6.2f} s  cpu {found['cpu']:5.2f} s  "
                f"score {found['score']}  findings {found['findings']}  [{steps}]  {columns}"
            )
    for label, found in results.items():
        print(
            f"{label:<4} median wall {statistics.median(r['wall'] for r in found):6.2f} s  "
            f"cpu {statistics.median(r['cpu'] for r in found):5.2f} s  (of {len(found)})"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
