"""Loading and validating rule files (YAML) and stored rule definitions.

A rule file::

    rule_set: medallion
    rules:
      - id: MED-002
        name: No path from raw into marts that bypasses staging
        severity: critical
        category: lineage
        scope: graph                      # optional: the check type's default scope
        description: ...
        rationale: ...
        remediation: ...
        filter: {resource_types: [model, exposure], exclude: {paths: ["models/legacy/*"]}}
        check: {type: layer_bypass, from_layers: [raw], to_layers: [marts, consumption], via_layers: [staging]}
        waivers:
          - {object: fct_legacy_*, reason: "rebuilt in Q3", expires: 2026-09-30, by: jane@acme.com}
    waivers:                              # file-level waivers name their rule (a glob such as MED-*)
      - {rule: MED-002, object: "exposure.*", reason: "...", expires: 2026-12-31}

Every problem raises RuleFileError naming the file, the rule id and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

import conformance.engine.checks  # noqa: F401 - registers the built-in check types
from conformance.engine.params import compiled, normalise
from conformance.engine.registry import CheckType, check_type, check_types
from conformance.engine.spec import (
    ACCESS_LEVELS,
    LAYERS,
    RESOURCE_TYPES,
    SEVERITIES,
    CheckSpec,
    RuleFileError,
    RuleFilter,
    RuleSpec,
    Waiver,
)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,49}$")
WORD = re.compile(r"^[a-z][a-z0-9_\-]{0,49}$")
FILE_KEYS = {"rule_set", "description", "rules", "waivers"}
RULE_KEYS = {
    "id",
    "name",
    "description",
    "rationale",
    "remediation",
    "severity",
    "category",
    "scope",
    "rule_set",
    "enabled",
    "filter",
    "check",
    "waivers",
    "url",
    "meta",
}
WAIVER_KEYS = {"rule", "object", "fingerprint", "reason", "expires", "by", "related"}
_FILTER_LISTS = {
    "resource_types": RESOURCE_TYPES,
    "layers": LAYERS,
    "model_types": (),
    "domains": (),
    "owners": (),
    "tags": (),
    "packages": (),
    "paths": (),
    "materializations": (),
    "access": ACCESS_LEVELS,
    "feeds": RESOURCE_TYPES,
    "column_tags": (),
}
_FILTER_REGEXES = ("name", "column_name")


def load_rules(paths: Sequence[Path]) -> list[RuleSpec]:
    """Every rule in the given files (a directory means all its *.yaml, sorted), in file order.

    Rule ids must be unique across all files; file-level waivers may name rules of any of them.
    """
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            files.append(path)
    rules: list[RuleSpec] = []
    waivers: list[tuple[str, int, Waiver]] = []
    seen: dict[str, str] = {}
    for file in files:
        file_rules, file_waivers = _read_file(file)
        for rule in file_rules:
            if rule.id in seen:
                raise RuleFileError(
                    f"duplicate rule id, also defined in {seen[rule.id]}", file=str(file), rule_id=rule.id, field="id"
                )
            seen[rule.id] = str(file)
        rules.extend(file_rules)
        waivers.extend((str(file), position, waiver) for position, waiver in enumerate(file_waivers))
    return _attach(rules, waivers)


def load_rule_file(path: Path) -> list[RuleSpec]:
    """The rules of one file, with the file's own waivers attached."""
    rules, waivers = _read_file(Path(path))
    return _attach(rules, [(str(path), position, waiver) for position, waiver in enumerate(waivers)])


def parse_rules(text: str, *, source: str = "<string>") -> list[RuleSpec]:
    """The rules of a rule file given as text (e.g. uploaded through the API)."""
    rules, waivers = _parse_document(_yaml(text, source), source)
    return _attach(rules, [(source, position, waiver) for position, waiver in enumerate(waivers)])


