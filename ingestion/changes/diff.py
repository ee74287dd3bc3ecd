"""What changed between two states of a dbt project. Pure: no Django.

``diff_states(base, head)`` returns a flat list of ``Change`` records, one per fact:

* capsules added, removed, renamed (an added and a removed capsule of the same type with the same file
  checksum or the same compiled SQL are one capsule under another name) and changed: SQL, config,
  materialization, contract, access, version, deprecation date, owner, domain;
* columns added, removed, renamed and type changed. In one capsule, a removed and an added column are a
  rename when the head's column lineage shows the new one is the old one (``old as new``), or when both
  are fed by the same upstream columns and have a compatible type;
* tests added and removed (a test's identity ignores the capsule's name, so renaming a model does not
  re-add its tests).

Columns are compared where both sides know them: without a catalog on one side, only the columns the
YAML declares count (a column the warehouse has but the YAML omits did not vanish).
"""

from __future__ import annotations

import operator
from dataclasses import asdict, dataclass, field
from typing import Any

from .lineage import StateLineage
from .state import CapsuleState, ColumnState, ProjectState
from .types import type_change_kind

__all__ = ["CAPSULE_ASPECTS", "Change", "Diff", "diff_states"]

# aspect -> CapsuleState attribute, in report order
CAPSULE_ASPECTS = {
    "sql": "sql_digest", "config": "config_digest", "materialization": "materialization",
    "contract": "contract_enforced", "access": "access", "version": "version",
    "deprecation_date": "deprecation_date", "owner": "owner", "domain": "domain",
}  # fmt: skip
# Aspects whose values are digests: the report says "changed" without showing them.
_DIGESTS = {"sql", "config"}


@dataclass(frozen=True, slots=True)
class Change:
    """One fact that differs between two states.

    ``kind``: capsule_added | capsule_removed | capsule_renamed | capsule_changed | column_added |
    column_removed | column_renamed | column_type_changed | test_added | test_removed.
    ``urn``/``name``/``path`` name the capsule in the head (in the base for what was removed).
    """

    kind: str
    urn: str
    name: str
    capsule_type: str
    path: str | None = None
    aspect: str | None = None  # capsule_changed: which aspect; column_type_changed: same|widened|narrowed|changed
    column: str | None = None  # the column (new name for a rename; the tested column for tests)
    before: Any = None
    after: Any = None
    evidence: str | None = None  # why a rename is a rename
    base_urn: str | None = None  # capsule_renamed: the URN in the base

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Diff:
    base: ProjectState
    head: ProjectState
    changes: list[Change] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # base URN -> head URN
    base_lineage: StateLineage | None = None
    head_lineage: StateLineage | None = None

    def of_kind(self, *kinds: str) -> list[Change]:
        return [c for c in self.changes if c.kind in kinds]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
        return counts

    @property
    def changed_urns(self) -> set[str]:
        """Head URNs of capsules added, renamed or changed (what the change can affect, with what reads them)."""
        return {c.urn for c in self.changes if c.kind != "capsule_removed"}


def _ref(capsule: CapsuleState, kind: str, **extra: Any) -> Change:
    return Change(kind=kind, urn=capsule.urn, name=capsule.label, capsule_type=capsule.capsule_type,
                  path=capsule.path, **extra)  # fmt: skip


def _renames(
    base: ProjectState, head: ProjectState, removed: list[str], added: list[str]
) -> dict[str, tuple[str, str]]:
    """base URN -> (head URN, evidence) for removed/added pairs that are one capsule under another name."""
    by_checksum: dict[tuple[str, str], list[str]] = {}
    by_sql: dict[tuple[str, str], list[str]] = {}
    for urn in added:
        capsule = head.capsules[urn]
        if capsule.checksum:
            by_checksum.setdefault((capsule.capsule_type, capsule.checksum), []).append(urn)
        if capsule.sql_digest:
            by_sql.setdefault((capsule.capsule_type, capsule.sql_digest), []).append(urn)
    taken: set[str] = set()
    found: dict[str, tuple[str, str]] = {}
    for urn in removed:
        capsule = base.capsules[urn]
        for index, key, evidence in (
            (by_checksum, capsule.checksum, "same file checksum"),
            (by_sql, capsule.sql_digest, "same compiled SQL"),
        ):
            candidates = [u for u in index.get((capsule.capsule_type, key or ""), ()) if u not in taken]
            if key and len(candidates) == 1:  # an ambiguous match is no evidence
                found[urn] = (candidates[0], evidence)
                taken.add(candidates[0])
                break
    return found


def _aspect_value(capsule: CapsuleState, attribute: str) -> Any:
    return getattr(capsule, attribute)


# every aspect of a capsule at once, as one tuple: comparing two tuples in C spares a Python loop over the aspects
# of each of the thousands of capsules that did not change
_ASPECTS = operator.attrgetter(*CAPSULE_ASPECTS.values())


def _capsule_changes(before: CapsuleState, after: CapsuleState, *, stewarded: bool) -> list[Change]:
    if _ASPECTS(before) == _ASPECTS(after):
        return []
    out = []
    for aspect, attribute in CAPSULE_ASPECTS.items():
        old, new = _aspect_value(before, attribute), _aspect_value(after, attribute)
        if old == new:
            continue
        if aspect in ("owner", "domain") and new is None and not stewarded:
            continue  # artifacts naming none: DAB keeps the stored one (a steward's), so nothing changed
        if aspect in _DIGESTS:
            if old is None or new is None:
                # No SQL on one side (e.g. a `dbt parse` manifest): nothing to compare.
                continue
            out.append(_ref(after, "capsule_changed", aspect=aspect))
        else:
            out.append(_ref(after, "capsule_changed", aspect=aspect, before=old, after=new))
    return out


