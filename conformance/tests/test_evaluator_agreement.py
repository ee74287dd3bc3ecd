"""DAB agrees with dbt-project-evaluator's own test suite, object by object.

../shared/dbt/dbt-project-evaluator is the evaluator's integration-test project; its ``evaluator/`` folder
holds the project's settings (dbt_project.yml vars), its exceptions seed and, per check, the rows the
evaluator's own tests expect. The project is ingested through the real pipeline with those two files (as
`dab ingest dbt --dbt-project ... --evaluator-exceptions ...` does), and the violations DAB stores are
compared with the expected rows: every difference must be listed, with its reason, in docs/rules.md.

Skipped when ../shared is absent.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from pathlib import Path

import pytest

from conformance.choices import ViolationStatus, WaiverSource
from conformance.evaluator import CHECKS
from conformance.models import ProjectConfig, Violation
from conformance.services import TriageError, violation_triage
from ingestion.services import Artifact, dbt_ingest

REPO = Path(__file__).resolve().parents[2]
RULES_DOC = REPO / "docs" / "rules.md"
MULTI = ", "  # how the evaluator joins several names in one cell (listagg)

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.shared]


@pytest.fixture
def evaluator_project(shared_dbt_dir):
    folder = shared_dbt_dir / "dbt-project-evaluator"
    if not (folder / "evaluator" / "expected").is_dir():
        pytest.skip("the evaluator's expected rows are not in ../shared")
    return folder


@pytest.fixture
def ingested(evaluator_project):
    folder = evaluator_project
    job = dbt_ingest(
        manifest=Artifact.from_path("manifest", folder / "manifest.json"),
        catalog=Artifact.from_path("catalog", folder / "catalog.json"),
        run_results=Artifact.from_path("run_results", folder / "run_results.json"),
        dbt_project=Artifact.from_path("dbt_project", folder / "evaluator" / "dbt_project.yml"),
        evaluator_exceptions=Artifact.from_path(
            "evaluator_exceptions", folder / "evaluator" / "dbt_project_evaluator_exceptions.csv"
        ),
        triggered_by="test",
    )
    assert job.status == "completed", job.error_message
    assert "error" not in job.stats["conformance"], job.stats["conformance"]
    return job


def expected_rows(folder: Path) -> dict[str, list[dict[str, str]]]:
    out = {}
    for path in sorted((folder / "evaluator" / "expected").glob("*/test_*.csv")):
        text = path.read_text(encoding="utf-8-sig")
        out[path.stem.removeprefix("test_")] = [
            {key.strip(): (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(io.StringIO(text))
            if any((value or "").strip() for value in row.values())
        ]
    return out


def identifying(check: str) -> list[tuple[str, str]]:
    """(column, role) of the columns that name objects, in the check's column order."""
    return [(column, role) for column, role in CHECKS[check].columns.items() if role is not None]


def expected_objects(check: str, rows: list[dict[str, str]]) -> set[tuple[str, ...]]:
    keys: set[tuple[str, ...]] = set()
    for row in rows:
        parts = [row[column].split(MULTI) for column, _ in identifying(check)]
        keys.update(_product(parts))
    return keys


def dab_objects(check: str, violations: list[Violation]) -> set[tuple[str, ...]]:
    keys: set[tuple[str, ...]] = set()
    for violation in violations:
        related = violation.details.get("related", {})
        parts = []
        for _, role in identifying(check):
            if role == "object":
                parts.append([violation.object_label])
            elif role == "source_name":
                parts.append([(violation.capsule.attributes or {}).get("source_name", "")])
            else:
                parts.append(related.get(role, []))
        keys.update(_product(parts))
    return keys


def _product(parts: list[list[str]]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [()]
    for options in parts:
        out = [(*prefix, option) for prefix in out for option in options]
    return out


def documented_differences() -> set[tuple[str, str, str]]:
    """(check, object, "evaluator only" | "DAB only") rows of the known-differences table in docs/rules.md."""
    text = RULES_DOC.read_text()
    section = text.split("### Known differences on the evaluator's integration project", 1)[1].split("\n#", 1)[0]
    rows = set()
    for line in section.splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].startswith("fct_"):
            rows.add((cells[0], cells[1], cells[2]))
    return rows


