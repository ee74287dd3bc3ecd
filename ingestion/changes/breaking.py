"""Which changes break something, how badly and why. Pure: no Django.

``breaking_changes(diff)`` judges the changes of a ``Diff``:

* a column removed or renamed that a downstream model still reads: column level where the column lineage of
  the readers is known (a reader the same change adapted, e.g. to the new name, is not broken), model level
  otherwise; exposures (dashboards, apps) reading the capsule are judged at model level, as DAB cannot know
  which columns they use;
* a model removed or renamed while something that read it in the base does not read it (under its new name)
  in the head;
* a type narrowing (values of the old type may not fit the new one) of a column read downstream is an
  error, elsewhere a warning; a change between unrelated types read downstream is a warning;
* a contracted model whose contract the change breaks (a column removed, renamed or retyped, or the
  contract no longer enforced);
* a public model removed without a deprecation date.

Each carries the downstream capsules and columns affected, the exposures reached and the owners to tell,
from the base's lineage (what read the thing before the change).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .diff import Change, Diff
from .lineage import FILTER_READER
from .state import CapsuleState

__all__ = ["Breaking", "breaking_changes"]

ERROR, WARNING = "error", "warning"
MAX_AFFECTED_COLUMNS = 500  # per breaking change; a wider blast radius is reported as truncated
READING_TYPES = ("model", "snapshot")


@dataclass
class Breaking:
    kind: str  # column_removed | column_renamed | type_narrowed | type_changed | model_removed | model_renamed
    # | contract_broken | public_model_removed
    severity: str  # error | warning
    reason: str
    urn: str
    name: str
    path: str | None
    column: str | None = None
    level: str = "column"  # column | model: how precisely the readers are known
    affected_capsules: list[dict[str, Any]] = field(default_factory=list)  # {urn, name, type, columns}
    exposures: list[dict[str, Any]] = field(default_factory=list)  # {urn, name, owner}
    owners: list[str] = field(default_factory=list)
    truncated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False)}


class _Judge:
    def __init__(self, diff: Diff) -> None:
        self.diff = diff
        self.base, self.head = diff.base, diff.head
        self.to_base = {new: old for old, new in diff.renamed.items()}

    # -- graph helpers ----------------------------------------------------------------------------
    def head_urn(self, base_urn: str) -> str | None:
        urn = self.diff.renamed.get(base_urn, base_urn)
        return urn if urn in self.head.capsules else None

    def capsule(self, base_urn: str) -> CapsuleState:
        head = self.head_urn(base_urn)
        return self.head.capsules[head] if head else self.base.capsules[base_urn]

    def downstream(self, base_urns: set[str]) -> list[str]:
        seen, queue = set(base_urns), deque(base_urns)
        while queue:
            for nxt in self.base.downstream.get(queue.popleft(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return sorted(seen - base_urns)

    def column_blast(self, base_urn: str, column: str) -> tuple[dict[str, set[str]], bool, bool]:
        """Downstream columns reading base_urn.column, transitively: ({capsule: columns}, known, truncated)."""
        lineage = self.diff.base_lineage
        assert lineage is not None
        found: dict[str, set[str]] = {}
        known, count = True, 0
        queue = deque([(base_urn, column.lower())])
        seen = set(queue)
        while queue:
            urn, col = queue.popleft()
            readers = lineage.readers(urn, col)
            if readers is None:
                known = False
                continue
            for down, down_col in readers:
                found.setdefault(down, set()).add(down_col)
                count += 1
                if count >= MAX_AFFECTED_COLUMNS:
                    return found, known, True
                if down_col != FILTER_READER and (down, down_col) not in seen:
                    seen.add((down, down_col))
                    queue.append((down, down_col))
        return found, known, False

    def finish(self, item: Breaking, capsule_urns: list[str], columns: dict[str, set[str]]) -> Breaking:
        """Fill in affected capsules, exposures reached and owners, from base URNs."""
        exposures = {
            u for u in capsule_urns if self.base.capsules.get(u) and self.base.capsules[u].capsule_type == "exposure"
        }
        reached = set(capsule_urns) | set(self.downstream(set(capsule_urns)))
        exposures |= {u for u in reached if self.base.capsules[u].capsule_type == "exposure"}
        owners: set[str] = set()
        for urn in sorted(set(capsule_urns)):
            if urn in exposures:
                continue
            capsule = self.capsule(urn)
            item.affected_capsules.append({"urn": capsule.urn, "name": capsule.label, "type": capsule.capsule_type,
                                           "columns": sorted(columns.get(urn, ()))})  # fmt: skip
            if capsule.owner:
                owners.add(capsule.owner)
        for urn in sorted(exposures):
            capsule = self.capsule(urn)
            item.exposures.append({"urn": capsule.urn, "name": capsule.label, "owner": capsule.owner})
            if capsule.owner:
                owners.add(capsule.owner)
        item.owners = sorted(owners)
        return item

    def base_urn(self, change: Change) -> str:
        return change.base_urn or self.to_base.get(change.urn, change.urn)

    # -- judgements -------------------------------------------------------------------------------
    def column_gone(self, change: Change) -> Breaking | None:
        """A removed or renamed column: who still reads it under its old name."""
        base_urn = self.base_urn(change)
        old = (change.before if change.kind == "column_renamed" else change.column) or ""
        new = change.column if change.kind == "column_renamed" else None
        head_lineage = self.diff.head_lineage
        assert head_lineage is not None
        readers = self.diff.base_lineage.readers(base_urn, old) if self.diff.base_lineage else None
        direct = [d for d in self.base.downstream.get(base_urn, ()) if self.head_urn(d)]
        broken: dict[str, set[str]] = {}
        level = "column"
        if readers is None:  # some reader's lineage is unknown: every model reading the capsule may break
            level = "model"
            for down in direct:
                if self.base.capsules[down].capsule_type in READING_TYPES:
                    broken.setdefault(down, set())
        else:
            for down, col in readers:
                head = self.head_urn(down)
                if head is None:
                    continue  # the reader is gone too
                if head_lineage.still_reads(head, change.urn, old) is not False:  # True, or unknown
                    broken.setdefault(down, set()).add(col)
        exposures = [d for d in direct if self.base.capsules[d].capsule_type == "exposure"]
        if not broken and not exposures:
            return None
        what = f"renamed to {new}" if new else "removed"
        if broken:
            names = ", ".join(sorted(self.capsule(d).label for d in broken))
            if level == "column":
                reason = f"{change.name}.{old} was {what} but {names} still read it"
            else:
                reason = (f"{change.name}.{old} was {what}; {names} read {change.name} and their column lineage "
                          "is unknown, so they may read it")  # fmt: skip
            severity = ERROR if level == "column" else WARNING
        else:
            names = ", ".join(sorted(self.capsule(d).label for d in exposures))
            reason = f"{change.name}.{old} was {what}; {names} read {change.name} (which columns, DAB cannot tell)"
            severity, level = WARNING, "model"
        item = Breaking(kind=change.kind, severity=severity, reason=reason, urn=change.urn, name=change.name,
                        path=change.path, column=old, level=level)  # fmt: skip
        columns, _, truncated = ({}, True, False)
        for down, cols in broken.items():
            for col in cols:
                more, _, cut = self.column_blast(down, col) if col != FILTER_READER else ({}, True, False)
                truncated |= cut
                for urn, names_ in more.items():
                    columns.setdefault(urn, set()).update(names_)
            columns.setdefault(down, set()).update(cols)
        item.truncated = truncated
        return self.finish(item, sorted(set(columns) | set(broken) | set(exposures)), columns)

    def type_changed(self, change: Change) -> Breaking | None:
        if change.aspect not in ("narrowed", "changed"):
            return None
        base_urn = self.base_urn(change)
        columns, known, truncated = self.column_blast(base_urn, change.column or "")
        direct = [d for d in self.base.downstream.get(base_urn, ()) if self.head_urn(d)]
        read = bool(columns) or (not known and bool(direct))
        if change.aspect == "changed" and not read:
            return None
        if change.aspect == "narrowed":
            severity = ERROR if read else WARNING
            reason = (
                f"{change.name}.{change.column} narrowed from {change.before} to {change.after}: "
                "values may no longer fit"
            )
            kind = "type_narrowed"
        else:
            severity = WARNING
            reason = (
                f"{change.name}.{change.column} changed type from {change.before} to {change.after} (unrelated types)"
            )
            kind = "type_changed"
        if read:
            reason += " and downstream models read it"
        item = Breaking(kind=kind, severity=severity, reason=reason, urn=change.urn, name=change.name,
                        path=change.path, column=change.column, level="column" if known else "model",
                        truncated=truncated)  # fmt: skip
        urns = sorted(set(columns) | (set(direct) if not known else set()))
        return self.finish(item, urns, columns)

    def model_gone(self, change: Change) -> list[Breaking]:
        base_urn = change.base_urn or change.urn
        out = []
        base = self.base.capsules[base_urn]
        new_urn = change.urn if change.kind == "capsule_renamed" else None
        readers_now = self.head.downstream.get(new_urn, set()) if new_urn else set()
        broken = [
            d
            for d in self.base.downstream.get(base_urn, ())
            if self.head_urn(d) and self.head_urn(d) not in readers_now
        ]
        if broken:
            what = f"renamed to {change.name}" if new_urn else "removed"
            names = ", ".join(sorted(self.capsule(d).label for d in broken))
            item = Breaking(kind="model_renamed" if new_urn else "model_removed", severity=ERROR,
                            reason=f"{base.label} was {what} but {names} read it", urn=change.urn, name=base.label,
                            path=change.path, level="model")  # fmt: skip
            out.append(self.finish(item, sorted(set(broken)), {}))
        if change.kind == "capsule_removed" and base.access == "public" and not base.deprecation_date:
            item = Breaking(kind="public_model_removed", severity=ERROR, urn=change.urn, name=base.label,
                            reason=f"public model {base.label} was removed without a deprecation date",
                            path=change.path, level="model")  # fmt: skip
            out.append(self.finish(item, self.downstream({base_urn}), {}))
        return out

    def contracts(self) -> list[Breaking]:
        out = []
        by_capsule: dict[str, list[str]] = {}
        for change in self.diff.changes:
            base_urn = self.base_urn(change)
            before = self.base.capsules.get(base_urn)
            if before is None or not before.contract_enforced:
                continue
            if change.kind in ("column_removed", "column_renamed"):
                by_capsule.setdefault(change.urn, []).append(
                    f"column {change.before if change.kind == 'column_renamed' else change.column} "
                    + ("renamed" if change.kind == "column_renamed" else "removed")
                )
            elif change.kind == "column_type_changed" and change.aspect != "widened":
                by_capsule.setdefault(change.urn, []).append(
                    f"column {change.column} type {change.before} -> {change.after}"
                )
            elif change.kind == "capsule_changed" and change.aspect == "contract" and not change.after:
                by_capsule.setdefault(change.urn, []).append("contract no longer enforced")
        for urn, reasons in sorted(by_capsule.items()):
            capsule = self.head.capsules[urn]
            base_urn = self.to_base.get(urn, urn)
            item = Breaking(kind="contract_broken", severity=ERROR, urn=urn, name=capsule.label, path=capsule.path,
                            reason=f"the enforced contract of {capsule.label} is broken: " + "; ".join(reasons),
                            level="model")  # fmt: skip
            out.append(self.finish(item, self.downstream({base_urn}), {}))
        return out


def breaking_changes(diff: Diff) -> list[Breaking]:
    """The breaking changes of ``diff``, errors first; see the module docstring."""
    judge = _Judge(diff)
    found: list[Breaking] = []
    for change in diff.changes:
        if change.kind in ("column_removed", "column_renamed"):
            item = judge.column_gone(change)
        elif change.kind == "column_type_changed":
            item = judge.type_changed(change)
        elif change.kind in ("capsule_removed", "capsule_renamed"):
            found.extend(judge.model_gone(change))
            continue
        else:
            continue
        if item is not None:
            found.append(item)
    found.extend(judge.contracts())
    found.sort(key=lambda b: (b.severity != ERROR, b.name, b.column or "", b.kind))
    return found
