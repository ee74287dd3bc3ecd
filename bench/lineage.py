#!/usr/bin/env python3
"""Benchmark column lineage in the pipeline and lineage traversal on a generated project.

    python bench/lineage.py                        # /tmp/gen10k if it exists, else generate 10,000 models there
    python bench/lineage.py --dir /tmp/gen1k       # another generated project (gen_dbt.py --models N --out DIR)
    python bench/lineage.py --models 2000          # generate into a temporary folder first

Uses a PostgreSQL database of its own (``--database``, dropped and created again; the server from
``--server``, default postgres://postgres@127.0.0.1:5432). Prints:

1. the first ingestion: the column-lineage step's wall time for the whole project, models by status, edges
   stored and edges skipped (a column neither manifest nor catalog lists);
2. per model extraction time, median and p95 (an in-process pass over a random sample of the same jobs);
3. an unchanged re-ingestion (``force``: the whole pipeline): the column-lineage step's time and how many models
   it re-derived; then the same artifacts once more without ``force``, which ends at once;
4. depth-10 downstream traversal from 100 random sources (with at least one child), median and p95,
   capsule level and column level (one random column with lineage per source), through the selectors
   the API calls.
The load average is printed with the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GEN = ROOT / ".." / "shared" / "bench" / "gen_dbt.py"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms, max {max(values):.1f} ms"


def fresh_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def ingest(directory: Path, *, force: bool = False):
    from ingestion.services import Artifact, dbt_ingest

    catalog = directory / "catalog.json"
    job = dbt_ingest(
        manifest=Artifact.from_path("manifest", directory / "manifest.json"),
        catalog=Artifact.from_path("catalog", catalog) if catalog.exists() else None,
        triggered_by="bench",
        force=force,
    )
    if job.status != "completed":
        raise SystemExit(f"ingestion failed: {job.error_message}")
    return job


def per_model_times(sample: int, seed: int) -> list[float]:
    """Time extract_column_lineage in this process for a random sample of the project's models."""
    from django.utils import timezone

    from catalog.models import Capsule, SourceSystem
    from lineage import services
    from lineage.sql_lineage import dialect_for_adapter, extract_column_lineage

    system = SourceSystem.objects.get()
    nodes = services._read_nodes(system.pk)
    models = [n for n in nodes.values() if n.capsule_type in services.LINEAGE_TYPES and n.sql_md5]
    random.Random(seed).shuffle(models)
    models = models[:sample]
    run = services._Run(
        nodes=nodes, source_system_id=system.pk, dialect=dialect_for_adapter(system.meta.get("adapter_type")),
        masking=services._masking_functions(), job_id=None, now=timezone.now(),
    )  # fmt: skip
    run.attach({m.pk for m in models} | {p for m in models for p in (*m.parents, *m.sql_parents)})
    sql = {pk.int: text for pk, text in Capsule.objects.filter(pk__in=services._uuids(m.pk for m in models))
           .values_list("id", "compiled_sql")}  # fmt: skip
    jobs = [run.job(m, sql.get(m.pk), m.sql_parents) for m in models]
    times = []
    for job in jobs:
        started = time.perf_counter()
        extract_column_lineage(
            sql=job.sql, dialect=job.dialect, upstream=job.upstream, target_columns=job.target_columns,
            masking_functions=job.masking_functions, own_names=job.own_names,
            target_columns_complete=job.target_columns_complete,
        )  # fmt: skip
        times.append((time.perf_counter() - started) * 1000)
    return times