def test_dab_finds_what_the_evaluator_expects_object_by_object(ingested, evaluator_project):
    active = defaultdict(list)
    for violation in Violation.objects.select_related("rule", "capsule", "column").exclude(
        status__in=(ViolationStatus.RESOLVED, ViolationStatus.WAIVED)
    ):
        active[violation.rule.rule_id].append(violation)
    expected = expected_rows(evaluator_project)
    assert len(expected) == 27  # every check the evaluator's suite pins down
    differences = set()
    agreed = 0
    for check, rows in expected.items():
        if CHECKS[check].coverage:
            continue
        violations = [v for rule in CHECKS[check].rules for v in active[rule]]
        theirs, ours = expected_objects(check, rows), dab_objects(check, violations)
        agreed += len(theirs & ours)
        differences |= {(check, " / ".join(key), "evaluator only") for key in theirs - ours}
        differences |= {(check, " / ".join(key), "DAB only") for key in ours - theirs}
    assert differences <= documented_differences(), (
        f"differences not argued in docs/rules.md: {sorted(differences - documented_differences())}"
    )
    assert agreed >= 60  # the expected rows DAB reports too (all but the documented ones)
    # the table argues only differences that still exist
    documented = {row for row in documented_differences() if row[0] in expected}
    assert documented == differences


@pytest.mark.parametrize(
    ("check", "rule", "extra"),
    [
        ("fct_test_coverage", "DBT-T03", ("total_tests", "test_to_model_ratio")),
        ("fct_documentation_coverage", "DBT-D01", ()),
    ],
)
def test_coverage_figures_equal_the_evaluators(ingested, evaluator_project, check, rule, extra):
    (row,) = expected_rows(evaluator_project)[check]
    (violation,) = Violation.objects.filter(rule__rule_id=rule, capsule__isnull=True)
    details = violation.details
    measure = "test" if check == "fct_test_coverage" else "documentation"
    covered = "tested_models" if measure == "test" else "documented_models"
    ours = {"total_models": details["total"], covered: details["covered"]}
    ours[f"{measure}_coverage_pct"] = details["percent"]
    ours.update({f"{kind}_{measure}_coverage_pct": pct for kind, pct in details["by_model_type"].items()})
    if extra:
        ours.update(total_tests=details["tests"], test_to_model_ratio=details["tests_per_model"])
    for column, value in row.items():
        if column in ("measured_at",):
            continue
        assert column in ours, f"{check}.{column} has no DAB figure"
        assert float(ours[column]) == pytest.approx(float(value), abs=0.005), column


def test_evaluator_settings_and_exceptions_are_kept_with_the_project(ingested):
    config = ProjectConfig.objects.get(source_system__name="dbt_project_evaluator_integration_tests")
    assert config.evaluator_vars["too_many_joins_threshold"] == 3
    assert config.evaluator_vars["exclude_paths_from_project"] == [
        "/to_exclude/",
        "source_3.table_6",
        "/dbt_project_evaluator_schema_tests/",
    ]
    assert config.evaluator_not_understood == []
    # the seed's one exception waives one parent of int_model_4, not the model
    waived = Violation.objects.filter(status=ViolationStatus.WAIVED).select_related("rule", "capsule")
    assert [(v.rule.rule_id, v.object_label, v.details["related"]) for v in waived] == [
        ("DBT-M01", "int_model_4", {"parent": ["stg_model_1"]})
    ]
    assert waived[0].waiver_source == WaiverSource.PROJECT
    assert waived[0].waiver_reason == "This is actually OK because..."
    with pytest.raises(TriageError, match="change the exceptions seed"):
        violation_triage(violation=waived[0], action="reopen", actor="steward")
    assert Violation.objects.filter(
        rule__rule_id="DBT-M01", capsule__name="int_model_4", status=ViolationStatus.OPEN
    ).count() == 1


def test_dab_never_judges_the_evaluators_own_models_nor_what_the_project_excludes(ingested):
    judged = Violation.objects.values_list("capsule__package_name", "capsule__original_file_path")
    assert not any(package == "dbt_project_evaluator" for package, _ in judged)
    assert not any(package == "exclude_package" for package, _ in judged)
    assert not any(path and re.search("/to_exclude/|/dbt_project_evaluator_schema_tests/", path) for _, path in judged)
