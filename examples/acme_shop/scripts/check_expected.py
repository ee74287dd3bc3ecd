"""Check examples/acme_shop/expected.yml against the committed artifacts; exit 1 listing every mismatch.

Run after scripts/build_sample.sh: ``.venv/bin/python examples/acme_shop/scripts/check_expected.py``.
It checks structure (counts, owners, groups, tests, dependencies, columns that exist, run statuses), not the
meaning of a PII label: a column whose name looks personal but is in no list is reported for a human to judge.
"""

from __future__ import annotations

import collections
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
PII_LOOKING = re.compile(r"name|mail|phone|birth|dob|addr|zip|postal|ssn|card|ip_|device|note", re.IGNORECASE)


@dataclass(frozen=True)
class Artifacts:
    """The three committed artifacts, parsed."""

    manifest: dict
    catalog: dict
    run_results: dict


def artifacts_load(*, target: Path) -> Artifacts:
    """Read manifest.json, catalog.json and run_results.json from ``target``."""
    return Artifacts(*(json.loads((target / f"{name}.json").read_text()) for name in
                       ("manifest", "catalog", "run_results")))


def _columns_of(*, art: Artifacts, node: str) -> set[str]:
    """Column names of a node: from the catalog, or from the manifest for an ephemeral model."""
    entry = art.catalog["nodes"].get(node) or art.catalog["sources"].get(node)
    if entry:
        return set(entry["columns"])
    manifest_node = art.manifest["nodes"].get(node) or art.manifest["sources"].get(node) or {}
    return set(manifest_node.get("columns", {}))


def _split_column(ref: str) -> tuple[str, str]:
    node, _, column = ref.rpartition(".")
    return node, column


def counts_check(*, art: Artifacts, expected: dict) -> list[str]:
    """Resource counts, test kinds and run statuses."""
    problems = []
    nodes = art.manifest["nodes"].values()
    by_type = collections.Counter(node["resource_type"] for node in nodes)
    tests = [node for node in nodes if node["resource_type"] == "test"]
    want = expected["counts"]["manifest"]
    got = {
        "models": by_type["model"],
        "model_names": len({node["name"] for node in nodes if node["resource_type"] == "model"}),
        "sources": len(art.manifest["sources"]),
        "source_names": len({source["source_name"] for source in art.manifest["sources"].values()}),
        "seeds": by_type["seed"],
        "snapshots": by_type["snapshot"],
        "exposures": len(art.manifest["exposures"]),
        "data_tests": len(tests),
        "data_tests_by_kind": dict(collections.Counter((t.get("test_metadata") or {}).get("name", "singular")
                                                       for t in tests)),
        "data_tests_on_sources": sum(1 for t in tests if any(d.startswith("source.")
                                                             for d in t["depends_on"]["nodes"])),
        "data_tests_with_attached_node": sum(1 for t in tests if t.get("attached_node")),
        "data_tests_severity_warn": sum(1 for t in tests if t["config"]["severity"].lower() == "warn"),
        "unit_tests": len(art.manifest["unit_tests"]),
        "metrics": len(art.manifest["metrics"]),
        "semantic_models": len(art.manifest["semantic_models"]),
        "saved_queries": len(art.manifest["saved_queries"]),
        "groups": len(art.manifest["groups"]),
        "project_docs_blocks": sum(1 for key in art.manifest["docs"] if key.startswith("doc.acme_shop.")),
        "project_macros": sum(1 for key in art.manifest["macros"] if key.startswith("macro.acme_shop.")),
        "disabled": len(art.manifest["disabled"]),
    }
    problems += [f"count {key}: expected {want[key]!r}, artifacts say {got[key]!r}"
                 for key in want if want[key] != got[key]]
    models = [node for node in nodes if node["resource_type"] == "model"]
    layers = collections.Counter(node["fqn"][1] for node in models)
    if dict(layers) != expected["counts"]["models_by_layer"]:
        problems.append(f"models_by_layer: {dict(layers)}")
    materialized = collections.Counter(node["config"]["materialized"] for node in models)
    if dict(materialized) != expected["counts"]["models_by_materialization"]:
        problems.append(f"models_by_materialization: {dict(materialized)}")
    domains = collections.Counter(node["meta"]["domain"] for node in models if "domain" in node["meta"])
    if dict(domains) != expected["counts"]["models_by_domain"]:
        problems.append(f"models_by_domain: {dict(domains)}")
    catalog = {
        "nodes": len(art.catalog["nodes"]),
        "sources": len(art.catalog["sources"]),
        "node_columns": sum(len(entry["columns"]) for entry in art.catalog["nodes"].values()),
        "source_columns": sum(len(entry["columns"]) for entry in art.catalog["sources"].values()),
    }
    if catalog != expected["counts"]["catalog"]:
        problems.append(f"catalog counts: {catalog}")
    runs = expected["counts"]["run_results"]
    results = art.run_results["results"]
    statuses = dict(collections.Counter(result["status"] for result in results))
    if art.run_results["args"]["which"] != runs["command"] or len(results) != runs["results"]:
        problems.append(f"run_results: command {art.run_results['args']['which']}, {len(results)} results")
    if statuses != runs["by_status"]:
        problems.append(f"run_results statuses: {statuses}")
    warned = {result["unique_id"]: result["failures"] for result in results if result["status"] == "warn"}
    if warned != {item["unique_id"]: item["failures"] for item in runs["warned_tests"]}:
        problems.append(f"warned tests: {warned}")
    return problems


