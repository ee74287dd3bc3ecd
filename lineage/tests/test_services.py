"""Column lineage in the ingestion pipeline (lineage/services.py) on the sample project and real artifacts."""

from __future__ import annotations

import copy
import json

import pytest

from catalog.models import Capsule, Column
from lineage.models import ColumnLineage
from lineage.services import column_lineage_compute, relation_spellings
from lineage.tests.conftest import SHARED_DBT_DIR, column_ref_urn, unique_id_urn

pytestmark = pytest.mark.django_db

ACME = "urn:dab:dbt:model:acme_shop"


def edges_by_urn() -> dict[tuple[str, str], ColumnLineage]:
    return {(e.source_urn, e.target_urn): e for e in ColumnLineage.objects.all()}


def status_of(urn: str) -> tuple[str | None, str | None]:
    return tuple(Capsule.objects.filter(urn=urn).values_list("lineage_status", "lineage_error").get())


# -- the sample project ------------------------------------------------------------------------------------------------


def test_sample_edges_match_the_hand_checked_truth(sample_project, expected):
    stored = edges_by_urn()
    wrong = []
    for entry in expected["column_lineage"]:
        key = (column_ref_urn(entry["parent"]), column_ref_urn(entry["child"]))
        edge = stored.get(key)
        if edge is None or edge.transformation_type != entry["kind"]:
            wrong.append((key, entry["kind"], edge and edge.transformation_type))
    assert wrong == []
    assert len(expected["column_lineage"]) >= 30


def test_a_hashed_pii_column_is_hashed_with_its_expression(sample_project):
    edge = edges_by_urn()[(f"{ACME}.stg_customers:phone", f"{ACME}.dim_customers.v2:phone_hash")]
    assert edge.transformation_type == "hashed"
    assert edge.transformation_expr.lower() == "sha256(c.phone)"
    email = edges_by_urn()[(f"{ACME}.stg_customers:email", f"{ACME}.dim_marketing_audience:email_hash")]
    assert (email.transformation_type, email.transformation_expr.lower()) == ("hashed", "md5(lower(c.email))")


def test_the_ephemeral_parent_is_read_through_its_cte(sample_project):
    edge = edges_by_urn()[
        (f"{ACME}.int_order_items_enriched:line_amount", f"{ACME}.int_orders_with_payments:order_amount")
    ]
    assert edge.transformation_type == "aggregated"


def test_every_model_and_snapshot_has_a_status_counted_in_the_job(sample_project):
    stats = sample_project.stats["column_lineage"]
    statuses = dict(Capsule.objects.filter(capsule_type__in=["model", "snapshot"]).values_list("urn", "lineage_status"))
    assert len(statuses) == 27 and None not in statuses.values()
    assert sum(stats["statuses"].values()) == stats["models"] == 27
    assert stats["statuses"] == {"parsed": 27}
    assert stats["edges"]["written"] == ColumnLineage.objects.count() > 250
    others = set(
        Capsule.objects.exclude(capsule_type__in=["model", "snapshot"]).values_list("lineage_status", flat=True)
    )
    assert others == {"not_applicable"}


def test_the_incremental_self_reference_is_neither_an_edge_nor_a_problem(sample_project):
    status, reason = status_of(f"{ACME}.fct_orders")
    assert (status, reason) == ("parsed", None)
    assert not ColumnLineage.objects.filter(
        source_urn__startswith=f"{ACME}.fct_orders:", target_urn__startswith=f"{ACME}.fct_orders:"
    ).exists()


# -- incremental runs --------------------------------------------------------------------------------------------------


def test_an_unchanged_reingest_reparses_nothing_and_keeps_every_edge(ingest_sample):
    ingest_sample()
    before = set(ColumnLineage.objects.values_list("id", flat=True))
    stats = ingest_sample(force=True).stats["column_lineage"]
    assert stats["reparsed"] == 0 and stats["kept"] == 27
    assert stats["statuses"] == {"parsed": 27}
    assert set(ColumnLineage.objects.values_list("id", flat=True)) == before


