"""The change report rendered: Markdown for a pull-request comment, JSON, SARIF 2.1.0 and JUnit XML. Pure.

Every renderer reads ``DiffReport.as_dict()``, so the formats never disagree. Names and messages come from
the project's own files: Markdown escapes them (no HTML, tables intact), XML and JSON encoders quote them.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

import orjson

from .report import DiffReport

__all__ = ["FORMATS", "render"]

FORMATS = ("markdown", "json", "sarif", "junit")
ABOVE_FOLD_BREAKING = 12  # rows of the breaking table shown before the details
ABOVE_FOLD_ITEMS = 6  # PII and conformance items shown before the details
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")
CHANGE_WORDS = {
    "capsule_added": "added", "capsule_removed": "removed", "capsule_renamed": "renamed",
    "capsule_changed": "changed", "column_added": "column added", "column_removed": "column removed",
    "column_renamed": "column renamed", "column_type_changed": "column type", "test_added": "test added",
    "test_removed": "test removed",
}  # fmt: skip


def _md(text: Any) -> str:
    """User text made inert in Markdown: no HTML, no links, no table breaks."""
    return _MD_SPECIAL.sub(r"\\\1", str(text if text is not None else "")).replace("\n", " ")


def _code(text: Any) -> str:
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


def _subject(item: dict[str, Any]) -> str:
    return _code(f"{item['name']}.{item['column']}" if item.get("column") else item["name"])


def _change_line(change: dict[str, Any]) -> str:
    kind = change["kind"]
    subject = _code(f"{change['name']}.{change['column']}" if change.get("column") else change["name"])
    word = CHANGE_WORDS.get(kind, kind)
    if kind == "capsule_changed":
        detail = change["aspect"]
        if "before" in change or "after" in change:
            detail += f": {_md(change.get('before'))} → {_md(change.get('after'))}"
        return f"- {subject} changed ({detail})"
    if kind == "capsule_renamed":
        return f"- {_code(change['before'])} renamed to {subject} ({_md(change.get('evidence'))})"
    if kind == "column_renamed":
        return (
            f"- {_code(change['name'] + '.' + change['before'])} renamed to {subject} ({_md(change.get('evidence'))})"
        )
    if kind == "column_type_changed":
        return f"- {subject} {_md(change['before'])} → {_md(change['after'])} ({change['aspect']})"
    if kind.startswith("test_"):
        return f"- {_code(change['name'])} {word}: {_md(change.get('after') or change.get('before'))}"
    return f"- {subject} {word}"


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def render_markdown(report: DiffReport) -> str:
    doc = report.as_dict()
    s = doc["summary"]
    lines = [f"## DAB change report: {_md(doc['project'])}", ""]
    errors, warnings = s["breaking_errors"], s["breaking_warnings"]
    headline = (
        f"**{errors} breaking error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}**"
        if errors or warnings
        else "**No breaking changes**"
    )
    parts = [headline]
    parts.append(
        f"capsules +{s['capsules_added']} −{s['capsules_removed']} renamed {s['capsules_renamed']} "
        f"changed {s['capsules_changed']}"
    )
    parts.append(
        f"columns +{s['columns_added']} −{s['columns_removed']} renamed {s['columns_renamed']} "
        f"retyped {s['columns_retyped']}"
    )
    parts.append(f"tests +{s['tests_added']} −{s['tests_removed']}")
    lines.append(" · ".join(parts))
    if doc["pii"] is not None:
        lines.append(
            f"PII: {s['pii_new']} new column(s), {s['pii_exposed']} newly exposed unmasked, "
            f"{s['pii_unmasked']} no longer masked"
        )
    if doc["conformance"] is not None:
        c = doc["conformance"]
        lines.append(
            f"Conformance: {s['violations_introduced']} violation(s) introduced, {s['violations_resolved']} "
            f"resolved, score {_score(c['score_before'])} → {_score(c['score_after'])}"
        )
    lines.append("")
    breaking = doc["breaking"]
    if breaking:
        lines += ["### Breaking changes", "", "| | Change | Why | Reaches | Tell |", "|---|---|---|---|---|"]
        for item in breaking[:ABOVE_FOLD_BREAKING]:
            icon = "🛑 error" if item["severity"] == "error" else "⚠️ warning"
            reach = []
            if item.get("affected_capsules"):
                reach.append(f"{len(item['affected_capsules'])} model(s)")
            if item.get("exposures"):
                reach.append(", ".join(_md(e["name"]) for e in item["exposures"]))
            tell = ", ".join(_md(o) for o in item.get("owners", [])[:3])
            if len(item.get("owners", [])) > 3:
                tell += f" +{len(item['owners']) - 3}"
            lines.append(
                f"| {icon} | {_subject(item)} {item['kind'].replace('_', ' ')} | {_md(item['reason'])} "
                f"| {'; '.join(reach) or '—'} | {tell or '—'} |"
            )
        if len(breaking) > ABOVE_FOLD_BREAKING:
            lines.append(f"| | … and {len(breaking) - ABOVE_FOLD_BREAKING} more below | | | |")
        lines.append("")
    pii = doc["pii"] or {}
    pii_lines = [
        f"- 🔓 {_code(p['capsule'] + '.' + p['column'])} ({_md(p['pii_type'])}) newly reaches "
        + (f"exposure(s) {', '.join(_md(e) for e in p['exposures'])}" if p["reaches"] == "exposure" else "a mart")
        + " unmasked"
        for p in pii.get("newly_exposed", [])
    ] + [
        f"- 🔓 {_code(p['capsule'] + '.' + p['column'])} ({_md(p['pii_type'])}) is no longer masked"
        for p in pii.get("masking_removed", [])
    ]
    if pii_lines:
        lines += ["### PII", "", *pii_lines[:ABOVE_FOLD_ITEMS], ""]
    conf = doc["conformance"] or {}
    conf_lines = [
        f"- ➕ {_md(v['severity'])} {_code(v['rule_id'])} on {_code(v['capsule'] or '')}: {_md(v['message'])}"
        for v in conf.get("introduced", [])
    ] + [f"- ✅ fixed {_code(v['rule_id'])} on {_code(v['capsule'] or '')}" for v in conf.get("resolved", [])]
    if conf_lines:
        lines += ["### Conformance", "", *conf_lines[:ABOVE_FOLD_ITEMS], ""]
    # -- below the fold ----------------------------------------------------------------------------------
    details = []
    for item in breaking:
        if not (item.get("affected_capsules") or item.get("exposures")):
            continue
        details.append(f"**{_subject(item)}** ({item['kind'].replace('_', ' ')}, {item['level']} level)")
        for affected in item.get("affected_capsules", []):
            cols = ", ".join(_md(c) for c in affected["columns"])
            details.append(f"- {_code(affected['name'])}" + (f": {cols}" if cols else ""))
        for exposure in item.get("exposures", []):
            owner = f" (owner {_md(exposure['owner'])})" if exposure.get("owner") else ""
            details.append(f"- exposure {_code(exposure['name'])}{owner}")
        if item.get("truncated"):
            details.append("- … more downstream (truncated)")
        details.append("")
    if details:
        lines += [f"<details><summary>What each breaking change reaches ({len(breaking)})</summary>", "", *details,
                  "</details>", ""]  # fmt: skip
    rest = pii_lines[ABOVE_FOLD_ITEMS:] + conf_lines[ABOVE_FOLD_ITEMS:]
    new_pii = [f"- {_code(p['capsule'] + '.' + p['column'])} ({_md(p['pii_type'])})" for p in pii.get("new_pii", [])]
    if rest or new_pii:
        lines += ["<details><summary>More PII and conformance</summary>", "", *rest]
        if new_pii:
            lines += ["", "New PII columns:", *new_pii]
        lines += ["", "</details>", ""]
    changes = doc["changes"]
    lines += [f"<details><summary>All changes ({len(changes)})</summary>", ""]
    lines += [_change_line(c) for c in changes] or ["(none)"]
    lines += ["", "</details>"]
    if doc["notes"]:
        lines += ["", *(f"> {_md(note)}" for note in doc["notes"])]
    lines += ["", f"<sub>{_md(doc['base'])} → {_md(doc['head'])} · Data Architecture Brain</sub>"]
    return "\n".join(lines) + "\n"


def render_json(report: DiffReport) -> str:
    return orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2, default=str).decode() + "\n"


_SARIF_LEVEL = {"error": "error", "critical": "error", "warning": "warning", "info": "note"}


def render_sarif(report: DiffReport) -> str:
    """SARIF 2.1.0: one result per breaking change, PII exposure and introduced violation, annotated on the
    changed file's path (relative to the dbt project)."""
    doc = report.as_dict()
    rules: dict[str, dict[str, Any]] = {}
    results = []

    def add(rule_id: str, description: str, level: str, message: str, path: str | None, props: dict[str, Any]):
        rules.setdefault(rule_id, {"id": rule_id, "shortDescription": {"text": description}})
        result: dict[str, Any] = {"ruleId": rule_id, "level": level, "message": {"text": message}, "properties": props}
        if path:
            result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": path}}}]
        results.append(result)

    for item in doc["breaking"]:
        add(f"breaking/{item['kind']}", item["kind"].replace("_", " "), _SARIF_LEVEL[item["severity"]],
            item["reason"], item.get("path"),
            {"exposures": [e["name"] for e in item.get("exposures", [])],
             "owners": item.get("owners", [])})  # fmt: skip
    for p in (doc["pii"] or {}).get("newly_exposed", []):
        where = ", ".join(p.get("exposures", [])) if p["reaches"] == "exposure" else "a mart"
        add("pii/newly_exposed", "PII newly exposed unmasked", "error",
            f"{p['capsule']}.{p['column']} ({p['pii_type']}) newly reaches {where} unmasked",
            p.get("path"), {})  # fmt: skip
    for p in (doc["pii"] or {}).get("masking_removed", []):
        add("pii/masking_removed", "PII masking removed", "error",
            f"{p['capsule']}.{p['column']} ({p['pii_type']}) is no longer masked", p.get("path"), {})  # fmt: skip
    for v in (doc["conformance"] or {}).get("introduced", []):
        add(f"conformance/{v['rule_id']}", v["rule"] or v["rule_id"], _SARIF_LEVEL.get(v["severity"], "warning"),
            v["message"], v.get("path"), {"capsule": v["capsule"], "column": v["column"]})  # fmt: skip
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "DAB change report", "rules": list(rules.values())}},
            "results": results,
            "properties": {"project": doc["project"], "summary": doc["summary"]},
        }],
    }  # fmt: skip
    return orjson.dumps(sarif, option=orjson.OPT_INDENT_2).decode() + "\n"


