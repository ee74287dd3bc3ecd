#!/usr/bin/env python3
"""How faithful the *stored* column lineage is: ingest projects through the real pipeline, then judge the database.

    python bench/lineage_fidelity.py --models 1000 --seed 7           # gen_dbt.py project, compared with its truth
    python bench/lineage_fidelity.py --dir /tmp/gen10k_s7             # an already generated project
    python bench/lineage_fidelity.py --real                           # every ../shared/dbt project with compiled SQL
    python bench/lineage_fidelity.py --dir path/to/target             # any dbt target folder (manifest + catalog)

For each project, in a PostgreSQL database of its own (``--database``, dropped and created again):

1. models and snapshots with compiled SQL by lineage status, and the share ``parsed``;
2. every ``partial`` / ``failed`` reason, grouped by kind with counts (``--show`` examples of each);
3. inferred columns by origin (inferred from SQL, inferred from usage);
4. when the folder holds gen_dbt.py's ``truth_column_lineage.tsv.gz``: precision and recall of the stored edges
   (endpoint columns read back from the database by dbt unique_id and column name), and the missed edges
   grouped by the child model's status.

Unlike bench/lineage_extract.py, which judges the extractor alone, this measures what a user sees.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT / ".." / "shared"
GEN = SHARED / "bench" / "gen_dbt.py"


def fresh_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def real_projects() -> list[Path]:
    """../shared/dbt folders whose manifest holds compiled SQL (``dbt parse`` alone writes none)."""
    import orjson

    found = []
    base = SHARED / "dbt"
    for manifest in sorted(base.rglob("manifest.json")):
        nodes = orjson.loads(manifest.read_bytes()).get("nodes", {})
        if any(n.get("compiled_code") or n.get("compiled_sql") for n in nodes.values()):
            found.append(manifest.parent)
    return found


def reason_kind(reason: str) -> str:
    """A reason with its specifics (names, counts, quoted SQL) blanked, so like reasons group together."""
    text = re.sub(r"\([^()]*\)", "(…)", reason)
    text = re.sub(r"\b\d[\d,]*\b", "N", text)
    text = re.sub(r"[\w.\"`$]*\.[\w.\"`$]+", "X", text)
    return text[:160]


def wipe() -> None:
    """Remove every project (between two projects of one run): each is judged alone."""
    from django.db import connection

    from catalog.models import Capsule, Column, Domain, Owner, SourceSystem
    from conformance.models import Violation
    from ingestion.models import IngestionJob
    from lineage.models import CapsuleLineage, ColumnLineage, ColumnLineageInput

    for model in (ColumnLineage, ColumnLineageInput, Violation, CapsuleLineage, Column, Capsule):
        model.objects.all()._raw_delete(connection.alias)
    for model in (Owner, Domain, SourceSystem, IngestionJob):
        model.objects.all().delete()


def ingest(directory: Path):
    from ingestion.services import Artifact, dbt_ingest

    optional = {
        kind: Artifact.from_path(kind, directory / f"{kind}.json")
        for kind in ("catalog", "run_results")
        if (directory / f"{kind}.json").exists()
    }
    started = time.perf_counter()
    job = dbt_ingest(manifest=Artifact.from_path("manifest", directory / "manifest.json"), triggered_by="bench",
                     **optional)  # fmt: skip
    if job.status != "completed":
        raise SystemExit(f"{directory}: ingestion failed: {job.error_message}")
    return job, time.perf_counter() - started


def statuses(show: int) -> tuple[int, int]:
    from catalog.models import Capsule

    rows = list(
        Capsule.objects.filter(capsule_type__in=("model", "snapshot"))
        .exclude(compiled_sql__isnull=True)
        .exclude(compiled_sql="")
        .values_list("unique_id", "lineage_status", "lineage_error")
    )
    counts = collections.Counter(status for _, status, _ in rows)
    parsed = counts.get("parsed", 0)
    share = parsed / len(rows) if rows else 1.0
    print(f"  models with compiled SQL: {len(rows)}; by status {dict(sorted(counts.items()))}; parsed {share:.1%}")
    kinds: dict[tuple[str, str], list[tuple[str, str]]] = collections.defaultdict(list)
    for uid, status, reason in rows:
        if status in ("partial", "failed"):
            kinds[(status, reason_kind(reason or ""))].append((uid, reason or ""))
    for (status, kind), items in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        print(f"    {len(items):5d} {status}: {kind}")
        for uid, reason in items[:show]:
            print(f"          e.g. {uid}: {reason[:300]}")
    return parsed, len(rows)


def origins() -> None:
    from django.db.models import Count

    from catalog.models import Column

    field = "origin" if any(f.name == "origin" for f in Column._meta.get_fields()) else None
    if field is None:
        print("  columns: no origin field (inferred columns not stored)")
        return
    counts = dict(Column.objects.values_list(field).annotate(n=Count("id")).order_by())
    print(f"  columns by origin: {counts}")


def load_truth(directory: Path) -> set[tuple[str, str, str, str]] | None:
    path = directory / "truth_column_lineage.tsv.gz"
    if not path.exists():
        return None
    truth = set()
    with gzip.open(path, "rt") as fh:
        next(fh)
        for line in fh:
            child, ccol, parent, pcol, _kind = line.rstrip("\n").split("\t")
            truth.add((child, ccol.lower(), parent, pcol.lower()))
    return truth


def compare(truth: set, show: int) -> tuple[float, float]:
    from catalog.models import Capsule
    from lineage.models import ColumnLineage

    stored = set(
        (t_uid, t_col.lower(), s_uid, s_col.lower())
        for t_uid, t_col, s_uid, s_col in ColumnLineage.objects.values_list(
            "target_column__capsule__unique_id",
            "target_column__name",
            "source_column__capsule__unique_id",
            "source_column__name",
        ).iterator(chunk_size=20_000)
    )
    hits = stored & truth
    precision = len(hits) / max(1, len(stored))
    recall = len(hits) / max(1, len(truth))
    print(f"  stored edges {len(stored):,}, truth {len(truth):,}, correct {len(hits):,}: "
          f"precision {precision:.4f}, recall {recall:.4f}")  # fmt: skip
    missed = truth - stored
    if missed:
        status_of = dict(Capsule.objects.values_list("unique_id", "lineage_status"))
        by_status = collections.Counter(status_of.get(child, "absent") for child, *_ in missed)
        models = len({child for child, *_ in missed})
        print(f"  missed {len(missed):,} edges in {models} models, by the child's status: {dict(by_status)}")
        for edge in sorted(missed)[:show]:
            print(f"    missed: {edge}")
    for edge in sorted(stored - truth)[:show]:
        print(f"    wrong: {edge}")
    return precision, recall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, action="append", default=[], help="a folder with manifest.json (repeatable)")
    ap.add_argument("--models", type=int, help="generate a project of this many models first")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--real", action="store_true", help="every ../shared/dbt project with compiled SQL")
    ap.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--database", default="dab_bench_fidelity")
    ap.add_argument("--show", type=int, default=2, help="examples per reason kind, missed and wrong edges")
    ap.add_argument("--reingest", action="store_true", help="ingest each project twice; report the second run too")
    a = ap.parse_args(argv)

    dirs = list(a.dir)
    tmp = None
    if a.models:
        tmp = tempfile.TemporaryDirectory(prefix="dab_fidelity_")
        out = Path(tmp.name)
        subprocess.run([sys.executable, str(GEN), "--models", str(a.models), "--seed", str(a.seed), "--out", str(out)],
                       check=True, capture_output=True)  # fmt: skip
        dirs.append(out)
    if a.real:
        dirs.extend(real_projects())
    if not dirs:
        ap.error("give --dir, --models or --real")

    os.environ["DATABASE_URL"] = fresh_database(a.server, a.database)
    os.environ.setdefault("ENVIRONMENT", "development")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "dab_project.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    total_parsed = total_models = 0
    for directory in dirs:
        wipe()
        job, seconds = ingest(directory)
        stats = job.stats.get("column_lineage", {})
        print(f"\n{directory}: ingested in {seconds:.1f}s (column lineage {stats.get('seconds', 0):.1f}s)")
        parsed, models = statuses(a.show)
        total_parsed += parsed
        total_models += models
        origins()
        truth = load_truth(directory)
        if truth is not None:
            compare(truth, a.show)
        if a.reingest:
            job, seconds = ingest(directory)
            stats = job.stats.get("column_lineage", {})
            print(f"  unchanged re-ingest {seconds:.1f}s: column lineage re-derived {stats.get('reparsed')} models, "
                  f"edges written {stats.get('edges', {}).get('written')}")  # fmt: skip
    if len(dirs) > 1 and total_models:
        print(f"\nall projects: {total_parsed}/{total_models} models with compiled SQL parsed "
              f"({total_parsed / total_models:.1%})")  # fmt: skip
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
