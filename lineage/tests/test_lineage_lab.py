"""Column lineage through what real projects hide it behind, on a real dbt project built for it (data/lineage_lab):
ephemeral models nested three deep (one aliased), a source gone from the catalog with no documented column, a
relation a macro spells out instead of ref()."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from catalog.models import Capsule, Column
from lineage.models import SQL_ONLY_EDGE, CapsuleLineage, ColumnLineage

pytestmark = pytest.mark.django_db

LAB = Path(__file__).resolve().parent / "data" / "lineage_lab" / "target"
M = "urn:dab:dbt:model:lineage_lab"
MEMBERS = "urn:dab:dbt:source:lineage_lab.app.members"
VISITS = "urn:dab:dbt:source:lineage_lab.app.visits"
PLANS = "urn:dab:dbt:seed:lineage_lab.raw_plans"


@pytest.fixture
def lab_manifest() -> dict:
    return json.loads((LAB / "manifest.json").read_bytes())


@pytest.fixture
def lab_catalog() -> dict:
    return json.loads((LAB / "catalog.json").read_bytes())


@pytest.fixture
def ingest_lab(ingest, lab_manifest, lab_catalog):
    def run(manifest=None, catalog=None, **options):
        return ingest(manifest=manifest or lab_manifest, catalog=catalog or lab_catalog, **options)

    return run


def edges() -> dict[tuple[str, str], ColumnLineage]:
    return {(e.source_urn, e.target_urn): e for e in ColumnLineage.objects.all()}


def origin_of(urn: str) -> tuple[str, str | None]:
    return tuple(Column.objects.filter(urn=urn).values_list("origin", "data_type").get())


def test_the_artifacts_hold_what_the_tests_rely_on(lab_manifest, lab_catalog):
    nodes = lab_manifest["nodes"]
    assert nodes["model.lineage_lab.member_months"]["alias"] == "member_month_rows"
    assert "__dbt__cte__member_month_rows" in nodes["model.lineage_lab.member_summary"]["compiled_code"]
    assert "source.lineage_lab.app.visits" not in lab_catalog["sources"]
    assert "seed.lineage_lab.raw_plans" not in nodes["model.lineage_lab.member_plans"]["depends_on"]["nodes"]
    assert not any(n["config"]["materialized"] == "ephemeral" for n in lab_catalog["nodes"].values() if "config" in n)


def test_every_model_is_parsed(ingest_lab):
    stats = ingest_lab().stats["column_lineage"]
    assert stats["statuses"] == {"parsed": 6}
    assert stats["edges"]["skipped_unknown_column"] == 0
    statuses = set(Capsule.objects.filter(capsule_type="model").values_list("lineage_status", "lineage_error"))
    assert statuses == {("parsed", None)}


def test_lineage_runs_through_nested_ephemerals_one_hop_at_a_time(ingest_lab):
    ingest_lab()
    stored = edges()
    chain = [
        (f"{MEMBERS}:email", f"{M}.base_members:email", "derived"),  # lower(email)
        (f"{M}.base_members:email", f"{M}.member_months:email", "direct"),
        (f"{M}.member_months:email", f"{M}.active_members:email", "direct"),
        (f"{M}.active_members:email", f"{M}.member_summary:email", "direct"),
        (f"{M}.active_members:email", f"{M}.member_summary:email_hash", "hashed"),
    ]
    assert [(s, t, stored[(s, t)].transformation_type) for s, t, _ in chain] == chain
    assert stored[(f"{M}.active_members:email", f"{M}.member_summary:email_hash")].carries_value is False
    # The mart reads its ephemeral parent, not the grandparents inlined into its SQL.
    assert not any(
        s.startswith((f"{M}.base_members:", f"{M}.member_months:", MEMBERS)) and t.startswith(f"{M}.member_summary:")
        for s, t in stored
    )
    assert stored[(f"{M}.base_members:joined_on", f"{M}.member_months:joined_month")].transformation_type == "derived"


def test_an_ephemeral_models_columns_are_inferred_from_its_sql(ingest_lab):
    ingest_lab()
    columns = list(
        Column.objects.filter(capsule__urn=f"{M}.base_members").values_list("name", "origin", "data_type", "pii_type")
    )
    assert columns == [
        ("member_id", "sql", "INTEGER", None),  # passed on unchanged from the source's catalog type
        ("email", "sql", None, "email"),  # classified for PII as it was inserted
        ("full_name", "sql", None, "person_name"),
        ("plan_code", "sql", "VARCHAR", None),
        ("joined_on", "sql", "DATE", None),  # cast(joined_at as date)
    ]
    # the aliased one (its CTE is __dbt__cte__member_month_rows) too
    assert origin_of(f"{M}.member_months:joined_month") == ("sql", None)
    assert not Column.objects.filter(capsule__urn=f"{M}.base_members", in_manifest=True).exists()


def test_a_source_missing_from_the_catalog_gets_the_columns_its_readers_read(ingest_lab):
    ingest_lab()
    visits = list(Column.objects.filter(capsule__urn=VISITS).order_by("name").values_list("name", "origin"))
    assert visits == [("ip_address", "usage"), ("member_id", "usage"), ("visited_at", "usage")]
    stored = edges()
    assert stored[(f"{VISITS}:visited_at", f"{M}.visit_counts:last_visit_at")].transformation_type == "aggregated"
    assert stored[(f"{VISITS}:visited_at", f"{M}.visit_counts:last_visit_at")].carries_value is True  # max()
    assert stored[(f"{VISITS}:ip_address", f"{M}.visit_counts:distinct_ips")].carries_value is False  # count()
    assert Column.objects.get(urn=f"{VISITS}:ip_address").pii_type == "ip_address"


def test_a_relation_a_macro_names_is_attributed_and_marked_sql_only(ingest_lab):
    ingest_lab()
    edge = CapsuleLineage.objects.get(target__urn=f"{M}.member_plans", source__urn=PLANS)
    assert edge.edge_type == SQL_ONLY_EDGE
    stored = edges()
    assert stored[(f"{PLANS}:plan_name", f"{M}.member_plans:plan_name")].transformation_type == "direct"
    assert (f"{PLANS}:monthly_price", f"{M}.member_plans:monthly_price") in stored


def test_an_unchanged_reingest_keeps_every_inferred_column_and_edge(ingest_lab):
    ingest_lab()
    columns = set(Column.objects.values_list("id", "urn", "origin"))
    edge_ids = set(ColumnLineage.objects.values_list("id", flat=True))
    sql_only = set(CapsuleLineage.objects.filter(edge_type=SQL_ONLY_EDGE).values_list("id", flat=True))
    stats = ingest_lab(force=True).stats["column_lineage"]
    assert stats["reparsed"] == 0
    assert stats["inferred_columns"] == {"sql_created": 0, "usage_created": 0, "changed": 0, "removed": 0}
    assert set(Column.objects.values_list("id", "urn", "origin")) == columns
    assert set(ColumnLineage.objects.values_list("id", flat=True)) == edge_ids
    assert set(CapsuleLineage.objects.filter(edge_type=SQL_ONLY_EDGE).values_list("id", flat=True)) == sql_only


def test_inferred_columns_go_when_no_longer_inferred(ingest_lab, lab_manifest):
    ingest_lab()
    manifest = copy.deepcopy(lab_manifest)
    counts = manifest["nodes"]["model.lineage_lab.visit_counts"]
    counts["compiled_code"] = counts["compiled_code"].replace(",\n    count(distinct ip_address) as distinct_ips", "")
    for node in manifest["nodes"].values():  # the inlined copy in member_summary too
        if node.get("compiled_code"):
            node["compiled_code"] = node["compiled_code"].replace(
                ",\n    count(distinct ip_address) as distinct_ips", ""
            )
    plans = manifest["nodes"]["model.lineage_lab.member_plans"]
    plans["compiled_code"] = plans["compiled_code"].replace(
        'inner join "lineage_lab"."raw"."raw_plans" as p\n    on b.plan_code = p.plan_code',
        "inner join (select 'basic' as plan_code, 'Basic' as plan_name, 9 as monthly_price) as p\n"
        "    on b.plan_code = p.plan_code",
    )
    stats = ingest_lab(manifest=manifest).stats["column_lineage"]
    assert stats["statuses"] == {"parsed": 6}
    assert not Column.objects.filter(urn__in=[f"{VISITS}:ip_address", f"{M}.visit_counts:distinct_ips"]).exists()
    assert Column.objects.filter(urn=f"{VISITS}:visited_at", origin="usage").exists()
    assert not CapsuleLineage.objects.filter(edge_type=SQL_ONLY_EDGE).exists()
    assert not any(s.startswith(PLANS) for s, _ in edges())


def test_the_catalog_naming_a_column_takes_the_inferred_row_over(ingest_lab, lab_catalog):
    ingest_lab()
    inferred = Column.objects.get(urn=f"{VISITS}:visited_at")
    catalog = copy.deepcopy(lab_catalog)
    members = catalog["sources"]["source.lineage_lab.app.members"]
    catalog["sources"]["source.lineage_lab.app.visits"] = {
        **members,
        "unique_id": "source.lineage_lab.app.visits",
        "metadata": {**members["metadata"], "name": "raw_visits"},
        "columns": {"visited_at": {"type": "TIMESTAMP", "index": 1, "name": "visited_at", "comment": None}},
    }
    ingest_lab(catalog=catalog)
    declared = Column.objects.get(urn=f"{VISITS}:visited_at")
    assert (declared.pk, declared.origin, declared.data_type) == (inferred.pk, "catalog", "TIMESTAMP")
    assert (f"{VISITS}:visited_at", f"{M}.visit_counts:last_visit_at") in edges()
    # still read, still not in the catalog: still inferred
    assert origin_of(f"{VISITS}:member_id") == ("usage", None)


def test_inferred_columns_count_in_no_documentation_figure(ingest_lab):
    from conformance.models import Violation

    ingest_lab()
    inferred = set(Column.objects.filter(origin__in=["sql", "usage"]).values_list("id", flat=True))
    assert inferred
    flagged = set(
        Violation.objects.filter(column_id__in=inferred, rule__category="documentation").values_list(
            "column_id", flat=True
        )
    )
    assert flagged == set()


def test_pages_and_api_say_where_a_column_came_from(ingest_lab, steward_client, api_client):
    ingest_lab()
    html = steward_client.get(f"/capsules/{M}.base_members/").content.decode()
    assert html.count('class="badge badge-inferred"') == 5
    assert ">inferred from SQL</span>" in html
    html = steward_client.get(f"/columns/{VISITS}:visited_at/").content.decode()
    assert ">inferred from usage</span>" in html and "SQL downstream reads it" in html
    body = api_client.get(f"/api/v1/columns/{VISITS}:visited_at").json()
    assert body["origin"] == "usage"
    listed = api_client.get("/api/v1/columns", {"search": "joined_on"}).json()["results"]
    assert {(c["urn"], c["origin"]) for c in listed} >= {(f"{M}.base_members:joined_on", "sql")}
    declared = api_client.get(f"/api/v1/columns/{M}.member_summary:member_id").json()
    assert declared["origin"] == "catalog"
    usage = api_client.get("/api/v1/columns", {"origin": "usage"}).json()["results"]
    assert sorted(c["name"] for c in usage) == ["ip_address", "member_id", "visited_at"]


def test_inferred_pii_in_a_mart_is_exposed_but_never_a_declaration_finding(ingest_lab, lab_catalog):
    from conformance.models import Violation

    # A mart missing from the catalog: every column of member_summary is inferred from its SQL.
    catalog = copy.deepcopy(lab_catalog)
    catalog["nodes"].pop("model.lineage_lab.member_summary")
    ingest_lab(catalog=catalog)
    email = Column.objects.get(urn=f"{M}.member_summary:email")
    assert (email.origin, email.pii_type) == ("sql", "email")
    rules = set(Violation.objects.filter(column=email, status="open").values_list("rule__rule_id", flat=True))
    assert "PII-002" in rules  # unmasked personal data in a mart: a fact of the data
    assert not rules & {"PII-001", "PII-004", "PII-005"}  # declarations: nothing was declared, nothing is judged