def _counts(column: ColumnState, other_has_catalog: bool) -> bool:
    return column.in_manifest or (column.in_catalog and other_has_catalog)


def _types_comparable(before: ColumnState, after: ColumnState, both_catalogs: bool) -> bool:
    if not before.data_type or not after.data_type:
        return False
    return both_catalogs or (not before.in_catalog and not after.in_catalog)


def _column_renames(diff: Diff, before: CapsuleState, after: CapsuleState, removed: list[str], added: list[str]):
    """(old, new, evidence) pairs among one capsule's removed and added columns, one to one."""
    assert diff.base_lineage is not None and diff.head_lineage is not None
    pairs = []
    used: set[str] = set()
    adapter = diff.head.adapter
    for old in removed:
        old_col = before.columns[old]
        old_sources = diff.base_lineage.sources_of(before.urn, old)
        for new in added:
            if new in used:
                continue
            new_col = after.columns[new]
            kind = type_change_kind(old_col.data_type, new_col.data_type, adapter=adapter)
            if kind in ("changed", "narrowed"):
                continue
            new_sources = diff.head_lineage.sources_of(after.urn, new) or frozenset()
            evidence = None
            # `old as new`: the new column reads an upstream column named like the old one, which fed the old one
            as_old = [(u, c) for u, c in new_sources if c == old and (not old_sources or (u, c) in old_sources)]
            if as_old:
                evidence = f"lineage: {old_col.name} as {new_col.name}"
            elif new_sources and old_sources is not None and new_sources == old_sources:
                shown = ", ".join(sorted(f"{u.rsplit('.', 1)[-1]}.{c}" for u, c in new_sources))
                evidence = f"same upstream columns ({shown}) and type"
            if evidence:
                pairs.append((old, new, evidence))
                used.add(new)
                break
    return pairs


def _column_changes(diff: Diff, before: CapsuleState, after: CapsuleState) -> list[Change]:
    base_cat, head_cat = diff.base.has_catalog, diff.head.has_catalog
    removed = sorted(n for n, c in before.columns.items() if n not in after.columns and _counts(c, head_cat))
    added = sorted(n for n, c in after.columns.items() if n not in before.columns and _counts(c, base_cat))
    out: list[Change] = []
    renames = _column_renames(diff, before, after, removed, added) if removed and added else []
    for old, new, evidence in renames:
        out.append(_ref(after, "column_renamed", column=after.columns[new].name,
                        before=before.columns[old].name, evidence=evidence))  # fmt: skip
    renamed_old = {old for old, _, _ in renames}
    renamed_new = {new for _, new, _ in renames}
    out.extend(_ref(after, "column_removed", column=before.columns[n].name, before=before.columns[n].data_type)
               for n in removed if n not in renamed_old)  # fmt: skip
    out.extend(_ref(after, "column_added", column=after.columns[n].name, after=after.columns[n].data_type)
               for n in added if n not in renamed_new)  # fmt: skip
    pairs = [(n, n) for n in sorted(before.columns) if n in after.columns] + [(o, n) for o, n, _ in renames]
    for old, new in pairs:
        b, a = before.columns[old], after.columns[new]
        if b.data_type == a.data_type or not _types_comparable(b, a, base_cat and head_cat):
            continue
        kind = type_change_kind(b.data_type, a.data_type, adapter=diff.head.adapter or diff.base.adapter)
        if kind != "same":
            out.append(_ref(after, "column_type_changed", column=a.name, aspect=kind,
                            before=b.data_type, after=a.data_type))  # fmt: skip
    return out


def _test_changes(before: CapsuleState, after: CapsuleState) -> list[Change]:
    out = [_ref(after, "test_removed", before=name, column=key[1] or None if key[0] != "singular" else None)
           for key, name in sorted(before.tests.items(), key=lambda kv: kv[1]) if key not in after.tests]  # fmt: skip
    out += [_ref(after, "test_added", after=name, column=key[1] or None if key[0] != "singular" else None)
            for key, name in sorted(after.tests.items(), key=lambda kv: kv[1]) if key not in before.tests]  # fmt: skip
    return out


def diff_states(base: ProjectState, head: ProjectState) -> Diff:
    """Every change from ``base`` to ``head``; see the module docstring. Extracts column lineage only for
    capsules with both removed and added columns (rename detection)."""
    diff = Diff(base=base, head=head, base_lineage=StateLineage(base), head_lineage=StateLineage(head))
    removed = sorted(u for u in base.capsules if u not in head.capsules)
    added = sorted(u for u in head.capsules if u not in base.capsules)
    renames = _renames(base, head, removed, added)
    diff.renamed = {old: new for old, (new, _) in renames.items()}
    for urn in added:
        if urn not in diff.renamed.values():
            diff.changes.append(_ref(head.capsules[urn], "capsule_added"))
    for urn in removed:
        if urn not in renames:
            diff.changes.append(_ref(base.capsules[urn], "capsule_removed"))
    pairs = [(urn, urn) for urn in sorted(base.capsules) if urn in head.capsules]
    for old, (new, evidence) in sorted(renames.items()):
        before = base.capsules[old]
        diff.changes.append(_ref(head.capsules[new], "capsule_renamed", before=before.label, evidence=evidence,
                                 base_urn=old))  # fmt: skip
        pairs.append((old, new))
    for old, new in pairs:
        before, after = base.capsules[old], head.capsules[new]
        diff.changes.extend(_capsule_changes(before, after, stewarded=head.stewarded))
        if before.columns is not after.columns and before.columns != after.columns:  # shared when unchanged
            diff.changes.extend(_column_changes(diff, before, after))
        if before.tests != after.tests:
            diff.changes.extend(_test_changes(before, after))
    return diff
