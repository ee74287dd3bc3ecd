"""An evaluator set-up of our own on the bundled sample gives the findings that configuration implies.

conformance/tests/data/acme_evaluator_dbt_project.yml gives examples/acme_shop other prefixes (marts take
fct_ only), a custom model type (summary: prefix customer_, folder customer), an excluded package and an
excluded folder, lower thresholds and a threshold in Jinja. The sample's manifest gains one model of an
installed package (acme_utils), as dbt writes a package's models. Everything runs through the real
pipeline (`dab ingest dbt --dbt-project ...`); the expectations are computed from the manifest and the
configuration, not listed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from catalog.models import SourceSystem
from conformance.choices import ViolationStatus
from conformance.evaluator import evaluator_vars_read
from conformance.models import ProjectConfig, Violation
from conformance.services import conformance_settings_fingerprint
from ingestion.services import Artifact, dbt_ingest

DATA = Path(__file__).parent / "data"
SETTINGS = DATA / "acme_evaluator_dbt_project.yml"
SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme_shop" / "target"
PACKAGE_MODEL = "model.acme_utils.util_orders_calendar"

pytestmark = pytest.mark.django_db(transaction=False)


def with_package_model(manifest: dict) -> dict:
    """The sample's manifest plus one model of an installed package, reading the project's stg_orders."""
    manifest = copy.deepcopy(manifest)
    node = copy.deepcopy(manifest["nodes"]["model.acme_shop.stg_orders"])
    node.update(
        unique_id=PACKAGE_MODEL,
        name="util_orders_calendar",
        alias="util_orders_calendar",
        package_name="acme_utils",
        path="util_orders_calendar.sql",
        original_file_path="models/util_orders_calendar.sql",
        fqn=["acme_utils", "util_orders_calendar"],
        description="",
        columns={},
        relation_name='"acme"."main"."util_orders_calendar"',
    )
    node["depends_on"] = {"macros": [], "nodes": ["model.acme_shop.stg_orders"]}
    manifest["nodes"][PACKAGE_MODEL] = node
    for key in ("child_map", "parent_map"):
        manifest.pop(key, None)
    return manifest


def ingest(tmp_path, manifest: dict, **evaluator):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    return dbt_ingest(
        manifest=Artifact.from_path("manifest", path),
        catalog=Artifact.from_path("catalog", SAMPLE / "catalog.json"),
        run_results=Artifact.from_path("run_results", SAMPLE / "run_results.json"),
        triggered_by="test",
        **{key: Artifact.from_path(key, value) for key, value in evaluator.items()},
    )


def active(rule_id: str) -> set[str]:
    return {
        v.object_label
        for v in Violation.objects.filter(rule__rule_id=rule_id)
        .exclude(status__in=(ViolationStatus.RESOLVED, ViolationStatus.WAIVED))
        .select_related("capsule", "column")
    }


def models(manifest: dict) -> dict[str, dict]:
    """Project and package models by their label (name, or name.vN)."""
    out = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            version = node.get("version")
            out[f"{node['name']}.v{version}" if version is not None else node["name"]] = node
    return out


def excluded(node: dict) -> bool:
    return node["package_name"] == "acme_utils" or "/lookups/" in node["original_file_path"]


@pytest.fixture
def manifest(sample_manifest):
    return with_package_model(sample_manifest)


def test_the_sample_with_its_own_evaluator_settings_gives_what_they_imply(tmp_path, manifest):
    job = ingest(tmp_path, manifest, dbt_project=SETTINGS)
    assert job.status == "completed", job.error_message
    # a variable in Jinja that needs more than target.type is reported by name, its default applies
    assert any("test_coverage_target" in warning and "cannot render" in warning for warning in job.warnings)
    config = ProjectConfig.objects.get(source_system__name="acme_shop")
    assert config.evaluator_not_understood == ["test_coverage_target"]
    assert "start_date" not in config.evaluator_vars and "not_a_rendered_value" not in config.evaluator_vars
    assert config.evaluator_vars["chained_views_threshold"] == 1  # rendered with the manifest's adapter, duckdb

    judged = {name: node for name, node in models(manifest).items() if not excluded(node)}
    # naming: a name's prefix must be one of the types' prefixes: stg_, int_, fct_ and the custom customer_
    allowed = ("stg", "int", "fct", "customer")
    assert active("DBT-S01") == {
        name for name, node in judged.items() if name.split("_", 1)[0] not in allowed and not node.get("time_spine")
    }
    assert "dim_products" in active("DBT-S01")  # marts no longer take dim_
    assert "dim_dates" not in active("DBT-S01")  # ... but a MetricFlow time spine is never misnamed
    assert "customer_orders_summary" not in active("DBT-S01")  # the custom type's prefix
    # folders: a name typed by its prefix living in another type's folder (the custom type's folder: customer)
    folder_types = {"staging": "staging", "intermediate": "intermediate", "marts": "marts", "customer": "summary"}
    prefix_types = {"stg": "staging", "int": "intermediate", "fct": "marts", "customer": "summary"}

    def folder_type(path: str) -> str | None:
        folders = [part for part in path.split("/")[:-1] if part in folder_types]
        return folder_types[folders[-1]] if folders else None

    assert active("DBT-S02") == {
        name
        for name, node in judged.items()
        if prefix_types.get(name.split("_", 1)[0])
        and folder_type(node["original_file_path"])
        and prefix_types[name.split("_", 1)[0]] != folder_type(node["original_file_path"])
    }
    assert "fct_support_tickets" in active("DBT-S02")  # a marts name in the summary folder
    # too many joins: 3 or more distinct parents, excluded parents included (stg_countries is excluded)
    assert active("DBT-M12") == {
        name for name, node in judged.items() if len(set(node["depends_on"]["nodes"])) >= 3
    }
    assert {"dim_customers.v1", "dim_customers.v2"} <= active("DBT-M12")
    # chained views over 1 (rendered from Jinja for duckdb)
    assert "dim_marketing_audience" in active("DBT-P01")
    # documentation coverage: the target is 50, the sample documents more: no finding
    assert active("DBT-D01") == set()
    # nothing excluded is judged by any rule
    stored = Violation.objects.values_list("capsule__package_name", "capsule__original_file_path")
    assert all(package != "acme_utils" for package, _ in stored)
    assert all(not path or "/lookups/" not in path for _, path in stored)


def test_without_settings_the_same_sample_is_judged_by_the_evaluators_defaults(tmp_path, manifest):
    job = ingest(tmp_path, manifest)
    assert job.status == "completed", job.error_message
    assert "customer_orders_summary" in active("DBT-S01")  # customer_ is no default prefix
    assert "dim_products" not in active("DBT-S01")
    assert active("DBT-P01") == set()  # no chain of more than 5 views in the sample
    assert "util_orders_calendar" in {v.capsule.name for v in Violation.objects.select_related("capsule") if v.capsule}


def test_new_settings_re_evaluate_and_change_the_fingerprint_without_new_artifacts(tmp_path, manifest):
    ingest(tmp_path, manifest)
    system = SourceSystem.objects.get(name="acme_shop")
    before = conformance_settings_fingerprint(source_system_id=system.pk)
    assert before == conformance_settings_fingerprint(source_system_id=system.pk)
    assert "customer_orders_summary" in active("DBT-S01")
    exceptions = tmp_path / "exceptions.csv"
    exceptions.write_text(
        "fct_name,column_name,id_to_exclude,comment\n"
        "fct_model_naming_conventions,resource_name,customer_%,Summaries keep their historic names\n"
    )
    call_command("conformance_project", "acme_shop", "--evaluator-exceptions", str(exceptions))
    assert conformance_settings_fingerprint(source_system_id=system.pk) != before
    assert "customer_orders_summary" not in active("DBT-S01")
    waived = Violation.objects.get(rule__rule_id="DBT-S01", capsule__name="customer_orders_summary")
    assert (waived.status, waived.waiver_reason) == (ViolationStatus.WAIVED, "Summaries keep their historic names")
    # DAB's own excludes, natively: a name glob drops the capsule from every rule at the next evaluation
    settings = tmp_path / "conformance.yml"
    settings.write_text("exclude:\n  names: ['dim_*']\n")
    call_command("conformance_project", "acme_shop", "--file", str(settings))
    assert not Violation.objects.filter(capsule__name__startswith="dim_").exclude(
        status=ViolationStatus.RESOLVED
    ).exists()


@pytest.mark.parametrize(
    ("yaml_vars", "message"),
    [
        ("too_many_joins_threshold: three", "vars.too_many_joins_threshold: expected a whole number"),
        ("exclude_paths_from_project: ['(unclosed']", "vars.exclude_paths_from_project: '(unclosed' is not a valid"),
        ("enforced_primary_key_node_types: [exposure]", "vars.enforced_primary_key_node_types: expected some of"),
        ("primary_key_test_macros: [[unique]]", "vars.primary_key_test_macros: 'unique' is not a test macro"),
        ("max_depth_dag: 1", "vars.max_depth_dag: must be at least 2"),
        ("documentation_coverage_target: 120", "vars.documentation_coverage_target: expected a percentage"),
    ],
)
def test_an_invalid_evaluator_variable_fails_the_ingestion_naming_it_and_stores_nothing(
    tmp_path, manifest, yaml_vars, message
):
    project = tmp_path / "dbt_project.yml"
    project.write_text(f"name: acme_shop\nvars:\n  {yaml_vars}\n")
    job = ingest(tmp_path, manifest, dbt_project=project)
    assert job.status == "failed"
    assert message in job.error_message
    assert not SourceSystem.objects.exists() and not ProjectConfig.objects.exists()


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("fct_name,column_name,id_to_exclude,comment\nfct_nope,child,x,y\n", "row 2: fct_name 'fct_nope' is not"),
        ("fct_name,column_name,id_to_exclude,comment\nfct_root_models,parent,x,y\n", "fct_root_models has no column"),
        ("fct_name,column_name,id_to_exclude,comment\nfct_too_many_joins,join_count,3,y\n", "names no object"),
        ("fct_name,column_name,id_to_exclude,comment\nfct_test_coverage,x,3,y\n", "coverage check"),
        ("fct_name,id_to_exclude\nfct_root_models,x\n", "missing column(s) column_name"),
    ],
)
def test_an_invalid_exceptions_seed_fails_the_ingestion_naming_the_row(tmp_path, manifest, csv_text, message):
    seed = tmp_path / "dbt_project_evaluator_exceptions.csv"
    seed.write_text(csv_text)
    job = ingest(tmp_path, manifest, evaluator_exceptions=seed)
    assert job.status == "failed"
    assert message in job.error_message
    assert not SourceSystem.objects.exists() and not ProjectConfig.objects.exists()


def test_evaluator_variables_render_jinja_only_from_what_the_manifest_knows():
    text = """
