"""What a rule is: its identity, where it applies (filter), what it checks, and its declared waivers.

Rules come from YAML (``conformance.engine.loader``) or from their stored definition (``RuleSpec.to_dict``
round-trips through ``rule_from_dict``). Everything here is immutable so one loaded rule set can be shared by
every evaluation.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

LAYERS = ("raw", "staging", "intermediate", "marts", "consumption")
SEVERITIES = ("critical", "error", "warning", "info")
SCOPES = ("capsule", "column", "graph")
SUBJECTS = ("capsule", "column", "project")
RESOURCE_TYPES = (
    "model",
    "source",
    "seed",
    "snapshot",
    "exposure",
    "metric",
    "semantic_model",
    "saved_query",
    "analysis",
)
ACCESS_LEVELS = ("private", "protected", "public")

EMPTY: MappingProxyType[str, Any] = MappingProxyType({})


class RuleFileError(ValueError):
    """A rule file (or stored rule definition) that cannot be used, naming where: file, rule id and field."""

    def __init__(self, reason: str, *, file: str | None = None, rule_id: str | None = None, field: str | None = None):
        self.reason = reason
        self.file = file
        self.rule_id = rule_id
        self.field = field
        where = [part for part in (file, f"rule {rule_id}" if rule_id else None, field) if part]
        super().__init__(f"{': '.join(where)}: {reason}" if where else reason)


@dataclass(frozen=True, slots=True)
class RuleFilter:
    """Which capsules (and columns) a rule applies to.

    Every listed key must hold (AND); an empty list or None means "any". ``exclude`` holds the same keys and
    removes an object when ANY of its keys matches (OR), so ``exclude: {tags: [legacy], paths: [...]}`` drops
    both the legacy-tagged capsules and those under the paths.
    """

    resource_types: tuple[str, ...] = ()
    layers: tuple[str | None, ...] = ()  # None selects capsules whose layer is unknown
    model_types: tuple[str, ...] = ()  # dbt-project-evaluator's model types (by name prefix, then folder)
    domains: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # any of them
    packages: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # fnmatch globs over the dbt file path; `*` also crosses folders
    name: str | None = None  # regex searched in the capsule name
    materializations: tuple[str, ...] = ()
    access: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()  # capsules with a direct child of one of these resource types
    column_name: str | None = None  # regex searched in the column name (column-scope rules)
    column_tags: tuple[str, ...] = ()
    pii: bool | None = None  # True: only columns with a PII type; False: only columns without
    exclude: RuleFilter | None = None

    CAPSULE_KEYS = (
        "resource_types",
        "layers",
        "model_types",
        "domains",
        "owners",
        "tags",
        "packages",
        "paths",
        "name",
        "materializations",
        "access",
        "feeds",
    )
    COLUMN_KEYS = ("column_name", "column_tags", "pii")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in (*self.CAPSULE_KEYS, *self.COLUMN_KEYS):
            value = getattr(self, key)
            if value in ((), None):
                continue
            out[key] = list(value) if isinstance(value, tuple) else value
        if self.exclude is not None:
            out["exclude"] = self.exclude.to_dict()
        return out

    @property
    def has_column_keys(self) -> bool:
        own = self.column_name is not None or bool(self.column_tags) or self.pii is not None
        return own or (self.exclude is not None and self.exclude.has_column_keys)


@dataclass(frozen=True, slots=True)
class Waiver:
    """An accepted exception: findings of ``rule`` on objects matching ``object`` (or one exact fingerprint).

    ``rule`` and ``object`` are case-insensitive globs. ``object`` is matched against the capsule name, the
    capsule URN, ``capsule.column`` and the column URN; ``project`` names project-level findings. A waiver
    is active through the whole of its ``expires`` day.
    """

    rule: str
    reason: str
    object: str | None = None
    fingerprint: str | None = None
    expires: date | None = None
    by: str | None = None
    # (role, glob) pairs narrowing the waiver to findings about these neighbours: each role must be named by
    # the finding and every neighbour it names in that role must match (e.g. ("parent", "stg_orders"))
    related: tuple[tuple[str, str], ...] = ()

    def is_active(self, *, on: date) -> bool:
        return self.expires is None or on <= self.expires

    def matches_rule(self, rule_id: str) -> bool:
        return fnmatch.fnmatchcase(rule_id.lower(), self.rule.lower())

    def matches_object(
        self, *, names: tuple[str, ...], fingerprint: str, related: tuple[tuple[str, str], ...] = ()
    ) -> bool:
        if self.fingerprint is not None:
            return self.fingerprint == fingerprint
        pattern = (self.object or "*").lower()
        if not any(fnmatch.fnmatchcase(name.lower(), pattern) for name in names):
            return False
        for role, glob in self.related:
            named = [name for kind, name in related if kind == role]
            if not named or not all(fnmatch.fnmatchcase(name.lower(), glob.lower()) for name in named):
                return False
        return True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "reason": self.reason}
        if self.object is not None:
            out["object"] = self.object
        if self.fingerprint is not None:
            out["fingerprint"] = self.fingerprint
        if self.expires is not None:
            out["expires"] = self.expires.isoformat()
        if self.by is not None:
            out["by"] = self.by
        if self.related:
            out["related"] = {role: glob for role, glob in self.related}
        return out


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """The check type's registered name and its validated parameters (defaults filled in)."""

    type: str
    params: MappingProxyType[str, Any] = field(default_factory=lambda: EMPTY)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **{key: _plain(value) for key, value in self.params.items() if value is not None}}


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One architecture rule, as loaded and validated."""

    id: str
    name: str
    severity: str
    category: str
    scope: str
    rule_set: str
    check: CheckSpec
    description: str = ""
    rationale: str = ""
    remediation: str = ""
    enabled: bool = True
    filter: RuleFilter = field(default_factory=RuleFilter)
    waivers: tuple[Waiver, ...] = ()
    url: str | None = None
    meta: MappingProxyType[str, Any] = field(default_factory=lambda: EMPTY)
    source: str | None = None  # the file it was loaded from

    def to_dict(self) -> dict[str, Any]:
        """The rule as plain data, the shape a rule file uses; ``rule_from_dict`` reads it back."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "rationale": self.rationale,
            "remediation": self.remediation,
            "severity": self.severity,
            "category": self.category,
            "scope": self.scope,
            "rule_set": self.rule_set,
            "enabled": self.enabled,
            "check": self.check.to_dict(),
        }
        flt = self.filter.to_dict()
        if flt:
            out["filter"] = flt
        if self.waivers:
            # inside the rule a waiver needs no rule id (a file-level glob such as MED-* matched this rule)
            out["waivers"] = [{k: v for k, v in waiver.to_dict().items() if k != "rule"} for waiver in self.waivers]
        if self.url:
            out["url"] = self.url
        if self.meta:
            out["meta"] = dict(self.meta)
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, MappingProxyType | dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
