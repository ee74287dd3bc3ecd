#!/usr/bin/env python3
"""Benchmark column-lineage extraction (lineage/sql_lineage.py) for speed and accuracy.

    python bench/lineage_extract.py --models 1000              # generate with ../shared/bench/gen_dbt.py, then measure
    python bench/lineage_extract.py --dir /tmp/gen10k           # an already generated project (with truth files)
    python bench/lineage_extract.py --dir ../shared/dbt/jaffle-shop   # real artifacts: status counts and reasons

Prints the total extraction time over a process pool (extract_many), per-model median and p95 (a second,
in-process pass, skipped with --no-per-model), models by status, the reasons of failed/partial models, and,
when the directory holds gen_dbt.py's truth_column_lineage.tsv.gz, precision and recall of edges against it,
overall and per kind.
"""

from __future__ import annotations

import argparse
import collections
import gc
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lineage.sql_lineage import (  # noqa: E402
    LineageJob,
    UpstreamRelation,
    dialect_for_adapter,
    extract_column_lineage,
    extract_many,
)

GEN = ROOT / ".." / "shared" / "bench" / "gen_dbt.py"
LINEAGE_TYPES = ("model", "snapshot")
# dbt's snapshot machinery adds these; the snapshot's SQL does not produce them
SNAPSHOT_META_COLUMNS = {"dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_is_deleted"}
RELATION_TYPES = ("model", "seed", "snapshot", "source")


def _quote(part: str, q: str) -> str:
    return f"{q}{part}{q}"


def relation_names(node: dict) -> tuple[str, ...]:
    """Every spelling compiled SQL may use for a manifest node (relation_name, quoted/unquoted parts)."""
    if node.get("resource_type") == "model" and (node.get("config") or {}).get("materialized") == "ephemeral":
        return (f"__dbt__cte__{node['name']}",)
    ident = node.get("identifier") or node.get("alias") or node["name"]
    parts = [p for p in (node.get("database"), node.get("schema"), ident) if p]
    names = [node["relation_name"]] if node.get("relation_name") else []
    for q in ('"', "`", ""):
        names.append(".".join(_quote(p, q) for p in parts))
        names.append(".".join(_quote(p, q) for p in parts[-2:]))
    return tuple(dict.fromkeys(names))


def catalog_columns(catalog: dict) -> dict[str, tuple[str, ...]]:
    out = {}
    for section in ("nodes", "sources"):
        for uid, entry in (catalog.get(section) or {}).items():
            cols = sorted((entry.get("columns") or {}).values(), key=lambda c: c.get("index") or 0)
            out[uid] = tuple(c["name"] for c in cols)
    return out


def build_jobs(manifest: dict, catalog: dict | None) -> list[LineageJob]:
    """One LineageJob per model/snapshot, upstreams from depends_on with catalog (else manifest) columns."""
    dialect = dialect_for_adapter(manifest.get("metadata", {}).get("adapter_type"))
    cat_cols = catalog_columns(catalog or {})
    nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    upstream_cache: dict[str, UpstreamRelation] = {}

    def upstream(uid: str) -> UpstreamRelation | None:
        rel = upstream_cache.get(uid)
        if rel is None:
            node = nodes.get(uid)
            if node is None or node.get("resource_type") not in RELATION_TYPES:
                return None
            cols = cat_cols.get(uid)
            complete = cols is not None
            if not cols:
                cols = tuple((node.get("columns") or {}).keys())  # documented columns only: maybe not all
            rel = UpstreamRelation(urn=uid, names=relation_names(node), columns=cols, columns_complete=complete)
            upstream_cache[uid] = rel
        return rel

    jobs = []
    for uid, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") not in LINEAGE_TYPES:
            continue
        sql = node.get("compiled_code", node.get("compiled_sql"))
        parents = [u for u in (upstream(p) for p in (node.get("depends_on") or {}).get("nodes", [])) if u]
        target = cat_cols.get(uid)
        target_complete = target is not None
        if not target:
            target = tuple((node.get("columns") or {}).keys())
        if node["resource_type"] == "snapshot":
            target = tuple(c for c in target if c.lower() not in SNAPSHOT_META_COLUMNS)
        own = relation_names(node) if node.get("relation_name") else ()
        jobs.append(LineageJob(key=uid, sql=sql, dialect=dialect, upstream=tuple(parents), target_columns=target,
                               own_names=own, target_columns_complete=target_complete))  # fmt: skip
    return jobs


