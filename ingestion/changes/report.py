"""The change report: the diff, its breaking changes, and the PII and conformance deltas. Pure: no Django.

``report_build`` assembles it; ``DiffReport.as_dict()`` is the JSON document every format renders from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .breaking import Breaking, breaking_changes
from .diff import Diff

__all__ = ["MART_LAYERS", "DiffReport", "conformance_delta", "pii_delta", "report_build"]

MART_LAYERS = ("marts", "consumption")  # where PII unmasked counts as exposed (with exposures themselves)


@dataclass
class DiffReport:
    project: str
    base_label: str
    head_label: str
    diff: Diff
    breaking: list[Breaking]
    pii: dict[str, list[dict[str, Any]]] | None = None  # None: not evaluated
    conformance: dict[str, Any] | None = None  # None: not evaluated
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        counts = self.diff.counts()
        return {
            "capsules_added": counts.get("capsule_added", 0),
            "capsules_removed": counts.get("capsule_removed", 0),
            "capsules_renamed": counts.get("capsule_renamed", 0),
            "capsules_changed": len({c.urn for c in self.diff.of_kind("capsule_changed")}),
            "columns_added": counts.get("column_added", 0),
            "columns_removed": counts.get("column_removed", 0),
            "columns_renamed": counts.get("column_renamed", 0),
            "columns_retyped": counts.get("column_type_changed", 0),
            "tests_added": counts.get("test_added", 0),
            "tests_removed": counts.get("test_removed", 0),
            "breaking_errors": sum(b.severity == "error" for b in self.breaking),
            "breaking_warnings": sum(b.severity == "warning" for b in self.breaking),
            "pii_new": len((self.pii or {}).get("new_pii", ())),
            "pii_exposed": len((self.pii or {}).get("newly_exposed", ())),
            "pii_unmasked": len((self.pii or {}).get("masking_removed", ())),
            "violations_introduced": len((self.conformance or {}).get("introduced", ())),
            "violations_resolved": len((self.conformance or {}).get("resolved", ())),
        }

    def fails(self, gate: str) -> bool:
        """Whether ``--fail-on <gate>`` fails: breaking (any breaking error), pii (any PII newly exposed or
        unmasked, or new PII in a mart), error (a violation of severity error or critical introduced, or a
        breaking error)."""
        summary = self.summary()
        if gate == "breaking":
            return summary["breaking_errors"] > 0
        if gate == "pii":
            return bool(summary["pii_exposed"] or summary["pii_unmasked"])
        if gate == "error":
            introduced = (self.conformance or {}).get("introduced", ())
            return summary["breaking_errors"] > 0 or any(v["severity"] in ("error", "critical") for v in introduced)
        raise ValueError(f"unknown gate {gate!r}: use breaking, pii or error")

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "base": self.base_label,
            "head": self.head_label,
            "summary": self.summary(),
            "breaking": [b.as_dict() for b in self.breaking],
            "changes": [c.as_dict() for c in self.diff.changes],
            "pii": self.pii,
            "conformance": self.conformance,
            "notes": self.notes,
        }


def pii_delta(diff: Diff) -> dict[str, list[dict[str, Any]]]:
    """New PII columns, PII newly reaching a mart or an exposure unmasked, masking removed (states with PII facts).

    A capsule under the same URN with the same columns (PII facts included) in the same layer, which no exposure
    newly reads, can add nothing to any of the three: it is skipped without looking at its columns (most of a
    project, whose columns the stored head shares with the base)."""
    base, head = diff.base, diff.head
    to_base = {new: old for old, new in diff.renamed.items()}
    renamed_columns = {
        (c.urn, (c.column or "").lower()): (c.before or "").lower() for c in diff.of_kind("column_renamed")
    }
    new_pii, exposed, unmasked = [], [], []
    readers: dict[str, list[str]] = {}
    for up, downs in head.downstream.items():
        for down in downs:
            if head.capsules.get(down) and head.capsules[down].capsule_type == "exposure":
                readers.setdefault(up, []).append(down)
    base_readers = {(up, down) for up, downs in base.downstream.items() for down in downs}
    newly_read = {up for up, downs in readers.items()
                  if any((to_base.get(up, up), to_base.get(e, e)) not in base_readers for e in downs)}  # fmt: skip
    for urn, capsule in sorted(head.capsules.items()):
        base_urn = to_base.get(urn, urn)
        earlier = base.capsules.get(base_urn)
        if (
            earlier is not None and base_urn == urn and earlier.layer == capsule.layer and urn not in newly_read
            and (earlier.columns is capsule.columns or earlier.columns == capsule.columns)
        ):  # fmt: skip
            continue
        base_columns = earlier.columns if earlier is not None else {}
        for name, column in capsule.columns.items():
            if not column.pii_type:
                continue
            before = base_columns.get(renamed_columns.get((urn, name), name))
            entry = {"urn": urn, "capsule": capsule.label, "path": capsule.path, "column": column.name,
                     "pii_type": column.pii_type, "layer": capsule.layer, "masked": column.pii_masked}  # fmt: skip
            if before is None or not before.pii_type:
                new_pii.append(entry)
            if column.pii_masked:
                continue
            was_open = before is not None and before.pii_type and not before.pii_masked
            if before is not None and before.pii_type and before.pii_masked:
                unmasked.append({**entry, "pii_type_before": before.pii_type})
            if capsule.layer in MART_LAYERS and not was_open:
                exposed.append({**entry, "reaches": "mart"})
            newly = [
                e for e in readers.get(urn, ()) if not (was_open and (base_urn, to_base.get(e, e)) in base_readers)
            ]
            if newly:
                names = sorted(head.capsules[e].label for e in newly)
                exposed.append({**entry, "reaches": "exposure", "exposures": names})
    return {"new_pii": new_pii, "newly_exposed": exposed, "masking_removed": unmasked}


def conformance_delta(
    *, before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], score_before: float | None,
    score_after: float | None,
) -> dict[str, Any]:  # fmt: skip
    """Violations introduced and resolved (by fingerprint), and the score before and after."""
    order = {"critical": 0, "error": 1, "warning": 2, "info": 3}

    def ranked(rows):
        return sorted(
            rows, key=lambda v: (order.get(v["severity"], 9), v["rule_id"], v["capsule"] or "", v["column"] or "")
        )

    return {
        "introduced": ranked(v for fp, v in after.items() if fp not in before),
        "resolved": ranked(v for fp, v in before.items() if fp not in after),
        "score_before": score_before,
        "score_after": score_after,
    }


def report_build(
    *, diff: Diff, project: str, base_label: str, head_label: str, pii: dict | None = None,
    conformance: dict | None = None, notes: list[str] | None = None,
) -> DiffReport:  # fmt: skip
    return DiffReport(
        project=project, base_label=base_label, head_label=head_label, diff=diff, breaking=breaking_changes(diff),
        pii=pii, conformance=conformance, notes=notes or [],
    )  # fmt: skip