def render_junit(report: DiffReport) -> str:
    """JUnit XML: a suite each for breaking changes, PII and conformance; a failing case per problem, a passing
    case per fixed violation (and one per empty suite, so CI shows it ran)."""
    doc = report.as_dict()
    root = ET.Element("testsuites", name=f"DAB change report: {doc['project']}")

    def suite(name: str, cases: list[tuple[str, str | None, str]]) -> None:
        failures = sum(1 for _, failure, _ in cases if failure)
        element = ET.SubElement(root, "testsuite", name=name, tests=str(max(1, len(cases))), failures=str(failures))
        if not cases:
            ET.SubElement(element, "testcase", classname=name, name="nothing found")
        for case_name, failure, text in cases:
            case = ET.SubElement(element, "testcase", classname=name, name=case_name)
            if failure:
                ET.SubElement(case, "failure", type=failure, message=text).text = text

    suite("breaking changes", [
        (f"{b['name']}{'.' + b['column'] if b.get('column') else ''} {b['kind']}", b["severity"], b["reason"])
        for b in doc["breaking"]
    ])  # fmt: skip
    pii = doc["pii"] or {}
    suite("pii", [
        (f"{p['capsule']}.{p['column']} newly exposed", "error", f"{p['pii_type']} reaches {p['reaches']} unmasked")
        for p in pii.get("newly_exposed", [])
    ] + [
        (f"{p['capsule']}.{p['column']} masking removed", "error", f"{p['pii_type']} is no longer masked")
        for p in pii.get("masking_removed", [])
    ])  # fmt: skip
    conf = doc["conformance"] or {}
    suite("conformance", [
        (f"{v['rule_id']} {v['capsule'] or ''}{'.' + v['column'] if v['column'] else ''}", v["severity"], v["message"])
        for v in conf.get("introduced", [])
    ] + [(f"{v['rule_id']} {v['capsule'] or ''} fixed", None, "") for v in conf.get("resolved", [])])  # fmt: skip
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(report: DiffReport, *, fmt: str) -> str:
    renderers = {"markdown": render_markdown, "json": render_json, "sarif": render_sarif, "junit": render_junit}
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")
    return renderers[fmt](report)