def test_a_changed_model_sql_rederives_only_that_model(ingest, ingest_sample, sample_manifest, sample_catalog):
    ingest_sample()
    node = sample_manifest["nodes"]["model.acme_shop.fct_payments"]
    node["compiled_code"] = node["compiled_code"].replace("p.amount,", "p.amount * 1 as amount,", 1)
    stats = ingest(manifest=sample_manifest, catalog=sample_catalog).stats["column_lineage"]
    assert stats["reparsed"] == 1
    edge = edges_by_urn()[(f"{ACME}.stg_payments:amount", f"{ACME}.fct_payments:amount")]
    assert edge.transformation_type == "derived"


def test_a_parent_losing_a_column_rederives_its_readers(ingest, ingest_sample, sample_manifest, sample_catalog):
    ingest_sample()
    assert (f"{ACME}.stg_customers:phone", f"{ACME}.dim_customers.v2:phone_hash") in edges_by_urn()
    # stg_customers stops selecting phone: its own SQL, YAML and warehouse columns change.
    node = sample_manifest["nodes"]["model.acme_shop.stg_customers"]
    node["columns"].pop("phone", None)
    node["compiled_code"] = node["compiled_code"].replace("        phone,\n", "", 1)
    sample_catalog["nodes"]["model.acme_shop.stg_customers"]["columns"].pop("phone")
    stats = ingest(manifest=sample_manifest, catalog=sample_catalog).stats["column_lineage"]
    # stg_customers itself and its four readers (dim_customers v1 and v2, dim_marketing_audience,
    # fct_support_tickets); the 22 other models keep their lineage.
    assert stats["reparsed"] == 5
    assert not any(source.endswith("stg_customers:phone") for source, _ in edges_by_urn())
    # The readers' SQL still names phone, which stg_customers' own SQL no longer produces: they say so.
    status, reason = status_of(f"{ACME}.dim_customers.v2")
    assert status == "partial" and "column phone not found in customers" in reason
    assert not Column.objects.filter(urn=f"{ACME}.stg_customers:phone").exists()


def test_a_column_nobody_lists_is_inferred_from_sql_with_its_edges(ingest, sample_manifest, sample_catalog):
    # dob is computed by stg_customers' SQL, but neither its YAML nor the warehouse catalog lists it now.
    sample_manifest["nodes"]["model.acme_shop.stg_customers"]["columns"].pop("dob", None)
    sample_catalog["nodes"]["model.acme_shop.stg_customers"]["columns"].pop("dob")
    stats = ingest(manifest=sample_manifest, catalog=sample_catalog).stats["column_lineage"]
    assert stats["edges"]["skipped_unknown_column"] == 0
    assert status_of(f"{ACME}.stg_customers") == ("parsed", None)
    dob = Column.objects.get(urn=f"{ACME}.stg_customers:dob")
    # cast(date_of_birth as date) as dob: the SQL says what it is.
    assert (dob.origin, dob.data_type, dob.in_manifest, dob.in_catalog) == ("sql", "DATE", False, False)
    assert edges_by_urn()[(f"{ACME}.stg_customers:dob", f"{ACME}.dim_customers.v1:dob")].transformation_type == "direct"
    assert stats["inferred_columns"]["sql_created"] == 1
    # The manifest names it again: the declared column takes the inferred row over, edges and all.
    sample_manifest["nodes"]["model.acme_shop.stg_customers"]["columns"]["dob"] = {"name": "dob", "description": "x"}
    ingest(manifest=sample_manifest, catalog=sample_catalog)
    again = Column.objects.get(urn=f"{ACME}.stg_customers:dob")
    assert (again.pk, again.origin, again.description) == (dob.pk, "manifest", "x")
    assert (f"{ACME}.stg_customers:dob", f"{ACME}.dim_customers.v1:dob") in edges_by_urn()


def test_edges_of_a_removed_model_go_with_it(ingest, ingest_sample, sample_manifest, sample_catalog):
    ingest_sample()
    manifest = copy.deepcopy(sample_manifest)
    manifest["nodes"].pop("model.acme_shop.fct_daily_revenue")
    for node in manifest["nodes"].values():
        deps = node.get("depends_on", {}).get("nodes", [])
        if "model.acme_shop.fct_daily_revenue" in deps:
            deps.remove("model.acme_shop.fct_daily_revenue")
    manifest["exposures"]["exposure.acme_shop.weekly_sales_dashboard"]["depends_on"]["nodes"].remove(
        "model.acme_shop.fct_daily_revenue"
    )
    sample_catalog["nodes"].pop("model.acme_shop.fct_daily_revenue", None)
    ingest(manifest=manifest, catalog=sample_catalog)
    assert not ColumnLineage.objects.filter(target_urn__startswith=f"{ACME}.fct_daily_revenue:").exists()
    assert ColumnLineage.objects.filter(target_urn__startswith=f"{ACME}.fct_orders:").exists()