vars:
  chained_views_threshold: "{{ 5 if target.type not in ['athena', 'trino', 'clickhouse'] else 4 }}"
  too_many_joins_threshold: "{{ 3 + 2 }}"
  models_fanout_threshold: "{{ var('fanout') }}"
  max_depth_dag: "{% if true %}9{% endif %}"
  test_coverage_target: "{{ target.name == 'prod' and 100 or 80 }}"
"""
    on_trino = evaluator_vars_read(text, adapter="trino")
    assert on_trino.values["chained_views_threshold"] == 4
    assert on_trino.values["too_many_joins_threshold"] == 5
    assert evaluator_vars_read(text, adapter="snowflake").values["chained_views_threshold"] == 5
    assert on_trino.not_understood == ("max_depth_dag", "models_fanout_threshold", "test_coverage_target")
    # the package's own block wins over the top level, as dbt scopes package variables
    scoped = evaluator_vars_read(
        "vars:\n  too_many_joins_threshold: 4\n  dbt_project_evaluator:\n    too_many_joins_threshold: 9\n",
        adapter=None,
    )
    assert scoped.values["too_many_joins_threshold"] == 9


def test_the_default_chained_views_threshold_follows_the_adapter(tmp_path, sample_manifest):
    manifest = copy.deepcopy(sample_manifest)
    manifest["metadata"]["adapter_type"] = "trino"
    ingest(tmp_path, manifest)
    from conformance.selectors import rule_project_parameters

    assert rule_project_parameters(rule_id="DBT-P01") == [("acme_shop", {"max": 4})]


def test_like_patterns_become_globs_with_the_same_matches():
    from fnmatch import fnmatchcase

    from conformance.evaluator import like_to_glob

    glob = like_to_glob("stg_%_unioned")
    assert glob == "stg?*?unioned"
    assert fnmatchcase("stg_orders_unioned", glob) and not fnmatchcase("stg_orders_union", glob)
    assert fnmatchcase("a[1]*b", like_to_glob("a[1]*b")) and not fnmatchcase("a1xb", like_to_glob("a[1]*b"))


def test_a_waiver_scoped_to_one_parent_accepts_only_the_findings_about_that_parent():
    from conformance.engine import evaluate, parse_rules
    from conformance.engine.testing import GraphBuilder

    b = GraphBuilder()
    b.capsule("raw_orders", type="source", source_name="shop")
    b.capsule("stg_customers")
    b.capsule("int_orders", parents=["raw_orders", "stg_customers"])
    (rule,) = parse_rules(
        """
rule_set: t
rules:
  - id: T-1
    name: direct join
    severity: warning
    category: modeling
    check: {type: mixed_parents, types: [model, source], per_parent: true}
    waivers:
      - {object: int_orders, related: {parent: stg_cust*}, reason: the customers join is fine}
"""
    )
    (result,) = evaluate(b.graph, [rule]).results
    by_parent = {f.details["related"]["parent"][0]: f.waived for f in result.findings}
    assert by_parent == {"stg_customers": True, "shop.raw_orders": False}