# gen_dbt.py kinds -> our transformation types ("function" is hashed for md5 keys, derived otherwise)
def expected_type(kind: str, child_col: str) -> str:
    if kind == "function":
        # md5 keys are named *_hash, *_sk, *_key; the filler column hash_key is only trimmed
        return "hashed" if child_col.endswith(("_hash", "_sk", "_key")) and child_col != "hash_key" else "derived"
    return {
        "passthrough": "direct",
        "rename": "renamed",
        "cast": "cast",
        "expression": "derived",
        "aggregate": "aggregated",
        "window": "derived",
        "union": "direct",
    }.get(kind, kind)


def load_truth(directory: Path) -> dict[tuple[str, str, str, str], str] | None:
    path = directory / "truth_column_lineage.tsv.gz"
    if not path.exists():
        return None
    truth = {}
    with gzip.open(path, "rt") as fh:
        next(fh)
        for line in fh:
            child, ccol, parent, pcol, kind = line.rstrip("\n").split("\t")
            truth[(child, ccol.lower(), parent, pcol.lower())] = kind
    return truth


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, help="generate a project of this many models with gen_dbt.py")
    ap.add_argument("--adapter", default="postgres", choices=["postgres", "snowflake"])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--dir", type=Path, help="a directory with manifest.json (+ catalog.json, truth files)")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--no-catalog", action="store_true", help="ignore catalog.json: columns from the manifest only")
    ap.add_argument("--no-per-model", action="store_true", help="skip the in-process pass that times each model")
    ap.add_argument("--show-errors", type=int, default=10, help="how many wrong/missed edges to print")
    a = ap.parse_args(argv)
    if not a.dir and not a.models:
        ap.error("give --models N or --dir DIR")

    tmp = None
    directory = a.dir
    if directory is None:
        tmp = tempfile.TemporaryDirectory(prefix="dab_lineage_")
        directory = Path(tmp.name)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, str(GEN), "--models", str(a.models), "--out", str(directory), "--adapter", a.adapter,
             "--seed", str(a.seed)],
            check=True, capture_output=True,
        )  # fmt: skip
        print(f"generated {a.models} models ({a.adapter}) in {time.perf_counter() - t0:.1f}s into {directory}")

    manifest = json.loads((directory / "manifest.json").read_bytes())
    catalog_path = directory / "catalog.json"
    catalog = json.loads(catalog_path.read_bytes()) if catalog_path.exists() and not a.no_catalog else None
    jobs = build_jobs(manifest, catalog)
    print(f"{len(jobs)} models/snapshots, dialect {jobs[0].dialect if jobs else None}, catalog: {catalog is not None}")
    del manifest, catalog
    gc.collect()
    gc.freeze()  # the parsed artifacts are big: keep the collector from rescanning them during the timed passes

    # CPU times as well as wall time: on a shared machine the wall time says more about the neighbours
    children0, cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
    t0 = time.perf_counter()
    results = dict(extract_many(jobs, processes=a.processes))
    total = time.perf_counter() - t0
    children1, main_cpu = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time() - cpu0
    workers_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    per = total / max(1, len(jobs)) * 1000
    print(
        f"extract_many over {a.processes} processes: {total:.2f}s wall ({per:.2f} ms/model); CPU: workers "
        f"{workers_cpu:.1f}s, this process {main_cpu:.1f}s; load average {os.getloadavg()[0]:.1f}"
    )

    if not a.no_per_model:
        times = []
        cpu0 = time.process_time()
        for job in jobs:
            t = time.perf_counter()
            extract_column_lineage(sql=job.sql, dialect=job.dialect, upstream=job.upstream,
                                   target_columns=job.target_columns, own_names=job.own_names,
                                   target_columns_complete=job.target_columns_complete)  # fmt: skip
            times.append((time.perf_counter() - t) * 1000)
        median, p95 = statistics.median(times), percentile(times, 0.95)
        worst, summed, cpu = max(times), sum(times) / 1000, time.process_time() - cpu0
        print(
            f"per model (in-process): median {median:.2f} ms, p95 {p95:.2f} ms, max {worst:.1f} ms, "
            f"sum {summed:.1f}s wall, {cpu:.1f}s CPU"
        )

    statuses = collections.Counter(r.status for r in results.values())
    print("models by status:", dict(sorted(statuses.items())))
    reasons = collections.Counter()
    for key, r in results.items():
        if r.status in ("failed", "partial"):
            reasons[(r.status, r.reason)] += 1
            if len(reasons) <= 3 and reasons[(r.status, r.reason)] == 1:
                print(f"  e.g. {key}: {r.reason}")
    for (status, reason), n in reasons.most_common(15):
        print(f"  {n:5d} {status}: {reason}")
    n_edges = sum(len(r.edges) for r in results.values())
    print(f"edges: {n_edges}, by type:", dict(collections.Counter(e.transformation_type for r in results.values()
                                                                    for e in r.edges)))  # fmt: skip

    truth = load_truth(directory)
    if truth is not None:
        evaluate(truth, results, a.show_errors)
    if tmp is not None:
        tmp.cleanup()
    return 0