def rule_from_dict(data: Mapping[str, Any], *, rule_set: str | None = None, source: str | None = None) -> RuleSpec:
    """One rule from its plain-data form (a rule file's entry, or ``RuleSpec.to_dict()`` stored in the DB)."""
    return _parse_rule(data, file=source or "<rule>", rule_set=rule_set)


def _read_file(path: Path) -> tuple[list[RuleSpec], list[Waiver]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    return _parse_document(_yaml(text, str(path)), str(path))


def _yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # a safe loader (C-accelerated when available)
    except yaml.YAMLError as exc:
        raise RuleFileError(f"not valid YAML: {exc}", file=source) from None


def _parse_document(document: Any, file: str) -> tuple[list[RuleSpec], list[Waiver]]:
    if document is None:
        return [], []
    if not isinstance(document, Mapping):
        raise RuleFileError("a rule file is a mapping with rule_set, rules and optional waivers", file=file)
    unknown = sorted(set(document) - FILE_KEYS)
    if unknown:
        raise RuleFileError(
            f"unknown key(s) {', '.join(map(str, unknown))} (known: {', '.join(sorted(FILE_KEYS))})",
            file=file,
            field=str(unknown[0]),
        )
    rule_set = document.get("rule_set")
    if rule_set is not None and (not isinstance(rule_set, str) or not WORD.match(rule_set)):
        raise RuleFileError("expected a lower-case name of at most 50 characters", file=file, field="rule_set")
    entries = document.get("rules") or []
    if not isinstance(entries, list):
        raise RuleFileError("expected a list of rules", file=file, field="rules")
    rules = []
    ids: set[str] = set()
    for position, entry in enumerate(entries):
        rule = _parse_rule(entry, file=file, rule_set=rule_set, position=position)
        if rule.id in ids:
            raise RuleFileError("duplicate rule id in this file", file=file, rule_id=rule.id, field="id")
        ids.add(rule.id)
        rules.append(rule)
    waivers = document.get("waivers") or []
    if not isinstance(waivers, list):
        raise RuleFileError("expected a list of waivers", file=file, field="waivers")
    parsed = [_parse_waiver(entry, file=file, rule_id=None, field=f"waivers[{i}]") for i, entry in enumerate(waivers)]
    return rules, parsed


def _parse_rule(entry: Any, *, file: str, rule_set: str | None, position: int = 0) -> RuleSpec:
    if not isinstance(entry, Mapping):
        raise RuleFileError("each rule is a mapping", file=file, field=f"rules[{position}]")
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        raise RuleFileError(
            "missing or bad id: a letter then letters, digits, '_', '-' or '.', at most 50 characters",
            file=file,
            rule_id=str(rule_id) if rule_id is not None else f"#{position + 1}",
            field="id",
        )

    def fail(field: str, reason: str) -> RuleFileError:
        return RuleFileError(reason, file=file, rule_id=rule_id, field=field)

    unknown = sorted(set(entry) - RULE_KEYS)
    if unknown:
        raise fail(str(unknown[0]), f"unknown key (known: {', '.join(sorted(RULE_KEYS))})")
    for field in ("name", "severity", "category", "check"):
        if entry.get(field) in (None, ""):
            raise fail(field, "missing")
    texts = {}
    for field in ("name", "description", "rationale", "remediation", "url"):
        value = entry.get(field)
        if value is not None and not isinstance(value, str):
            raise fail(field, f"expected text, got {type(value).__name__}")
        texts[field] = (value or "").strip()
    if len(texts["name"]) > 255:
        raise fail("name", "at most 255 characters")
    severity = entry["severity"]
    if severity not in SEVERITIES:
        raise fail("severity", f"unknown severity {severity!r} (known: {', '.join(SEVERITIES)})")
    category = entry["category"]
    if not isinstance(category, str) or not WORD.match(category):
        raise fail("category", f"expected a lower-case word such as naming or lineage, got {category!r}")
    own_set = entry.get("rule_set", rule_set)
    if not isinstance(own_set, str) or not WORD.match(own_set):
        raise fail("rule_set", "missing: name the rule set in the rule or at the top of the file")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", f"expected true or false, got {enabled!r}")
    meta = entry.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise fail("meta", "expected a mapping")

    kind, params, scope = _parse_check(entry["check"], entry.get("scope"), fail)
    subject = kind.scopes[scope]
    flt = _parse_filter(entry.get("filter"), fail, subject=subject)
    waivers = entry.get("waivers") or []
    if not isinstance(waivers, list):
        raise fail("waivers", "expected a list")
    parsed_waivers = tuple(
        _parse_waiver(item, file=file, rule_id=rule_id, field=f"waivers[{i}]") for i, item in enumerate(waivers)
    )
    return RuleSpec(
        id=rule_id,
        name=texts["name"],
        severity=severity,
        category=category,
        scope=scope,
        rule_set=own_set,
        check=CheckSpec(type=kind.name, params=MappingProxyType(params)),
        description=texts["description"],
        rationale=texts["rationale"],
        remediation=texts["remediation"],
        enabled=enabled,
        filter=flt,
        waivers=parsed_waivers,
        url=texts["url"] or None,
        meta=MappingProxyType(dict(meta)),
        source=file,
    )


def _parse_check(check: Any, scope: Any, fail: Any) -> tuple[CheckType, dict[str, Any], str]:
    if not isinstance(check, Mapping) or not check.get("type"):
        raise fail("check", "expected a mapping with a type, e.g. {type: fan_out, max: 2}")
    name = check["type"]
    kind = check_type(name) if isinstance(name, str) else None
    if kind is None:
        raise fail("check.type", f"unknown check type {name!r} (known: {', '.join(check_types())})")
    if scope is None:
        scope = kind.default_scope
    elif scope not in kind.scopes:
        raise fail("scope", f"check {name} supports scope {', '.join(kind.scopes)}, not {scope!r}")
    given = {key: value for key, value in check.items() if key != "type"}
    if kind.params is None:
        return kind, {key: _frozen(value) for key, value in given.items()}, scope
    unknown = sorted(set(given) - set(kind.params))
    if unknown:
        known = ", ".join(sorted(kind.params)) or "none"
        raise fail(f"check.{unknown[0]}", f"unknown parameter of {name} (known: {known})")
    params: dict[str, Any] = {}
    for key, spec in kind.params.items():
        if key in given and given[key] is not None:
            try:
                params[key] = normalise(spec, given[key])
            except ValueError as exc:
                raise fail(f"check.{key}", str(exc)) from None
        elif spec.required:
            raise fail(f"check.{key}", f"missing (required by {name})")
        elif spec.default is not None:
            params[key] = normalise(spec, spec.default)
        else:
            params[key] = None
    if kind.validate is not None:
        try:
            kind.validate(params, scope)
        except ValueError as exc:
            field, _, reason = str(exc).partition(": ")
            if not reason:
                field, reason = "check", str(exc)
            raise fail(field if field in ("check", "scope") else f"check.{field}", reason) from None
    return kind, params, scope


def _parse_filter(data: Any, fail: Any, *, subject: str, nested: bool = False) -> RuleFilter:
    prefix = "filter.exclude" if nested else "filter"
    if data is None:
        return RuleFilter()
    if not isinstance(data, Mapping):
        raise fail(prefix, "expected a mapping")
    known = set(RuleFilter.CAPSULE_KEYS) | set(RuleFilter.COLUMN_KEYS) | ({"exclude"} if not nested else set())
    unknown = sorted(set(data) - known)
    if unknown:
        raise fail(f"{prefix}.{unknown[0]}", f"unknown filter key (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for key, value in data.items():
        field = f"{prefix}.{key}"
        if key in RuleFilter.COLUMN_KEYS and subject != "column":
            raise fail(field, "only column-scope rules filter columns")
        if key == "exclude":
            values[key] = _parse_filter(value, fail, subject=subject, nested=True)
        elif key == "pii":
            if not isinstance(value, bool):
                raise fail(field, f"expected true or false, got {value!r}")
            values[key] = value
        elif key in _FILTER_REGEXES:
            if not isinstance(value, str) or not value:
                raise fail(field, "expected a regular expression")
            try:
                compiled(value)
            except re.error as exc:
                raise fail(field, f"bad regular expression {value!r}: {exc}") from None
            values[key] = value
        else:
            values[key] = _filter_list(key, value, field, fail)
    return RuleFilter(**values)


def _filter_list(key: str, value: Any, field: str, fail: Any) -> tuple[Any, ...]:
    items = [value] if isinstance(value, str) or (key == "layers" and value is None) else value
    if not isinstance(items, list | tuple) or not items:
        raise fail(field, "expected a string or a non-empty list")
    choices = _FILTER_LISTS[key]
    out: list[Any] = []
    for item in items:
        if key == "layers" and item in (None, "unknown"):
            out.append(None)
            continue
        if not isinstance(item, str) or not item:
            raise fail(field, f"expected strings, got {item!r}")
        if choices and item not in choices:
            raise fail(field, f"unknown value {item!r} (known: {', '.join(choices)})")
        out.append(item)
    return tuple(out)


def _parse_waiver(entry: Any, *, file: str, rule_id: str | None, field: str) -> Waiver:
    def fail(sub: str, reason: str) -> RuleFileError:
        return RuleFileError(reason, file=file, rule_id=rule_id, field=f"{field}.{sub}" if sub else field)

    if not isinstance(entry, Mapping):
        raise fail("", "each waiver is a mapping")
    unknown = sorted(set(entry) - WAIVER_KEYS)
    if unknown:
        raise fail(str(unknown[0]), f"unknown key (known: {', '.join(sorted(WAIVER_KEYS))})")
    rule = entry.get("rule")
    if rule_id is None:
        if not isinstance(rule, str) or not rule:
            raise fail("rule", "missing: a file-level waiver names its rule id (or a glob such as MED-*)")
    elif rule is not None and not Waiver(rule=str(rule), reason="").matches_rule(rule_id):
        raise fail("rule", f"a waiver inside rule {rule_id} cannot name rule {rule!r}")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise fail("reason", "missing: say why the exception is accepted")
    target, print_ = entry.get("object"), entry.get("fingerprint")
    related = entry.get("related")
    if (target is None and related is None) == (print_ is None):
        raise fail("object", "give exactly one of object (a name or URN glob, and/or related) or fingerprint")
    for key, value in (("object", target), ("fingerprint", print_), ("by", entry.get("by"))):
        if value is not None and (not isinstance(value, str) or not value):
            raise fail(key, "expected text")
    if related is not None and (
        not isinstance(related, Mapping)
        or not related
        or not all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in related.items())
    ):
        raise fail("related", "expected a mapping of roles to name globs, e.g. {parent: stg_orders}")
    return Waiver(
        rule=rule_id or rule,
        reason=reason.strip(),
        object=target,
        fingerprint=print_,
        expires=_date(entry.get("expires"), fail),
        by=entry.get("by"),
        related=tuple(sorted(related.items())) if related else (),
    )


def _date(value: Any, fail: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise fail("expires", f"expected a date like 2026-12-31, got {value!r}")


def _attach(rules: list[RuleSpec], waivers: list[tuple[str, int, Waiver]]) -> list[RuleSpec]:
    if not waivers:
        return rules
    extra: dict[str, list[Waiver]] = {}
    for file, position, waiver in waivers:
        matched = [rule.id for rule in rules if waiver.matches_rule(rule.id)]
        if not matched:
            raise RuleFileError(
                f"waiver names rule {waiver.rule!r}, which matches no loaded rule",
                file=file,
                field=f"waivers[{position}].rule",
            )
        for rule_id in matched:
            extra.setdefault(rule_id, []).append(waiver)
    return [replace(rule, waivers=rule.waivers + tuple(extra[rule.id])) if rule.id in extra else rule for rule in rules]


def _frozen(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, Mapping):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    return value
