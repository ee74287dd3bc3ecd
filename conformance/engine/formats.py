"""Output formats of an evaluation: a text table, JSON, JUnit XML and SARIF 2.1.0 (pure functions)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import orjson

from conformance.engine.results import Evaluation, Finding
from conformance.engine.scoring import ScoreReport
from conformance.engine.spec import SEVERITIES, RuleSpec
from dab_project.text import plural

TOOL_NAME = "Data Architecture Brain"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {"critical": "error", "error": "error", "warning": "warning", "info": "note"}
# GitHub ranks code-scanning alerts by this 0-10 number
SECURITY_SEVERITY = {"critical": "9.0", "error": "7.0", "warning": "4.0", "info": "1.0"}


def _json(document: Any) -> str:
    """Indented JSON; orjson writes the 60,000 findings of a 10,000-model project in a fraction of a second
    (the standard library's encoder took seconds)."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str).decode() + "\n"


def _in_key_order(value: Any) -> Any:
    """``value`` with every mapping's keys sorted: a finding's details read back from the database come in
    PostgreSQL's jsonb order, not the check's, and the output must not depend on which evaluation found it."""
    if isinstance(value, dict):
        return {key: _in_key_order(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_in_key_order(item) for item in value]
    return value


def sorted_findings(
    evaluation: Evaluation, *, include_waived: bool = True, limit: int | None = None
) -> tuple[list[Finding], int]:
    """The first ``limit`` (default: all) findings by severity (critical first), rule id, object label and
    fingerprint, and how many there are in all.

    With a limit, only the findings whose severity and rule reach into the first ``limit`` are labelled and
    sorted in full: the object labels are most of the sort's cost (60,000 findings at 10,000 models).
    """
    rank = {severity: position for position, severity in enumerate(SEVERITIES)}
    findings = [f for f in evaluation.findings if include_waived or f.waiver is None]
    if limit is not None and limit < len(findings):
        coarse = lambda f: (rank[f.severity], f.rule_id)  # noqa: E731
        findings.sort(key=coarse)
        last = coarse(findings[limit - 1]) if limit > 0 else None
        reach = limit
        while last is not None and reach < len(findings) and coarse(findings[reach]) == last:
            reach += 1
        candidates = findings[:reach]
    else:
        candidates = findings
    ordered = sorted(candidates, key=lambda f: (rank[f.severity], f.rule_id, evaluation.object_label(f), f.fingerprint))
    return (ordered if limit is None else ordered[:limit]), len(findings)


def format_table(evaluation: Evaluation, *, include_waived: bool = True, limit: int | None = None) -> str:
    """A plain-text table for terminals and CI logs, followed by one summary line."""
    shown, total = sorted_findings(evaluation, include_waived=include_waived, limit=limit)
    rows = [("SEVERITY", "RULE", "OBJECT", "MESSAGE")]
    for finding in shown:
        severity = finding.severity.upper() + (" (waived)" if finding.waiver is not None else "")
        rows.append((severity, finding.rule_id, evaluation.object_label(finding), finding.message))
    widths = [min(max(len(row[i]) for row in rows), 60) for i in range(3)]
    lines = [
        "  ".join(value.ljust(widths[i]) if i < 3 else value for i, value in enumerate(row)).rstrip() for row in rows
    ]
    if limit is not None and total > limit:
        lines.append(f"... {total - limit} more")
    lines.append(_summary_line(evaluation))
    return "\n".join(lines) + "\n"


def _summary_line(evaluation: Evaluation) -> str:
    active = evaluation.active_findings
    counts = {severity: sum(1 for f in active if f.severity == severity) for severity in SEVERITIES}
    waived = len(evaluation.findings) - len(active)
    evaluated = sum(1 for r in evaluation.results if r.status == "evaluated")
    skipped = [r.rule.id for r in evaluation.results if r.status == "skipped"]
    failed = [r.rule.id for r in evaluation.results if r.status == "error"]
    parts = [plural(len(active), "finding")] + [f"{n} {severity}" for severity, n in counts.items() if n]
    text = f"{', '.join(parts)}; {waived} waived; {plural(evaluated, 'rule')} evaluated"
    if skipped:
        text += f"; skipped: {', '.join(skipped)}"
    if failed:
        text += f"; failed to run: {', '.join(failed)}"
    return text


def format_json(evaluation: Evaluation, *, score: ScoreReport | None = None, include_waived: bool = True) -> str:
    """Rules, results and findings (and the score report when given) as one JSON document."""
    results = []
    for result in evaluation.results:
        results.append(
            {
                "rule_id": result.rule.id,
                "status": result.status,
                "reason": result.reason,
                "subject": result.subject,
                "applicable": result.applicable,
                "findings": len(result.active_findings),
                "waived": len(result.findings) - len(result.active_findings),
                "seconds": round(result.seconds, 4),
            }
        )
    document: dict[str, Any] = {
        "tool": TOOL_NAME,
        "evaluated_at": evaluation.evaluated_at.isoformat(),
        "seconds": round(evaluation.seconds, 4),
        "rules": [result.rule.to_dict() for result in evaluation.results],
        "results": results,
        "findings": [
            {**finding.to_dict(), "details": _in_key_order(finding.details), "object": evaluation.object_label(finding),
             "path": _path(evaluation, finding)}
            for finding in sorted_findings(evaluation, include_waived=include_waived)[0]
        ],
    }
    if score is not None:
        document["score"] = score.to_dict()
    return _json(document)


def format_junit(evaluation: Evaluation, *, include_waived: bool = True) -> str:
    """JUnit XML: one test suite per rule, one failing test case per finding (waived ones skipped).

    A rule without findings gets one passing case so CI shows it ran; a skipped rule one skipped case.
    """
    suites = ET.Element("testsuites", name=TOOL_NAME)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in evaluation.results:
        rule = result.rule
        suite = ET.SubElement(suites, "testsuite", name=f"{rule.id} {rule.name}")
        cases = failures = errors = skipped = 0
        if result.status == "error":
            case = ET.SubElement(suite, "testcase", name=rule.id, classname=rule.rule_set)
            ET.SubElement(case, "error", message=result.reason or "the check failed")
            cases, errors = 1, 1
        elif result.status != "evaluated":
            case = ET.SubElement(suite, "testcase", name=rule.id, classname=rule.rule_set)
            ET.SubElement(case, "skipped", message=result.reason or result.status)
            cases, skipped = 1, 1
        else:
            findings = [f for f in result.findings if include_waived or f.waiver is None]
            for finding in findings:
                case = ET.SubElement(
                    suite, "testcase", name=evaluation.object_label(finding), classname=f"{rule.rule_set}.{rule.id}"
                )
                path = _path(evaluation, finding)
                if path:
                    case.set("file", path)
                if finding.waiver is not None:
                    ET.SubElement(case, "skipped", message=f"waived: {finding.waiver.reason}")
                    skipped += 1
                else:
                    failure = ET.SubElement(case, "failure", message=finding.message, type=finding.severity)
                    failure.text = _help(rule)
                    failures += 1
                cases += 1
            if not findings:
                ET.SubElement(
                    suite,
                    "testcase",
                    name=f"{plural(result.applicable, 'object')} conform{'s' if result.applicable == 1 else ''}",
                    classname=f"{rule.rule_set}.{rule.id}",
                )
                cases = 1
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", str(skipped))
        suite.set("time", f"{result.seconds:.4f}")
        totals["tests"] += cases
        totals["failures"] += failures
        totals["errors"] += errors
        totals["skipped"] += skipped
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("time", f"{evaluation.seconds:.4f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def format_sarif(
    evaluation: Evaluation,
    *,
    path_prefix: str = "",
    project_file: str = "dbt_project.yml",
    tool_version: str = "0.1.0",
    tool_uri: str | None = None,
    include_waived: bool = True,
) -> str:
    """SARIF 2.1.0 for code-scanning UIs (GitHub, GitLab).

    Rule metadata carries the rationale (full description) and the remediation (help); each result points
    at the capsule's dbt file (``path_prefix`` + original_file_path; ``project_file`` for project-level
    findings), carries our fingerprint in ``partialFingerprints`` and, when waived, an external suppression.
    """
    rules = [result.rule for result in evaluation.results]
    index = {rule.id: position for position, rule in enumerate(rules)}
    results = []
    for finding in sorted_findings(evaluation, include_waived=include_waived)[0]:
        path = _path(evaluation, finding) or project_file
        location: dict[str, Any] = {
            "physicalLocation": {
                "artifactLocation": {"uri": f"{path_prefix}{path}"},
                "region": {"startLine": 1},
            }
        }
        if finding.capsule_urn is not None:
            location["logicalLocations"] = [
                {
                    "name": evaluation.object_label(finding),
                    "fullyQualifiedName": finding.column_urn or finding.capsule_urn,
                    "kind": "column" if finding.column_urn else "table",
                }
            ]
        item: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "ruleIndex": index[finding.rule_id],
            "level": SARIF_LEVELS[finding.severity],
            "message": {"text": finding.message},
            "locations": [location],
            "partialFingerprints": {"dabFingerprint/v1": finding.fingerprint},
            "properties": {
                "severity": finding.severity,
                "object": evaluation.object_label(finding),
                "details": _in_key_order(finding.details),
            },
        }
        if finding.waiver is not None:
            suppression: dict[str, Any] = {
                "kind": "external",
                "status": "accepted",
                "justification": finding.waiver.reason,
            }
            if finding.waiver.expires or finding.waiver.by:
                suppression["properties"] = {"expires": str(finding.waiver.expires or ""), "by": finding.waiver.by}
            item["suppressions"] = [suppression]
        results.append(item)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": tool_version,
                        **({"informationUri": tool_uri} if tool_uri else {}),
                        "rules": [_sarif_rule(rule) for rule in rules],
                    }
                },
                "invocations": [_sarif_invocation(evaluation, index)],
                "results": results,
            }
        ],
    }
    return _json(document)