def traversal(starts: int, depth: int, seed: int) -> None:
    from django.db import connection

    from catalog.models import Capsule, Column
    from lineage import selectors
    from lineage.models import CapsuleLineage, ColumnLineage

    rng = random.Random(seed)
    sources = list(
        Capsule.objects.filter(capsule_type="source", downstream_edges__isnull=False).distinct().order_by("urn")
    )
    chosen = rng.sample(sources, min(starts, len(sources)))
    resolved = selectors.depth_resolve(requested=depth)
    print(f"\ntraversal: depth {resolved.applied} downstream from {len(chosen)} random sources with children "
          f"(of {len(sources)}); {CapsuleLineage.objects.count():,} capsule edges, "
          f"{ColumnLineage.objects.count():,} column edges")  # fmt: skip
    for capsule in chosen[:5]:  # warm the connection and the caches
        selectors.capsule_lineage(capsule=capsule, direction="downstream", depth=resolved)
    times, sizes = [], []
    for capsule in chosen:
        started = time.perf_counter()
        result = selectors.capsule_lineage(capsule=capsule, direction="downstream", depth=resolved)
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(result.nodes) - 1)
    print(f"  capsule level: {summary(times)}; capsules reached: median {statistics.median(sizes):.0f}, "
          f"max {max(sizes)}")  # fmt: skip

    with_lineage = set(ColumnLineage.objects.values_list("source_column_id", flat=True).distinct())
    columns = []
    for capsule in chosen:
        candidates = [pk for pk in Column.objects.filter(capsule=capsule).values_list("id", flat=True)
                      if pk in with_lineage]  # fmt: skip
        if candidates:
            columns.append(Column.objects.only("id", "urn").get(pk=rng.choice(candidates)))
    times, sizes = [], []
    for column in columns:
        started = time.perf_counter()
        result = selectors.column_lineage(column=column, direction="downstream", depth=resolved)
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(result.nodes) - 1)
    print(f"  column level:  {summary(times)}; columns reached: median {statistics.median(sizes):.0f}, "
          f"max {max(sizes)} ({len(columns)} starts: one random column with lineage per source)")  # fmt: skip
    times, sizes = [], []
    for capsule in chosen:
        started = time.perf_counter()
        result = selectors.capsule_lineage(capsule=capsule, direction="downstream", depth=resolved, level="column")
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(result.nodes))
    print(f"  column level, every column of the source at once: {summary(times)}; columns met: median "
          f"{statistics.median(sizes):.0f}, max {max(sizes)}")  # fmt: skip
    connection.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, help="a generated project (manifest.json, catalog.json)")
    ap.add_argument("--models", type=int, help="generate a project of this many models first")
    ap.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--database", default="dab_bench_lineage")
    ap.add_argument("--sample", type=int, default=2000, help="models timed one by one (0: skip)")
    ap.add_argument("--starts", type=int, default=100)
    ap.add_argument("--depth", type=int, default=10)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--traversal-only", action="store_true", help="reuse the database as it is; only traverse")
    a = ap.parse_args(argv)

    tmp = None
    directory = a.dir
    if directory is None and a.models is None and Path("/tmp/gen10k/manifest.json").exists():
        directory = Path("/tmp/gen10k")
    if directory is None and not a.traversal_only:
        models = a.models or 10_000
        tmp = tempfile.TemporaryDirectory(prefix="dab_bench_lineage_")
        directory = Path(tmp.name)
        started = time.perf_counter()
        subprocess.run([sys.executable, str(GEN), "--models", str(models), "--out", str(directory)], check=True,
                       capture_output=True)  # fmt: skip
        print(f"generated {models} models in {time.perf_counter() - started:.1f}s into {directory}")

    if a.traversal_only:
        os.environ["DATABASE_URL"] = f"{a.server}/{a.database}"
    else:
        os.environ["DATABASE_URL"] = fresh_database(a.server, a.database)
    os.environ.setdefault("ENVIRONMENT", "development")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "dab_project.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"project {directory}, database {a.database}; {load()}")
    if a.traversal_only:
        traversal(a.starts, a.depth, a.seed)
        return 0

    job = ingest(directory)
    stats, timings = job.stats["column_lineage"], job.stats["timings"]
    print(f"\nfirst ingestion: {timings['column_lineage']:.1f}s column lineage for {stats['models']:,} models "
          f"({timings['column_lineage'] / max(1, stats['models']) * 1000:.2f} ms/model over the pool), "
          f"whole ingestion {sum(timings.values()):.1f}s; {load()}")  # fmt: skip
    print(f"  statuses: {stats['statuses']}")
    print(f"  edges stored: {stats['edges']['written']:,}; skipped (an endpoint that cannot be a column): "
          f"{stats['edges']['skipped_unknown_column']:,}")  # fmt: skip
    print(f"  inferred columns: {stats.get('inferred_columns')}")
    print(f"  steps: {timings}")

    if a.sample:
        times = per_model_times(a.sample, a.seed)
        print(f"\nper model, in process ({len(times):,} random models): {summary(times)}; {load()}")

    # --force: the pipeline runs although the artifacts are those just ingested (else the job ends at once)
    job = ingest(directory, force=True)
    stats, timings = job.stats["column_lineage"], job.stats["timings"]
    print(f"\nunchanged re-ingestion: {timings['column_lineage']:.2f}s column lineage, {stats['reparsed']} models "
          f"re-derived, {stats['kept']:,} kept; whole ingestion {sum(timings.values()):.1f}s; {load()}")  # fmt: skip
    job = ingest(directory)
    print(f"identical artifacts again (no --force): the job ends in {job.duration_seconds:.2f}s saying nothing "
          f"changed ({'unchanged' in job.stats}); {load()}")  # fmt: skip

    traversal(a.starts, a.depth, a.seed)
    print(f"\n{load()}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