def evaluate(truth: dict, results: dict, show: int) -> None:
    ours = {}
    for key, r in results.items():
        for e in r.edges:
            ours[(key, e.target_column, e.source_urn, e.source_column)] = e.transformation_type
    truth = {k: v for k, v in truth.items() if k[0] in results}
    hits = ours.keys() & truth.keys()
    precision = len(hits) / max(1, len(ours))
    recall = len(hits) / max(1, len(truth))
    typed = sum(1 for k in hits if ours[k] == expected_type(truth[k], k[1]))
    print(f"edges: ours {len(ours)}, truth {len(truth)}, correct {len(hits)}: precision {precision:.4f}, "
          f"recall {recall:.4f}, type agreement on correct edges {typed / max(1, len(hits)):.4f}")  # fmt: skip
    print("recall by truth kind (kind -> our type): found/total, types")
    by_kind = collections.defaultdict(list)
    for k, kind in truth.items():
        by_kind[kind].append(k)
    for kind, keys in sorted(by_kind.items()):
        found = [k for k in keys if k in ours]
        types = collections.Counter(ours[k] for k in found)
        print(f"  {kind:12s} {len(found):6d}/{len(keys):6d} = {len(found) / len(keys):.4f}  {dict(types)}")
    print("precision by our type: correct/ours")
    by_type = collections.defaultdict(list)
    for k, t in ours.items():
        by_type[t].append(k)
    for t, keys in sorted(by_type.items()):
        good = sum(1 for k in keys if k in truth)
        print(f"  {t:12s} {good:6d}/{len(keys):6d} = {good / len(keys):.4f}")
    wrong = [k for k in ours if k not in truth][:show]
    missed = [k for k in truth if k not in ours][:show]
    mistyped = [k for k in hits if ours[k] != expected_type(truth[k], k[1])][:show]
    for label, items in (("wrong", wrong), ("missed", missed), ("mistyped", mistyped)):
        for k in items:
            print(f"  {label}: {k} ours={ours.get(k)} truth={truth.get(k)} status={results[k[0]].status}")


if __name__ == "__main__":
    raise SystemExit(main())
