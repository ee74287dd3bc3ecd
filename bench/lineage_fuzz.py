#!/usr/bin/env python3
"""Fuzz the column-lineage extractor until it never crashes: every failure must be a reason, never an internal error.

    python bench/lineage_fuzz.py                      # every compiled model in ../shared and the repo's samples,
                                                      # as is and in every dialect, then 20,000 random cases
    python bench/lineage_fuzz.py --cases 200000 --seed 3
    python bench/lineage_fuzz.py --gen 1000           # also the SQL of a gen_dbt.py project of 1,000 models

Prints how many inputs ran, the statuses, and every internal error with the SQL that caused it (first few of each
kind); exits 1 when there was any. The cases come from lineage/tests/sql_fuzz.py: real compiled SQL transpiled to
other dialects by sqlglot, real SQL mutated (nodes dropped, swapped, wrapped in functions), queries built from
scratch.
"""

from __future__ import annotations

import argparse
import collections
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lineage.sql_lineage import extract_column_lineage  # noqa: E402
from lineage.tests.sql_fuzz import DIALECTS, INTERNAL, Case, cases, project_cases, transpiled, tricky_cases  # noqa: E402,E501

SHARED = ROOT / ".." / "shared"
GEN = SHARED / "bench" / "gen_dbt.py"
SAMPLES = (ROOT / "examples" / "acme_shop" / "target", ROOT / "lineage" / "tests" / "data" / "lineage_lab" / "target")


def run(case: Case):
    return extract_column_lineage(sql=case.sql, dialect=case.dialect, upstream=case.upstream)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=20_000, help="random cases after the real ones")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gen", type=int, default=0, help="also a gen_dbt.py project of this many models")
    ap.add_argument("--show", type=int, default=3, help="examples printed per kind of internal error")
    a = ap.parse_args(argv)

    manifests = [p / "manifest.json" for p in SAMPLES if (p / "manifest.json").exists()]
    if (SHARED / "dbt").is_dir():
        manifests += sorted((SHARED / "dbt").rglob("manifest.json"))
    tmp = None
    if a.gen:
        tmp = tempfile.TemporaryDirectory(prefix="dab_fuzz_")
        subprocess.run([sys.executable, str(GEN), "--models", str(a.gen), "--out", tmp.name, "--no-truth"],
                       check=True, capture_output=True)  # fmt: skip
        manifests.append(Path(tmp.name) / "manifest.json")
    sources = [case for path in manifests for case in project_cases(path)] + tricky_cases()
    print(f"{len(sources)} compiled models from {len(manifests)} manifests")

    statuses: collections.Counter[str] = collections.Counter()
    crashes: dict[str, list[Case]] = collections.defaultdict(list)
    started = time.perf_counter()
    total = 0

    def check(case: Case) -> None:
        nonlocal total
        total += 1
        result = run(case)
        statuses[result.status] += 1
        if result.reason and INTERNAL in result.reason:
            crashes[result.reason.split(":", 2)[1].strip() if ":" in result.reason else result.reason].append(case)

    for case in sources:
        check(case)
        for dialect in DIALECTS:
            other = transpiled(case, dialect)
            if other is not None:
                check(other)
    real = total
    rng = random.Random(a.seed)
    for case in cases(sources, rng, a.cases):
        check(case)
    seconds = time.perf_counter() - started
    print(f"{total:,} inputs ({real:,} real and transpiled, {total - real:,} random, seed {a.seed}) in {seconds:.1f}s; "
          f"statuses {dict(sorted(statuses.items()))}")  # fmt: skip
    if not crashes:
        print("internal errors: 0")
    for kind, found in sorted(crashes.items(), key=lambda kv: -len(kv[1])):
        print(f"internal error x{len(found)}: {kind}")
        for case in found[: a.show]:
            print(f"  {case.origin} ({case.dialect}):\n    " + case.sql[:600].replace("\n", "\n    "))
    if tmp is not None:
        tmp.cleanup()
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
