"""The conformance commands end to end: the CI gate (exit codes, --new-only, every format), score, violations,
sync, rules and the HTML report."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from conformance.models import ScoreSnapshot, Violation

pytestmark = pytest.mark.django_db

STAGING_READS_STAGING = "model.acme_shop.stg_web_events"


def run(*args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of a management command."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), f"{err.getvalue()}{exc}"
    return 0, out.getvalue(), err.getvalue()


def add_a_staging_slip(manifest: dict) -> dict:
    """stg_web_events also reads stg_orders: a new MED-003 (error) violation."""
    manifest["nodes"][STAGING_READS_STAGING]["depends_on"]["nodes"].append("model.acme_shop.stg_orders")
    return manifest


# -- the gate ---------------------------------------------------------------------------------------------


def test_check_fails_on_errors_and_lists_them(sample_project):
    status, out, err = run("conformance_check", "--fail-on", "error")
    assert status == 1
    assert "conformance gate failed" in err and "at or above error" in err
    assert out.splitlines()[0].split() == ["SEVERITY", "RULE", "OBJECT", "MESSAGE"]
    assert "CRITICAL" in out and "PII-002" in out
    assert ScoreSnapshot.objects.filter(trigger="cli").count() == 1  # stored


def test_check_from_the_command_line_skips_the_system_checks(sample_project, monkeypatch):
    """The CI gate runs as `dab conformance check`: Django's system checks (every URL module imported) would cost
    it a second of CPU each time, so the command asks for none."""
    from django.core import checks
    from django.core.management import ManagementUtility

    def refuse(**kwargs):
        raise AssertionError("system checks ran")

    monkeypatch.setattr(checks, "run_checks", refuse)
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["dab", "conformance_check", "--fail-on", "critical", "--no-store"]).execute()
    assert exited.value.code == 1  # the gate's verdict (PII-002 is critical), not a check's failure


def test_check_passes_when_nothing_reaches_the_threshold(sample_project, tmp_path):
    rules = tmp_path / "mine.yaml"
    rules.write_text(
        "rule_set: mine\nrules:\n  - {id: M-1, name: Models are described, severity: info, category: documentation,"
        " filter: {resource_types: [model]}, check: {type: required_property, property: description}}\n"
    )
    status, out, err = run("conformance_check", "--rules", str(rules), "--fail-on", "warning")
    assert status == 0 and "gate passed" in err and "M-1" in out
    assert not ScoreSnapshot.objects.filter(trigger="cli").exists()  # a custom file is never stored


def test_a_rule_file_that_does_not_validate_exits_2_naming_file_rule_and_field(db, tmp_path):
    rules = tmp_path / "bad.yaml"
    rules.write_text(
        "rule_set: mine\nrules:\n  - {id: M-1, name: x, severity: fatal, category: c, check: {type: orphan}}\n"
    )
    status, _, err = run("conformance_check", "--rules", str(rules))
    assert status == 2
    assert str(rules) in err and "rule M-1" in err and "severity" in err


def test_an_unknown_rule_set_exits_2(sample_project):
    assert run("conformance_check", "--rule-set", "nope")[0] == 2


def test_new_only_fails_on_a_slip_the_latest_ingestion_brought_and_nothing_else(
    sample_project, ingest, sample_manifest
):
    ingest(add_a_staging_slip(sample_manifest))  # the pull request's artifacts
    status, out, err = run("conformance_check", "--new-only", "--fail-on", "error", "--format", "json")
    assert status == 1 and "1 new violation at or above error (1 error)" in err
    findings = json.loads(out)["findings"]
    assert [(f["rule_id"], f["object"]) for f in findings if f["severity"] in ("critical", "error")] == [
        ("MED-003", "stg_web_events")
    ]
    ingest(sample_manifest)  # merged: the next ingestion of the same state brings nothing new
    status, _, err = run("conformance_check", "--new-only", "--fail-on", "error")
    assert status == 0 and "already in the evaluation of" in err


def test_new_only_without_an_earlier_evaluation_counts_everything(sample_project):
    status, _, err = run("conformance_check", "--new-only", "--fail-on", "critical")
    assert status == 1 and "every violation is new" in err


def test_new_only_against_a_baseline_file(sample_project, tmp_path, ingest, sample_manifest):
    baseline = tmp_path / "main.json"
    assert run("conformance_check", "--format", "json", "--output", str(baseline), "--no-store")[0] == 1
    status, _, err = run("conformance_check", "--new-only", "--baseline", str(baseline), "--no-store")
    assert status == 0
    ingest(add_a_staging_slip(sample_manifest))
    status, _, err = run("conformance_check", "--new-only", "--baseline", str(baseline), "--fail-on", "error")
    assert status == 1 and "1 new violation " in err
    sarif = tmp_path / "main.sarif"
    run("conformance_check", "--format", "sarif", "--output", str(sarif), "--no-store")
    status, _, _ = run("conformance_check", "--new-only", "--baseline", str(sarif), "--no-store")
    assert status == 0


def test_junit_output_parses_with_one_failure_per_active_violation(sample_project, tmp_path):
    path = tmp_path / "dab.xml"
    status, out, _ = run("conformance_check", "--format", "junit", "--output", str(path), "--fail-on", "critical")
    assert status == 1 and out == ""
    root = ET.fromstring(path.read_text())
    assert root.tag == "testsuites"
    active = Violation.objects.exclude(status__in=("resolved", "waived")).count()
    assert int(root.get("failures")) == active
    assert {suite.get("name").split()[0] for suite in root.iter("testsuite")} >= {"PII-002", "MED-003"}


def test_sarif_output_has_the_shape_code_scanning_reads(sample_project, tmp_path):
    path = tmp_path / "dab.sarif"
    run("conformance_check", "--format", "sarif", "--output", str(path), "--path-prefix", "examples/acme_shop/")
    document = json.loads(path.read_text())
    assert document["version"] == "2.1.0" and document["$schema"].endswith("sarif-2.1.0.json")
    [sarif_run] = document["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert all(rule["id"] and rule["shortDescription"]["text"] and rule["help"]["text"] for rule in rules)
    assert sarif_run["results"]
    for result in sarif_run["results"]:
        assert result["level"] in ("error", "warning", "note")
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("examples/acme_shop/") and ".." not in uri
        assert len(result["partialFingerprints"]["dabFingerprint/v1"]) == 40


def test_table_output_is_limited_for_ci_logs(sample_project):
    _, out, _ = run("conformance_check", "--limit", "5")
    assert len(out.splitlines()) == 1 + 5 + 2  # header, rows, "... more", summary
    assert "more" in out.splitlines()[-2]


def test_a_limited_table_lists_the_first_rows_of_the_whole_order(sample_project):
    """With --limit only the findings whose severity and rule reach into the first rows are sorted by their
    labels: the rows shown and the count left out are those of the whole sorted table."""
    from conformance.engine.formats import format_table
    from conformance.services import conformance_evaluate

    def lines(text: str) -> list[str]:  # the columns' padding follows the rows shown
        return [" ".join(line.split()) for line in text.splitlines()]

    evaluation = conformance_evaluate(store=False).evaluation
    whole = lines(format_table(evaluation))
    rows, summary = whole[1:-1], whole[-1]
    assert len(rows) > 20 and len({row.split()[1] for row in rows}) > 5  # several rules, several severities
    for limit in (1, 2, 7, 20, len(rows) - 1, len(rows), len(rows) + 3):
        more = [f"... {len(rows) - limit} more"] if limit < len(rows) else []
        assert lines(format_table(evaluation, limit=limit)) == [whole[0], *rows[:limit], *more, summary], limit


# -- other commands ---------------------------------------------------------------------------------------


def test_score_prints_the_latest_score_and_breakdowns(sample_project):
    status, out, _ = run("conformance_score")
    snapshot = ScoreSnapshot.objects.get()
    assert status == 0 and f"Conformance score {snapshot.score:.1f}" in out
    assert "By rule set" in out and "By owner" in out
    body = json.loads(run("conformance_score", "--format", "json", "--by", "layer")[1])
    assert body["score"] == snapshot.score and set(body["by_layer"]) >= {"marts", "staging"}


def test_score_without_an_evaluation_says_what_to_do(db):
    status, _, err = run("conformance_score")
    assert status == 1 and "dab conformance check" in err


def test_violations_lists_with_filters(sample_project):
    status, out, _ = run("conformance_violations", "--severity", "critical", "--format", "json")
    body = json.loads(out)
    assert status == 0 and body["count"] == Violation.objects.filter(severity="critical").count() > 0
    assert {v["severity"] for v in body["violations"]} == {"critical"}
    _, out, _ = run("conformance_violations", "--rule", "DBT-D02")
    assert "int_customer_touchpoints" in out and re.search(r"\d violations?$", out.strip())


def test_sync_and_its_check_mode(db, rules_dir):
    status, out, _ = run("conformance_sync")
    assert status == 0 and "63 created" in out
    (rules_dir / "broken.yaml").write_text("rules: [{id: B-1}]\n")
    status, _, err = run("conformance_sync", "--check")
    assert status == 2 and "broken.yaml" in err and "rule B-1" in err


def test_rules_lists_pass_rates(sample_project):
    status, out, _ = run("conformance_rules", "--rule-set", "medallion")
    assert status == 0 and "MED-003" in out and "DBT-" not in out


def test_report_is_one_self_contained_html_file(sample_project, tmp_path):
    path = tmp_path / "report.html"
    status, out, _ = run("report_conformance", "--output", str(path))
    html = path.read_text()
    assert status == 0 and "Wrote" in out
    assert html.startswith("<!doctype html>") and "Conformance report" in html
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert "PII-002" in html and "Fix first" in html


def test_report_without_an_evaluation_fails(db, tmp_path):
    assert run("report_conformance", "--output", str(tmp_path / "r.html"))[0] == 1


# -- the process's exit -----------------------------------------------------------------------------------


def test_the_check_as_a_process_ends_without_freeing_its_graph_and_says_the_same(tmp_path):
    """Run as the process's entry point, `dab conformance check` ends the process once its output is written
    (dab_project.memory.process_exit) instead of freeing the graph object by object: no teardown runs, and the
    output, the exit status and what it stored are those of a run that exits normally."""
    import os
    import sqlite3
    import subprocess
    import sys

    from conftest import REPO_DIR, SAMPLE_TARGET_DIR

    env = {**os.environ, "ENVIRONMENT": "development", "DAB_ENV_FILE": os.devnull, "DATA_DIR": str(tmp_path),
           "DATABASE_URL": "", "PYTHONPATH": str(REPO_DIR)}  # fmt: skip
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def dab(*args: str, entry: bool = True) -> subprocess.CompletedProcess:
        # `main()` is how the installed `dab` script calls it; `main(argv)` is an in-process caller's call
        call = "main()" if entry else "main(sys.argv[1:])"
        script = (
            "import atexit, sys; atexit.register(lambda: print('teardown ran', file=sys.stderr)); "
            f"from dab_project.cli import main; sys.exit({call})"
        )
        return subprocess.run(
            [sys.executable, "-c", script, *args], env=env, cwd=REPO_DIR, capture_output=True, text=True, timeout=300
        )

    assert dab("migrate", "-v0").returncode == 0
    manifest, catalog = SAMPLE_TARGET_DIR / "manifest.json", SAMPLE_TARGET_DIR / "catalog.json"
    assert dab("ingest", "dbt", "--manifest", str(manifest), "--catalog", str(catalog)).returncode == 0

    def snapshots() -> int:
        with sqlite3.connect(tmp_path / "dab.sqlite3") as db:
            return db.execute("SELECT count(*) FROM score_snapshots").fetchone()[0]

    stored = snapshots()

    normal = dab("conformance", "check", "--no-store", "--limit", "0", entry=False)
    ended = dab("conformance", "check", "--limit", "0")
    assert "teardown ran" in normal.stderr and "teardown ran" not in ended.stderr
    assert normal.returncode == ended.returncode == 1  # the sample has critical violations
    assert normal.stdout == ended.stdout and ended.stdout.count("\n") > 20
    assert normal.stderr.splitlines()[-2] == ended.stderr.splitlines()[-1]  # the gate's verdict, before "teardown"
    assert snapshots() == stored + 1  # the evaluation was stored (committed before the process ended)


def _json_without_times(text: str) -> dict:
    """A --format json output without its clock readings (when, and how long each part took)."""

    def without(value):
        if isinstance(value, dict):
            return {key: without(item) for key, item in value.items() if key not in ("evaluated_at", "seconds")}
        return [without(item) for item in value] if isinstance(value, list) else value

    return without(json.loads(text))


def _check_both_ways(monkeypatch) -> None:
    """`dab conformance check` with its graph read in a thread started early, then read in line as before (the
    read it starts replaced by a plain graph_load): the same table, JSON and exit status, and the same stored rows."""
    from conformance.management.commands import conformance_check
    from lineage import graph as graph_module

    started = []
    real_start = conformance_check.graph_load_start
    monkeypatch.setattr(
        conformance_check, "graph_load_start", lambda **o: started.append(real_start(**o)) or started[-1]
    )
    threaded = [run("conformance_check", "--limit", "0"), run("conformance_check", "--format", "json", "--no-store")]
    stored = sorted(Violation.objects.values_list("fingerprint", "status", "severity", "message", "details"))
    assert len(started) == 2 and all(isinstance(s, graph_module.GraphLoad) for s in started)
    monkeypatch.setattr(conformance_check, "graph_load_start", lambda **o: lambda: graph_module.graph_load(**o))
    inline = [run("conformance_check", "--limit", "0"), run("conformance_check", "--format", "json", "--no-store")]
    assert threaded[0] == inline[0] and threaded[0][1].count("\n") > 20
    assert threaded[1][0] == inline[1][0] and _json_without_times(threaded[1][1]) == _json_without_times(inline[1][1])
    # the second full evaluation found the stored violations again, unchanged
    assert sorted(Violation.objects.values_list("fingerprint", "status", "severity", "message", "details")) == stored
    assert len(stored) > 20
    *_, first, second = ScoreSnapshot.objects.order_by("evaluated_at")  # the two runs that stored
    assert (first.score, first.findings, first.by_severity) == (second.score, second.findings, second.by_severity)


@pytest.mark.django_db(transaction=True)  # committed: the thread's connections must see the project
def test_the_check_says_the_same_with_its_graph_read_started_early(sample_project, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the early read is PostgreSQL's")
    _check_both_ways(monkeypatch)


@pytest.mark.django_db(transaction=True)
def test_the_check_says_the_same_with_its_graph_read_started_early_on_a_real_project(shared_dbt_dir, monkeypatch):
    from django.db import connection

    from ingestion.services import Artifact, dbt_ingest

    if connection.vendor != "postgresql":
        pytest.skip("the early read is PostgreSQL's")
    folder = shared_dbt_dir / "mattermost-analytics"
    job = dbt_ingest(manifest=Artifact.from_path("manifest", folder / "manifest.json"), triggered_by="test")
    assert job.status == "completed", job.error_message
    _check_both_ways(monkeypatch)
