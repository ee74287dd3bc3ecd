"""Time the conformance engine over generated projects and compare its findings with the generator's truth.

    python bench/conformance_engine.py                       # 1,000 and 10,000 models
    python bench/conformance_engine.py --models 10000 --repeat 7
    python bench/conformance_engine.py --dir /tmp/gen10k     # an existing gen_dbt.py output

The project comes from ../shared/bench/gen_dbt.py (cached under /tmp/dab_bench_gen_<N>). A small
self-contained builder turns manifest.json + catalog.json (+ the generator's column lineage) into a
GraphView: layer by name prefix, else by folder; sources and seeds raw; exposures consumption. Every
built-in rule then runs; the times are medians of --repeat runs (evaluate, then scoring, separately).
Times are wall clock and process CPU (the CPU time is the fairer figure on a busy machine). Capsules carry
their freshness and source block description in ``attributes`` and their raw SQL, as graph_load(sql=True)
gives them: no rule is skipped. bench/conformance.py times the whole evaluation on PostgreSQL instead
(graph_load, evaluation, scoring and storing violations).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from conformance.engine import evaluate, load_rules, score_evaluation  # noqa: E402
from lineage.graph import CapsuleNode, ColumnNode, GraphView, TestInfo  # noqa: E402

GENERATOR = REPO / ".." / "shared" / "bench" / "gen_dbt.py"
PREFIX_LAYERS = (
    ("stg_", "staging"),
    ("base_", "staging"),
    ("int_", "intermediate"),
    ("fct_", "marts"),
    ("dim_", "marts"),
    ("mart_", "marts"),
)
FOLDER_LAYERS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}
PII_NAMES = {
    "email": "email",
    "first_name": "name",
    "last_name": "name",
    "full_name": "name",
    "phone": "phone",
    "phone_number": "phone",
    "street_address": "address",
    "postal_code": "address",
    "date_of_birth": "date_of_birth",
    "ip_address": "ip_address",
    "card_number": "credit_card",
    "iban": "bank_account",
    "ssn": "ssn",
}


def layer_of(name: str, path: str | None) -> str | None:
    for prefix, layer in PREFIX_LAYERS:
        if name.startswith(prefix):
            return layer
    for folder in reversed((path or "").split("/")[:-1]):
        if folder in FOLDER_LAYERS:
            return FOLDER_LAYERS[folder]
    return None


def build_graph(folder: Path) -> GraphView:
    """A GraphView from gen_dbt.py's artifacts; O(nodes + columns + edges)."""
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    catalog_path = folder / "catalog.json"
    catalog = orjson.loads(catalog_path.read_bytes()) if catalog_path.exists() else {"nodes": {}, "sources": {}}
    graph = GraphView()
    nodes = {**manifest["nodes"], **manifest["sources"], **manifest.get("exposures", {}), **manifest.get("metrics", {})}
    tests: dict[str, list[TestInfo]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("attached_node"):
            continue
        meta = node.get("test_metadata") or {}
        kind = meta.get("name") or node["name"]
        if meta.get("namespace"):
            kind = f"{meta['namespace']}.{kind}"
        column = node.get("column_name")
        tests.setdefault(node["attached_node"], []).append(
            TestInfo(name=node["name"], test_type=kind, column=column.lower() if column else None)
        )
    for uid, node in nodes.items():
        kind = node["resource_type"]
        if kind == "test":
            continue
        config = node.get("config") or {}
        path = node.get("original_file_path")
        if kind in ("source", "seed"):
            layer = "raw"
        elif kind in ("exposure", "metric"):
            layer = "consumption"
        elif kind == "model":
            layer = layer_of(node["name"], path)
        else:
            layer = None
        meta = node.get("meta") or {}
        owner = (node.get("owner") or {}).get("name") if kind == "exposure" else meta.get("owner")
        capsule = graph.add_capsule(
            CapsuleNode(
                index=0,
                urn=uid,
                name=node["name"],
                capsule_type=kind,
                layer=layer,
                materialization=config.get("materialized"),
                description=node.get("description") or "",
                domain=meta.get("domain"),
                owner=owner,
                tags=tuple(node.get("tags") or ()),
                meta=meta,
                path=path,
                package=node.get("package_name"),
                database=node.get("database"),
                schema=node.get("schema"),
                relation_name=node.get("relation_name"),
                source_name=node.get("source_name"),
                access=node.get("access"),
                group=node.get("group"),
                contract_enforced=bool((node.get("contract") or {}).get("enforced")),
                tests=tuple(tests.get(uid, ())),
                attributes={
                    key: value
                    for key, value in (
                        ("freshness", node.get("freshness")),
                        ("source_description", node.get("source_description")),
                    )
                    if value
                },
                raw_sql=node.get("raw_code"),
            )
        )
        declared = node.get("columns") or {}
        listed = (catalog["sources"] if kind == "source" else catalog["nodes"]).get(uid, {}).get("columns", {})
        column_tests: dict[str, list[str]] = {}
        for test in capsule.tests:
            if test.column:
                column_tests.setdefault(test.column, []).append(test.test_type)
        for name in dict.fromkeys([*(c.lower() for c in listed), *(c.lower() for c in declared)]):
            doc = declared.get(name) or {}
            col_meta = doc.get("meta") or {}
            pii_type = col_meta.get("pii_type") or (PII_NAMES.get(name) if col_meta.get("pii") is not False else None)
            graph.add_column(
                ColumnNode(
                    index=0,
                    urn=f"{uid}.{name}",
                    name=name,
                    capsule=capsule.index,
                    data_type=(listed.get(name) or listed.get(name.upper()) or {}).get("type"),
                    description=doc.get("description") or "",
                    tags=tuple(doc.get("tags") or ()),
                    meta=col_meta,
                    tests=tuple(column_tests.get(name, ())),
                    pii_type=pii_type,
                    pii_masked=bool(col_meta.get("masking")),
                )
            )
    for uid, node in nodes.items():
        child = graph.by_urn.get(uid)
        if child is None:
            continue
        for parent_uid in (node.get("depends_on") or {}).get("nodes", ()):
            parent = graph.by_urn.get(parent_uid)
            if parent is not None:
                graph.add_edge(parent, child)
    lineage = folder / "truth_column_lineage.tsv.gz"
    if lineage.exists():
        with gzip.open(lineage, "rt") as handle:
            next(handle)
            for line in handle:
                child_uid, child_col, parent_uid, parent_col, kind = line.rstrip("\n").split("\t")
                child = graph.column_by_urn.get(f"{child_uid}.{child_col.lower()}")
                parent = graph.column_by_urn.get(f"{parent_uid}.{parent_col.lower()}")
                if child is not None and parent is not None:
                    graph.add_column_edge(parent, child, kind)
    return graph


def generate(models: int) -> Path:
    folder = Path(f"/tmp/dab_bench_gen_{models}")
    if not (folder / "truth.json").exists():
        if not GENERATOR.exists():
            sys.exit(f"generator not found: {GENERATOR}")
        subprocess.run([sys.executable, str(GENERATOR), "--models", str(models), "--out", str(folder)], check=True)
    return folder


def compare(evaluation: Any, truth: dict) -> dict[str, Any]:
    """How the findings of the rules the generator plants defects for compare with truth.json."""

    def capsules_of(rule_id: str) -> set[str]:
        return {f.capsule_urn for f in evaluation.result(rule_id).active_findings}

    def pairs_of(rule_id: str) -> set[tuple[str, str]]:
        return {(f.capsule_urn, f.details.get("upstream")) for f in evaluation.result(rule_id).active_findings}

    def score(found: set, expected: set) -> dict[str, Any]:
        hits = len(found & expected)
        return {
            "expected": len(expected),
            "found": len(found),
            "true_positives": hits,
            "missed": sorted(expected - found)[:5],
            "extra": sorted(found - expected)[:5],
        }

    naming = set(truth["naming_violations"])
    skips = {tuple(pair) for pair in truth["layer_skips"]}
    counts = truth["counts"]
    naming_med = capsules_of("MED-010") | capsules_of("MED-011") | capsules_of("MED-012") | capsules_of("MED-015")
    return {
        "naming DBT-S01 (layer prefixes)": score(capsules_of("DBT-S01"), naming),
        "naming MED-010..012 + MED-015": score(naming_med, naming),
        "layer skips DBT-M02 (int/marts read a source)": score(pairs_of("DBT-M02"), skips),
        "layer skips MED-001 (layer order)": score(pairs_of("MED-001"), skips),
        "layer skips, models flagged by DBT-M01 (direct join to source)": score(
            capsules_of("DBT-M01"), {model for model, _ in skips}
        ),
        "unused sources DBT-M13": {"expected": counts["sources_unused"], "found": len(capsules_of("DBT-M13"))},
        "models without description DBT-D02": {
            "expected": counts["models_without_description"],
            "found": len(capsules_of("DBT-D02")),
        },
        "marts reached bypassing staging MED-002": {"found": len(capsules_of("MED-002"))},
    }


def bench(folder: Path, *, repeat: int) -> None:
    rules = load_rules([REPO / "config" / "rules"])
    rules = [rule for rule in rules]
    started = time.perf_counter()
    graph = build_graph(folder)
    built = time.perf_counter() - started
    eval_times, score_times, eval_cpu, score_cpu = [], [], [], []
    evaluation = report = None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        evaluation = evaluate(graph, rules)
        eval_times.append(time.perf_counter() - started)
        eval_cpu.append(time.process_time() - cpu)
        started, cpu = time.perf_counter(), time.process_time()
        report = score_evaluation(evaluation)
        score_times.append(time.perf_counter() - started)
        score_cpu.append(time.process_time() - cpu)
    assert evaluation is not None and report is not None
    types = Counter(node.capsule_type for node in graph.capsules)
    edges = sum(len(children) for children in graph.downstream)
    column_edges = sum(len(children) for children in graph.column_downstream)
    print(
        f"\n== {folder}: {types['model']} models, {len(graph.capsules)} capsules ({dict(types)}), "
        f"{len(graph.columns)} columns, {edges} edges, {column_edges} column edges; graph built in {built:.2f}s"
    )
    evaluated = [r for r in evaluation.results if r.status == "evaluated"]
    print(
        f"rules: {len(rules)} loaded, {len(evaluated)} evaluated, "
        f"{[(r.rule.id, r.status, r.reason) for r in evaluation.results if r.status != 'evaluated']}"
    )
    for label, times, cpu in (("evaluate", eval_times, eval_cpu), ("score", score_times, score_cpu)):
        print(
            f"{label}: median {statistics.median(times):.3f}s wall, {statistics.median(cpu):.3f}s CPU  "
            f"(wall runs: {', '.join(f'{t:.3f}' for t in times)})"
        )
    slowest = sorted(evaluation.results, key=lambda r: -r.seconds)[:6]
    print("slowest rules: " + ", ".join(f"{r.rule.id} {r.seconds:.3f}s" for r in slowest))
    findings = Counter(f.rule_id for f in evaluation.active_findings)
    print(f"findings: {sum(findings.values())} active; per rule: {dict(sorted(findings.items()))}")
    overall = report.overall
    print(
        f"score: {overall.score} (weighted {overall.weighted_score}) over {overall.objects} objects, "
        f"{overall.checks} checks, {overall.failing_objects} failing objects"
    )
    truth_path = folder / "truth.json"
    if truth_path.exists():
        truth = json.loads(truth_path.read_text())
        for label, result in compare(evaluation, truth).items():
            print(f"truth: {label}: {result}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--dir", type=Path, help="an existing gen_dbt.py output folder instead of generating")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folders = [args.dir] if args.dir else [generate(models) for models in args.models]
    for folder in folders:
        bench(folder, repeat=args.repeat)


if __name__ == "__main__":
    main()
