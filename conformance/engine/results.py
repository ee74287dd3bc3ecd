"""What an evaluation returns: findings per rule, with the objects each rule applied to."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from conformance.engine.spec import RuleSpec, Waiver

if TYPE_CHECKING:
    from lineage.graph import CapsuleNode, GraphView

FINGERPRINT_VERSION = "v1"


def capsule_label(node: CapsuleNode) -> str:
    """How people name a capsule: ``source.table`` for sources, ``model.v2`` for versions, else its name."""
    if node.capsule_type == "source" and node.source_name:
        return f"{node.source_name}.{node.name}"
    if node.version:
        return f"{node.name}.v{node.version}"
    return node.name


class CheckNotEvaluable(Exception):
    """Raised by a check when the graph view lacks the facts it needs; the rule is reported as skipped."""


@dataclass(frozen=True, slots=True)
class Hit:
    """What a check reports: one problem on one object, before the engine names and fingerprints it.

    ``capsule``/``column`` are positions in the GraphView (both None for a project-level problem).
    ``key`` tells apart several problems of one rule on the same object (e.g. the offending parent's URN);
    it must not hold counts or wording that drift between runs.
    """

    capsule: int | None
    message: str
    column: int | None = None
    key: str = ""
    details: dict[str, Any] | None = None
    related: tuple[tuple[str, str], ...] = ()  # (role, label) of the neighbours the problem is about


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by one rule on one object; ``waiver`` is set when an active waiver accepts it."""

    rule_id: str
    capsule_urn: str | None
    column_urn: str | None
    message: str
    details: dict[str, Any]
    fingerprint: str
    severity: str
    waiver: Waiver | None = None
    # positions in the evaluated GraphView; handy for scoring and output, not part of identity
    capsule: int | None = field(default=None, compare=False)
    column: int | None = field(default=None, compare=False)
    related: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    # a finding kept from the previous evaluation on a column the view did not load (``column`` None): the column's
    # database key (``key_text``), which tells it apart from the capsule's other columns in the scores
    column_key: str | None = field(default=None, compare=False)
    column_name: str | None = field(default=None, compare=False)  # and its name, for the output's labels

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "capsule_urn": self.capsule_urn,
            "column_urn": self.column_urn,
            "message": self.message,
            "details": self.details,
            "fingerprint": self.fingerprint,
            "waived": self.waived,
        }
        if self.waiver is not None:
            out["waiver"] = self.waiver.to_dict()
        return out


def fingerprint(*, rule_id: str, capsule_urn: str | None, column_urn: str | None, key: str = "") -> str:
    """Stable identity of "this problem on this object": rule id + object URNs + the check's detail key.

    Messages and counts are deliberately left out so the identity survives wording changes and drifting
    numbers; 40 hex characters of SHA-256.
    """
    text = "\x1f".join((FINGERPRINT_VERSION, rule_id, capsule_urn or "", column_urn or "", key))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's outcome: the objects it applied to and what it found.

    ``subject`` says what an applicable object is: ``capsule`` (``capsules`` lists them), ``column``
    (``columns`` lists them; ``capsules`` are the capsules in the filter) or ``project`` (one object, the
    whole project; ``capsules`` is the population the rule measured). ``status`` is ``evaluated``,
    ``skipped`` (the graph lacks what the check needs; ``reason`` says what), ``error`` (the check raised;
    ``reason`` holds the exception) or ``disabled``.
    """

    rule: RuleSpec
    status: str
    subject: str
    capsules: tuple[int, ...] = ()
    columns: tuple[int, ...] = ()
    findings: tuple[Finding, ...] = ()
    reason: str | None = None
    seconds: float = 0.0
    # A view holding some capsules' columns only: a column rule's applicable columns on the other capsules of its
    # filter (capsule index -> count), as the previous evaluation counted them (``columns`` lists the loaded ones)
    kept_columns: Mapping[int, int] = field(default_factory=dict)
    # What a ``counts`` check (see the registry's COLUMN_READS) counted per capsule whose columns it read: capsule
    # index -> (applicable, counted), kept for the next evaluation after a change
    counts: Mapping[int, tuple[int, int]] | None = None

    @property
    def applicable(self) -> int:
        if self.status != "evaluated":
            return 0
        if self.subject == "project":
            return 1
        if self.subject == "column":
            return len(self.columns) + sum(self.kept_columns.values())
        return len(self.capsules)

    @property
    def active_findings(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.waiver is None)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """All rule results of one evaluation of one graph."""

    graph: GraphView
    results: tuple[RuleResult, ...]
    evaluated_at: datetime
    seconds: float = 0.0

    @property
    def findings(self) -> list[Finding]:
        return [finding for result in self.results for finding in result.findings]

    @property
    def active_findings(self) -> list[Finding]:
        return [finding for result in self.results for finding in result.findings if finding.waiver is None]

    def result(self, rule_id: str) -> RuleResult:
        for result in self.results:
            if result.rule.id == rule_id:
                return result
        raise KeyError(rule_id)

    def object_label(self, finding: Finding) -> str:
        """``capsule``, ``capsule.column`` or ``project``: how people name the object of a finding."""
        if finding.capsule is None:
            return "project"
        name = capsule_label(self.graph.capsules[finding.capsule])
        if finding.column is None:
            return name if finding.column_name is None else f"{name}.{finding.column_name}"
        return f"{name}.{self.graph.columns[finding.column].name}"