def test_force_rederives_every_model(sample_project):
    from catalog.models import SourceSystem

    system = SourceSystem.objects.get(name="acme_shop")
    run = column_lineage_compute(source_system_id=system.pk, force=True)
    assert run.reparsed == 27 and run.edges_removed == run.edges_written


# -- manifests without compiled SQL ------------------------------------------------------------------------------------


def test_a_parse_only_manifest_gives_no_sql_for_every_model_with_the_reason(ingest, sample_manifest):
    for node in sample_manifest["nodes"].values():
        node.pop("compiled_code", None)
        node.pop("compiled", None)
    stats = ingest(manifest=sample_manifest).stats["column_lineage"]
    assert stats["statuses"] == {"no_sql": 27}
    assert ColumnLineage.objects.count() == 0
    status, reason = status_of(f"{ACME}.stg_customers")
    assert status == "no_sql" and "dbt parse" in reason


@pytest.mark.shared
@pytest.mark.parametrize("folder", ["mattermost-analytics", "mit-ol-data-platform"])
def test_real_parse_manifests_are_no_sql_with_a_reason(folder, shared_dbt_dir, ingest):
    job = ingest(manifest=shared_dbt_dir / folder / "manifest.json")
    stats = job.stats["column_lineage"]
    models = Capsule.objects.filter(capsule_type__in=["model", "snapshot"])
    assert stats["models"] == models.count() > 100
    assert stats["statuses"] == {"no_sql": stats["models"]}
    assert set(models.values_list("lineage_status", flat=True)) == {"no_sql"}
    assert models.filter(lineage_error__contains="no compiled SQL").count() == stats["models"]


# -- real projects with compiled SQL -----------------------------------------------------------------------------------


def ingest_shared(ingest, folder: str):
    base = SHARED_DBT_DIR / folder
    return ingest(manifest=base / "manifest.json", catalog=base / "catalog.json", run_results=base / "run_results.json")


@pytest.mark.shared
def test_jaffle_shop_duckdb_edges(shared_dbt_dir, ingest):
    stats = ingest_shared(ingest, "jaffle_shop_duckdb").stats["column_lineage"]
    assert stats["statuses"] == {"parsed": 5}
    edges = {(s, t): e.transformation_type for (s, t), e in edges_by_urn().items()}
    m = "urn:dab:dbt:model:jaffle_shop"
    assert edges[("urn:dab:dbt:seed:jaffle_shop.raw_customers:id", f"{m}.stg_customers:customer_id")] == "renamed"
    assert edges[(f"{m}.stg_customers:first_name", f"{m}.customers:first_name")] == "direct"
    assert edges[(f"{m}.stg_payments:amount", f"{m}.customers:customer_lifetime_value")] == "aggregated"
    assert edges[(f"{m}.stg_orders:order_id", f"{m}.customers:number_of_orders")] == "aggregated"
    assert edges[(f"{m}.stg_payments:amount", f"{m}.orders:amount")] == "aggregated"
    assert edges[(f"{m}.stg_orders:status", f"{m}.orders:status")] == "direct"


@pytest.mark.shared
def test_jaffle_shop_edges_through_star_and_casts(shared_dbt_dir, ingest):
    stats = ingest_shared(ingest, "jaffle-shop").stats["column_lineage"]
    assert stats["models"] == 13 and stats["statuses"].get("failed", 0) == 0
    edges = {(s, t): e.transformation_type for (s, t), e in edges_by_urn().items()}
    m, src = "urn:dab:dbt:model:jaffle_shop", "urn:dab:dbt:source:jaffle_shop.ecom"
    assert edges[(f"{src}.raw_customers:name", f"{m}.stg_customers:customer_name")] == "renamed"
    assert edges[(f"{src}.raw_orders:customer", f"{m}.stg_orders:customer_id")] == "renamed"
    assert edges[(f"{src}.raw_orders:subtotal", f"{m}.stg_orders:subtotal")] in ("derived", "cast")
    assert edges[(f"{m}.orders:order_total", f"{m}.customers:lifetime_spend")] == "aggregated"
    # customers selects customers.* over stg_customers: expanded from the catalog's columns.
    assert edges[(f"{m}.stg_customers:customer_name", f"{m}.customers:customer_name")] == "direct"
    assert edges[(f"{m}.order_items:supply_cost", f"{m}.orders:order_cost")] == "aggregated"