def models_check(*, art: Artifacts, expected: dict) -> list[str]:
    """Per-model layer, materialization, owner, group, access, versions and attached test counts."""
    problems = []
    attached = collections.Counter(node.get("attached_node") for node in art.manifest["nodes"].values()
                                   if node["resource_type"] == "test")
    listed = {item["node"] for item in expected["models"]}
    actual = {key for key, node in art.manifest["nodes"].items() if node["resource_type"] == "model"}
    if listed != actual:
        problems.append(f"models: unlisted {sorted(actual - listed)}, not in manifest {sorted(listed - actual)}")
    for item in expected["models"]:
        node = art.manifest["nodes"].get(item["node"])
        if node is None:
            continue
        checks = {
            "layer": (item["layer"], node["fqn"][1]),
            "domain": (item.get("domain"), node["meta"].get("domain")),
            "materialized": (item["materialized"], node["config"]["materialized"]),
            "meta_owner": (item.get("meta_owner"), node["meta"].get("owner")),
            "group": (item.get("group"), node["group"]),
            "access": (item.get("access", "protected"), node["access"]),
            "tests": (item["tests"], attached[item["node"]]),
            "description": (item.get("description", True), bool(node["description"].strip())),
            "contract_enforced": (item.get("contract_enforced", False), node["config"]["contract"]["enforced"]),
            "version": (item.get("version"), node.get("version")),
            "time_spine": (item.get("time_spine", False), node.get("time_spine") is not None),
        }
        problems += [f"{item['node']} {field}: expected {want!r}, got {got!r}"
                     for field, (want, got) in checks.items() if want != got]
    return problems


def exposures_check(*, art: Artifacts, expected: dict) -> list[str]:
    """Exposure type, maturity, owner and direct parents."""
    problems = []
    for item in expected["exposures"]:
        exposure = art.manifest["exposures"].get(item["node"])
        if exposure is None:
            problems.append(f"missing exposure {item['node']}")
            continue
        got = (exposure["type"], exposure["maturity"], exposure["owner"]["name"], exposure["owner"]["email"],
               sorted(exposure["depends_on"]["nodes"]))
        want = (item["type"], item["maturity"], item["owner_name"], item["owner_email"], sorted(item["depends_on"]))
        if got != want:
            problems.append(f"{item['node']}: expected {want}, got {got}")
    return problems