def _sarif_invocation(evaluation: Evaluation, index: dict[str, int]) -> dict[str, Any]:
    """The run's outcome: rules that could not run are notifications (errors make it unsuccessful)."""
    notifications = [
        {
            "level": "error" if result.status == "error" else "note",
            "message": {"text": f"{result.rule.id} {result.status}: {result.reason}"},
            "associatedRule": {"id": result.rule.id, "index": index[result.rule.id]},
        }
        for result in evaluation.results
        if result.status in ("error", "skipped")
    ]
    out: dict[str, Any] = {
        "executionSuccessful": not any(result.status == "error" for result in evaluation.results),
        "endTimeUtc": evaluation.evaluated_at.isoformat(),
    }
    if notifications:
        out["toolExecutionNotifications"] = notifications
    return out


def _sarif_rule(rule: RuleSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.name.replace("-", " ").split())[:255] or rule.id,
        "shortDescription": {"text": rule.name},
        "fullDescription": {"text": " ".join(part for part in (rule.description, rule.rationale) if part) or rule.name},
        "help": {"text": rule.remediation or rule.description or rule.name},
        "defaultConfiguration": {"level": SARIF_LEVELS[rule.severity], "enabled": rule.enabled},
        "properties": {
            "category": rule.category,
            "rule_set": rule.rule_set,
            "severity": rule.severity,
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "tags": [rule.rule_set, rule.category],
        },
    }
    if rule.url:
        out["helpUri"] = rule.url
    return out


def _path(evaluation: Evaluation, finding: Finding) -> str | None:
    if finding.capsule is None:
        return None
    return evaluation.graph.capsules[finding.capsule].path


def _help(rule: RuleSpec) -> str:
    parts = [f"Why: {rule.rationale}" if rule.rationale else "", f"Fix: {rule.remediation}" if rule.remediation else ""]
    return "\n".join(part for part in parts if part)


FORMATS: dict[str, Callable[..., str]] = {
    "table": format_table,
    "json": format_json,
    "junit": format_junit,
    "sarif": format_sarif,
}


def render(evaluation: Evaluation, *, fmt: str, **options: Any) -> str:
    """The evaluation in format ``fmt`` (table, json, junit, sarif); options go to that formatter."""
    try:
        formatter = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})") from None
    return formatter(evaluation, **options)