@pytest.mark.shared
def test_dbt_project_evaluator_statuses_and_reasons(shared_dbt_dir, ingest):
    stats = ingest_shared(ingest, "dbt-project-evaluator").stats["column_lineage"]
    assert stats["models"] == 84
    assert sum(stats["statuses"].values()) == 84
    # At least 95% parsed: every model but those whose SQL is out of anyone's reach, each saying why.
    assert stats["statuses"]["parsed"] >= 80
    failed = dict(Capsule.objects.filter(lineage_status="failed").values_list("name", "lineage_error"))
    # model_8 is only a comment; fct_model_10's compiled SQL is not valid SQL: reported, not fatal.
    assert failed.keys() == {"model_8", "fct_model_10"}
    assert "comments or whitespace" in failed["model_8"]
    assert failed["fct_model_10"].startswith("sqlglot could not parse the SQL")
    # fct_model_9 is `{{ source('source_1', 'table_5') }}` alone, a source nobody documents: its columns, and those
    # of stg_model_5 (select * from it), cannot be known.
    partial = dict(Capsule.objects.filter(lineage_status="partial").values_list("name", "lineage_error"))
    assert partial.keys() == {"fct_model_9", "stg_model_5"}
    assert "whose columns are unknown" in partial["fct_model_9"]
    # Ephemeral models are not in the catalog: their columns come from their SQL, and their edges are stored.
    ephemeral = "urn:dab:dbt:model:dbt_project_evaluator_integration_tests.stg_columns_dpe"
    assert status_of(ephemeral) == ("parsed", None)
    assert set(Column.objects.filter(capsule__urn=ephemeral).values_list("origin", flat=True)) == {"sql"}
    assert ColumnLineage.objects.filter(target_urn__startswith=f"{ephemeral}:").count() >= 5
    # Versioned ephemeral models are inlined under their alias (int_model_5_v2): each version is its own parent.
    assert Capsule.objects.filter(name="int_model_5", lineage_status="parsed").count() == 3
    m = "urn:dab:dbt:model:dbt_project_evaluator"
    edges = {(s, t): e.transformation_type for (s, t), e in edges_by_urn().items()}
    # The package's union macro casts every column: cast("resource_type" as character varying(256)).
    assert edges[(f"{m}.stg_nodes:resource_type", f"{m}.int_all_graph_resources:resource_type")] == "cast"


# -- pure helpers ------------------------------------------------------------------------------------------------------


def test_relation_spellings_of_a_table_and_an_ephemeral_model():
    table = relation_spellings(
        capsule_type="model", name="orders", materialization="table", database="db", schema="marts",
        identifier="orders_v2", quoted_name='"db"."marts"."orders_v2"',
    )  # fmt: skip
    assert table == ('"db"."marts"."orders_v2"', "db.marts.orders_v2")
    ephemeral = relation_spellings(
        capsule_type="model", name="int_x", materialization="ephemeral", database="db", schema="s",
        identifier=None, quoted_name=None,
    )  # fmt: skip
    assert ephemeral == ("__dbt__cte__int_x",)


def test_sample_truth_file_names_real_columns(sample_project, expected):
    from catalog.models import Column

    refs = {column_ref_urn(e[k]) for e in expected["column_lineage"] for k in ("child", "parent")}
    assert set(Column.objects.filter(urn__in=refs).values_list("urn", flat=True)) == refs
    assert unique_id_urn("source.acme_shop.shop.customers") == "urn:dab:dbt:source:acme_shop.shop.customers"


def test_stats_are_json(sample_project):
    json.dumps(sample_project.stats["column_lineage"])