def columns_check(*, art: Artifacts, expected: dict) -> list[str]:
    """Every named PII, lookalike and lineage column exists, and every `from` parent is a direct dependency."""
    problems = []
    parents_of = {key: set(node.get("depends_on", {}).get("nodes", []))
                  for key, node in art.manifest["nodes"].items()}
    for item in expected["pii_columns"]:
        if item["column"] not in _columns_of(art=art, node=item["node"]):
            problems.append(f"pii column {item['node']}.{item['column']} not in the artifacts")
        sources = item.get("from", [])
        for ref in [sources] if isinstance(sources, str) else sources:
            parent, column = _split_column(ref)
            if parent not in parents_of.get(item["node"], set()):
                problems.append(f"pii {item['node']}.{item['column']}: {parent} is not a direct parent")
            if column not in _columns_of(art=art, node=parent):
                problems.append(f"pii {item['node']}.{item['column']}: no column {ref}")
    for item in expected["non_pii_lookalikes"]:
        problems += [f"lookalike {node}.{item['column']} not in the artifacts" for node in item["nodes"]
                     if item["column"] not in _columns_of(art=art, node=node)]
    for edge in expected["column_lineage"]:
        child, child_column = _split_column(edge["child"])
        parent, parent_column = _split_column(edge["parent"])
        if child_column not in _columns_of(art=art, node=child):
            problems.append(f"lineage child {edge['child']} not in the artifacts")
        if parent_column not in _columns_of(art=art, node=parent):
            problems.append(f"lineage parent {edge['parent']} not in the artifacts")
        if parent not in parents_of.get(child, set()):
            problems.append(f"lineage {edge['child']}: {parent} is not a direct parent")
    return problems


def _slip_holds(*, art: Artifacts, slip: dict, used_sources: set[str], attached: collections.Counter) -> bool:
    """Whether the manifest shows the slip in the form its rule kind describes."""
    nodes, key, rule = art.manifest["nodes"], slip["node"], slip["rule"]
    node = nodes.get(key) or art.manifest["sources"].get(key) or art.manifest["exposures"].get(key)
    if node is None:
        return False
    deps = node.get("depends_on", {}).get("nodes", [])
    if rule == "mart_reads_source":
        return node["fqn"][1] == "marts" and any(dep.startswith("source.") for dep in deps)
    if rule == "staging_depends_on_staging":
        return any(nodes[dep]["fqn"][1] == "staging" for dep in deps if dep.startswith("model."))
    if rule == "naming":
        return not node["name"].startswith(("fct_", "dim_"))
    if rule == "missing_tests":
        return attached[key] == 0
    if rule == "missing_description":
        return not node["description"].strip()
    if rule == "missing_owner":
        return not node["meta"].get("owner") and not node["group"]
    if rule == "unused_source":
        return key not in used_sources
    if rule == "unmasked_pii_in_mart":
        return set(slip["columns"]) <= _columns_of(art=art, node=key)
    if rule == "unmasked_pii_in_exposure":
        return slip["via"] in deps
    return False


def slips_check(*, art: Artifacts, expected: dict) -> list[str]:
    """Each slip is really present in the manifest."""
    nodes = art.manifest["nodes"]
    used_sources = {dep for node in nodes.values() if node["resource_type"] in {"model", "snapshot"}
                    for dep in node["depends_on"]["nodes"] if dep.startswith("source.")}
    attached = collections.Counter(node.get("attached_node") for node in nodes.values())
    return [f"slip {slip['rule']} does not hold for {slip['node']}" for slip in expected["slips"]
            if not _slip_holds(art=art, slip=slip, used_sources=used_sources, attached=attached)]


def unlisted_report(*, art: Artifacts, expected: dict) -> list[str]:
    """Columns whose name looks personal but that no list mentions, for a human to judge."""
    mentioned = {(item["node"], item["column"]) for item in expected["pii_columns"]}
    mentioned |= {(node, item["column"]) for item in expected["non_pii_lookalikes"] for node in item["nodes"]}
    everywhere = {item["column"] for item in expected["ambiguous"] if "nodes" not in item}
    mentioned |= {(node, item["column"]) for item in expected["ambiguous"] for node in item.get("nodes", [])}
    found = []
    for group in ("nodes", "sources"):
        for key, entry in art.catalog[group].items():
            found += [f"{key}.{column}" for column in entry["columns"]
                      if PII_LOOKING.search(column) and (key, column) not in mentioned and column not in everywhere]
    return found


def main() -> int:
    expected = yaml.safe_load((PROJECT / "expected.yml").read_text())
    art = artifacts_load(target=PROJECT / "target")
    problems = (counts_check(art=art, expected=expected) + models_check(art=art, expected=expected)
                + exposures_check(art=art, expected=expected) + columns_check(art=art, expected=expected)
                + slips_check(art=art, expected=expected))
    for problem in problems:
        sys.stderr.write(f"MISMATCH {problem}\n")
    for column in unlisted_report(art=art, expected=expected):
        sys.stdout.write(f"review (PII-looking name, in no list): {column}\n")
    sys.stdout.write(f"{len(problems)} mismatches\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
