"""The change report's affected subgraph, in the shape the lineage graph widget draws. Pure: no Django.

Nodes are the capsules the change touched (added, removed, renamed, changed) and what its breaking changes
reach (affected models and exposures), each marked with ``change``; edges are the head's lineage among them,
plus the base's for what was removed. Past ``max_nodes`` the affected ones farthest down the list are left out
and the answer says how many.
"""

from __future__ import annotations

from typing import Any

from .report import DiffReport

__all__ = ["report_subgraph"]

LAYER_ORDER = {"raw": 0, "staging": 1, "intermediate": 2, "marts": 3, "consumption": 4}
_MARK_ORDER = {"removed": 0, "added": 1, "renamed": 2, "changed": 3, "affected": 4}


def report_subgraph(report: DiffReport, *, max_nodes: int = 80) -> dict[str, Any]:
    diff = report.diff
    marks: dict[str, str] = {}
    for change in diff.changes:
        mark = {"capsule_added": "added", "capsule_removed": "removed", "capsule_renamed": "renamed"}.get(
            change.kind, "changed"
        )
        if _MARK_ORDER[mark] < _MARK_ORDER.get(marks.get(change.urn, "affected"), 9):
            marks[change.urn] = mark
    to_head = dict(diff.renamed)
    for item in report.breaking:
        for affected in [*item.affected_capsules, *item.exposures]:
            marks.setdefault(to_head.get(affected["urn"], affected["urn"]), "affected")
    ordered = sorted(marks, key=lambda u: (_MARK_ORDER[marks[u]], u))
    kept = ordered[:max_nodes]
    keep = set(kept)
    nodes = []
    for urn in kept:
        state = diff.head if urn in diff.head.capsules else diff.base
        capsule = state.capsules.get(urn)
        if capsule is None:
            continue
        nodes.append({
            "id": urn, "urn": urn, "kind": "capsule", "name": capsule.name, "label": capsule.label,
            "type": capsule.capsule_type, "layer": capsule.layer, "rank": 0,
            "layer_rank": LAYER_ORDER.get(capsule.layer or "", 5), "change": marks[urn],
            "in_head": urn in diff.head.capsules, "depth": 0, "direction": "self",
            "has_pii": any(c.pii_type for c in state.columns_of(urn).values()),
        })  # fmt: skip
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for state, rename in ((diff.head, {}), (diff.base, to_head)):
        for source, targets in state.downstream.items():
            a = rename.get(source, source)
            for target in targets:
                b = rename.get(target, target)
                if a in keep and b in keep and a != b:
                    edges.setdefault((a, b), {"source": a, "target": b, "count": 1})
    return {
        "root": kept[0] if kept else None,
        "level": "capsule",
        "nodes": nodes,
        "edges": sorted(edges.values(), key=lambda e: (e["source"], e["target"])),
        "total_nodes": len(ordered),
        "hidden_nodes": len(ordered) - len(kept),
        "note": f"{len(ordered) - len(kept)} more affected capsules are not drawn"
        if len(ordered) > len(kept)
        else None,
    }
