"""PII propagation along column lineage, exposure and trace: on hand-built chains and on the acme_shop sample
(checked against examples/acme_shop/expected.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from catalog.models import Capsule, Column, SourceSystem
from lineage.models import CapsuleLineage, ColumnLineage
from pii.carries import edge_flow
from pii.selectors import pii_exposure_list, pii_trace
from pii.services import column_pii_decide, pii_classify_columns, pii_propagate

EXPECTED = Path(__file__).resolve().parents[2] / "examples" / "acme_shop" / "expected.yml"
# expected.yml's vocabulary -> the types DAB may give (its "address" covers postal codes).
TYPES = {"name": {"person_name"}, "email": {"email"}, "phone": {"phone"}, "date_of_birth": {"date_of_birth"},
         "address": {"address", "postal_code"}, "ssn": {"national_id"}, "credit_card": {"card_number"},
         "ip_address": {"ip_address"}, "device_id": {"device_id"}, "free_text": {"personal_data"}}


# ---------------------------------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("transformation", "carries_value", "carries", "masks"),
    [("direct", True, True, False), ("aggregated", True, True, False), ("aggregated", False, False, False),
     ("derived", False, False, False), ("hashed", False, False, True), ("hashed", True, False, True)],
)
def test_edge_flow_reads_the_extractors_flag_and_a_hash_masks(transformation, carries_value, carries, masks):
    flow = edge_flow(transformation, carries_value)
    assert (flow.carries, flow.masks) == (carries, masks)


# ---------------------------------------------------------------------------------------------------- hand-built


class Chain:
    """A small catalog built row by row: capsules with columns and column edges between them."""

    def __init__(self):
        self.system = SourceSystem.objects.create(name="chain", source_type="dbt")
        self.capsules: dict[str, Capsule] = {}
        self.columns: dict[str, Column] = {}

    def capsule(self, name: str, *, layer: str = "staging", capsule_type: str = "model") -> Capsule:
        capsule = Capsule.objects.create(urn=f"urn:dab:dbt:{capsule_type}:chain.{name}", name=name, layer=layer,
                                         capsule_type=capsule_type, source_system=self.system)
        self.capsules[name] = capsule
        return capsule

    def column(self, capsule: str, name: str, *, data_type: str = "varchar", **fields) -> Column:
        owner = self.capsules[capsule]
        col = Column.objects.create(urn=f"{owner.urn}:{name}", name=name, capsule=owner, data_type=data_type,
                                    **fields)
        self.columns[f"{capsule}.{name}"] = col
        return col

    def edge(self, source: str, target: str, kind: str, expression: str = "", *, carries: bool = True) -> None:
        """An edge as the extractor stores it: ``carries`` is its verdict on whether the value travels."""
        a, b = self.columns[source], self.columns[target]
        ColumnLineage.objects.create(source_urn=a.urn, target_urn=b.urn, source_column=a, target_column=b,
                                     transformation_type=kind, transformation_expr=expression or None,
                                     carries_value=carries and kind != "hashed")

    def run(self):
        pii_classify_columns(source_system_id=self.system.pk)
        return pii_propagate()

    def get(self, key: str) -> Column:
        return Column.objects.get(pk=self.columns[key].pk)


@pytest.fixture
def chain(db) -> Chain:
    """src.c1 (meta: email) -> stg.c2 (derived) -> int.c3 (direct) -> mart.c4 (hashed) -> out.c5 (direct),
    plus aggregates and a window off src.c1. Column names say nothing, so only lineage can speak."""
    c = Chain()
    c.capsule("src", layer="raw", capsule_type="source")
    for name, layer in (("stg", "staging"), ("int", "intermediate"), ("mart", "marts"), ("out", "marts")):
        c.capsule(name, layer=layer)
    c.column("src", "c1", meta={"pii": "email"})
    c.column("stg", "c2")
    c.column("int", "c3")
    c.column("mart", "c4")
    c.column("out", "c5")
    c.column("stg", "c6")
    c.column("stg", "c7", data_type="bigint")
    c.column("stg", "c8", data_type="bigint")
    c.edge("src.c1", "stg.c2", "derived", "LOWER(c1)")
    c.edge("stg.c2", "int.c3", "direct", "c2")
    c.edge("int.c3", "mart.c4", "hashed", "SHA2(c3, 256)")
    c.edge("mart.c4", "out.c5", "direct", "c4")
    c.edge("src.c1", "stg.c6", "aggregated", "MAX(c1)")
    c.edge("src.c1", "stg.c7", "aggregated", "COUNT(DISTINCT c1)", carries=False)
    c.edge("src.c1", "stg.c8", "derived", "ROW_NUMBER() OVER (PARTITION BY c1 ORDER BY c1)", carries=False)
    return c


def lineage_of(col: Column) -> list[dict]:
    return [e for e in col.pii_evidence if e["signal"] == "lineage"]


def test_propagation_follows_a_multi_hop_chain_with_its_path(chain):
    run = chain.run()
    c2, c3 = chain.get("stg.c2"), chain.get("int.c3")
    assert (c2.pii_type, c2.pii_masked, c2.pii_detected_by, c2.pii_confidence) == ("email", False, "lineage", 0.85)
    assert (c3.pii_type, c3.pii_masked, c3.pii_confidence) == ("email", False, 0.85)
    (evidence,) = lineage_of(c3)
    assert evidence["path"] == [chain.columns["src.c1"].urn, chain.columns["stg.c2"].urn]
    assert (evidence["source"], evidence["transformation"]) == (chain.columns["stg.c2"].urn, "direct")
    assert run.as_dict()["pii_by_lineage"] == 4  # c2, c3, c4 (masked), c6


def test_propagation_stops_at_a_hash(chain):
    chain.run()
    c4, c5 = chain.get("mart.c4"), chain.get("out.c5")
    assert (c4.pii_type, c4.pii_masked) == ("email", True)
    assert lineage_of(c4)[0]["masked"] is True
    assert c5.pii_type is None and c5.pii_evidence == []


def test_min_max_carry_the_value_and_counts_and_ranks_stop_it(chain):
    chain.run()
    assert (chain.get("stg.c6").pii_type, chain.get("stg.c6").pii_confidence) == ("email", 0.8)
    c7, c8 = chain.get("stg.c7"), chain.get("stg.c8")
    assert c7.pii_type is None and c8.pii_type is None
    assert lineage_of(c7)[0]["weight"] == 0.0 and "COUNT(DISTINCT c1)" in lineage_of(c7)[0]["detail"]
    assert lineage_of(c8)[0]["weight"] == 0.0 and "ROW_NUMBER()" in lineage_of(c8)[0]["detail"]


def test_confidence_decays_along_derived_hops(db):
    c = Chain()
    previous = None
    for i in range(6):
        c.capsule(f"m{i}", layer="raw" if i == 0 else "staging")
        c.column(f"m{i}", "customer_email" if i == 0 else f"x{i}")
        if previous:
            c.edge(previous, f"m{i}.x{i}", "derived", "TRIM(v)")
        previous = f"m{i}.{'customer_email' if i == 0 else f'x{i}'}"
    c.run()
    confidences = [c.get(f"m{i}.x{i}").pii_confidence for i in range(1, 6)]
    types = [c.get(f"m{i}.x{i}").pii_type for i in range(1, 6)]
    # 0.85 by name, then x0.85 a hop: a chain of guesses fades under the threshold and stops there.
    assert confidences[:4] == sorted(confidences[:4], reverse=True)
    assert types == ["email", "email", "email", None, None]
    assert 0 < confidences[3] < 0.5 and confidences[4] is None


def test_unchanged_propagation_writes_nothing(chain):
    chain.run()
    assert chain.run().written == 0


def test_stale_propagation_is_removed(chain):
    chain.run()
    ColumnLineage.objects.filter(source_column=chain.columns["src.c1"], target_column=chain.columns["stg.c2"]).delete()
    run = chain.run()
    c2, c3 = chain.get("stg.c2"), chain.get("int.c3")
    assert c2.pii_type is None and lineage_of(c2) == []
    assert c3.pii_type is None and lineage_of(c3) == []
    assert chain.get("mart.c4").pii_type is None
    assert run.stale >= 3


def test_a_rejected_column_is_not_pii_and_passes_nothing_on(chain):
    chain.run()
    column_pii_decide(column=chain.get("stg.c2"), decision="rejected", actor="steward")  # re-propagates
    c2, c3 = chain.get("stg.c2"), chain.get("int.c3")
    assert (c2.pii_type, c2.pii_detected_by) == (None, "steward")
    assert lineage_of(c2)  # what lineage said stays on record under the decision
    assert c3.pii_type is None


def test_a_confirmed_column_propagates_the_stewards_type(db):
    c = Chain()
    c.capsule("a", layer="raw", capsule_type="source")
    c.capsule("b")
    c.column("a", "code")
    c.column("b", "code2")
    c.edge("a.code", "b.code2", "renamed", "code")
    c.run()
    assert c.get("b.code2").pii_type is None
    column_pii_decide(column=c.get("a.code"), decision="confirmed", pii_type="national_id", actor="steward")
    assert (c.get("b.code2").pii_type, c.get("b.code2").pii_detected_by) == ("national_id", "lineage")


def test_propagation_never_overrides_a_stewards_rejection_downstream(chain):
    column_pii_decide(column=chain.get("int.c3"), decision="rejected", actor="steward")
    chain.run()
    assert chain.get("int.c3").pii_type is None
    assert chain.get("mart.c4").pii_type is None


def test_propagation_survives_a_cycle(db):
    c = Chain()
    c.capsule("a", layer="raw")
    c.capsule("b")
    c.column("a", "customer_email")
    c.column("b", "y")
    c.column("a", "z")
    c.edge("a.customer_email", "b.y", "direct", "v")
    c.edge("b.y", "a.z", "direct", "v")
    c.edge("a.z", "b.y", "direct", "v")
    c.run()
    assert c.get("b.y").pii_type == "email"


def test_propagation_runs_a_fixed_number_of_queries(chain, django_assert_max_num_queries):
    chain.run()
    with django_assert_max_num_queries(8):
        pii_propagate()


# ---------------------------------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def expected() -> dict:
    return yaml.safe_load(EXPECTED.read_text())


def by_unique_id() -> dict[tuple[str, str], Column]:
    return {(c.capsule.unique_id, c.name.lower()): c for c in Column.objects.select_related("capsule")}


@pytest.mark.django_db
def test_sample_pii_matches_the_truth_file(sample_project, expected):
    columns = by_unique_id()
    wrong = []
    for item in expected["pii_columns"]:
        col = columns[(item["node"], item["column"])]
        if col.pii_type not in TYPES[item["pii_type"]] or col.pii_masked != item["masked"]:
            wrong.append((item["node"], item["column"], col.pii_type, col.pii_masked))
    assert wrong == []


@pytest.mark.django_db
def test_sample_has_no_pii_outside_the_truth_file(sample_project, expected):
    listed = {(i["node"], i["column"]) for i in expected["pii_columns"]}
    ambiguous = {a["column"] for a in expected["ambiguous"]}
    extra = [key for key, col in by_unique_id().items()
             if col.pii_type and key not in listed and key[1] not in ambiguous]
    assert extra == []


@pytest.mark.django_db
def test_sample_lookalikes_are_not_pii(sample_project, expected):
    columns = by_unique_id()
    flagged = [(node, item["column"]) for item in expected["non_pii_lookalikes"] for node in item["nodes"]
               if columns[(node, item["column"])].pii_type]
    assert flagged == []


@pytest.mark.django_db
def test_sample_propagation_stops_at_md5_and_sha2(sample_project):
    columns = by_unique_id()
    email_hash = columns[("model.acme_shop.dim_marketing_audience", "email_hash")]
    (hashed,) = [e for e in email_hash.pii_evidence if e["signal"] == "lineage"]
    assert (email_hash.pii_type, email_hash.pii_masked) == ("email", True)
    assert hashed["transformation"] == "hashed"
    assert hashed["path"] == ["urn:dab:dbt:source:acme_shop.shop.customers:email",
                              "urn:dab:dbt:model:acme_shop.stg_customers:email"]
    device_hash = columns[("model.acme_shop.fct_web_sessions", "device_hash")]
    (hashed,) = [e for e in device_hash.pii_evidence if e["signal"] == "lineage"]
    assert (device_hash.pii_type, device_hash.pii_masked) == ("device_id", True)
    # three columns from the raw source: web_events -> stg_web_events -> int_web_sessions, then sha256
    assert (hashed["transformation"], len(hashed["path"])) == ("hashed", 3)


@pytest.mark.django_db
def test_sample_count_distinct_does_not_carry_the_postal_code(sample_project):
    zips = by_unique_id()[("model.acme_shop.customer_orders_summary", "zip_code_count")]
    assert zips.pii_type is None
    assert any(e["signal"] == "lineage" and e["weight"] == 0.0 for e in zips.pii_evidence)


@pytest.mark.django_db
def test_sample_exposure_matches_the_truth_file(sample_project, expected):
    exposed = {(i.column.capsule.unique_id, i.column.name) for i in pii_exposure_list()}
    in_marts = {(s["node"], column) for s in expected["slips"] if s["rule"] == "unmasked_pii_in_mart"
                for column in s["columns"]}
    assert exposed == in_marts


@pytest.mark.django_db
def test_sample_exposure_names_the_exposure_and_the_path(sample_project, expected):
    (slip,) = [s for s in expected["slips"] if s["rule"] == "unmasked_pii_in_exposure"]
    read = {i.column.name: i for i in pii_exposure_list() if i.exposures}
    assert set(read) == set(slip["columns"])
    email = read["email"]
    assert [e["urn"] for e in email.exposures] == ["urn:dab:dbt:exposure:acme_shop.crm_customer_export"]
    assert email.origin == "urn:dab:dbt:source:acme_shop.shop.customers:email"
    assert email.path[-1] == "urn:dab:dbt:model:acme_shop.dim_customers.v2:email"
    clean = "exposure.acme_shop.churn_prediction_notebook"
    assert all(e["urn"] != f"urn:dab:dbt:exposure:{clean.split('.', 1)[1]}" for i in read.values()
               for e in i.exposures)


@pytest.mark.django_db
def test_sample_trace_of_a_staging_email(sample_project):
    trace = pii_trace(urn="urn:dab:dbt:model:acme_shop.stg_customers:email")
    assert trace.origins == ["urn:dab:dbt:source:acme_shop.shop.customers:email"]
    model = "urn:dab:dbt:model:acme_shop"
    hops = {h.target: h for h in trace.downstream}
    assert hops[f"{model}.dim_customers.v2:email"].carries and hops[f"{model}.dim_customers.v1:email"].carries
    email_hash = hops[f"{model}.dim_marketing_audience:email_hash"]
    assert email_hash.masks and not email_hash.carries
    assert {e["name"] for e in trace.exposures} == {"crm_customer_export", "churn_prediction_notebook"}
    assert trace.upstream[0].transformation == "derived"


@pytest.mark.django_db
def test_trace_of_an_unknown_column_is_none(sample_project):
    assert pii_trace(urn="urn:dab:dbt:model:acme_shop.nope:x") is None


@pytest.mark.django_db
def test_exposure_needs_an_exposure_edge_or_a_consumption_layer(chain):
    chain.run()
    assert pii_exposure_list() == []  # c3 is PII but intermediate; c4 in a mart is masked
    exposure = chain.capsule("dash", layer="consumption", capsule_type="exposure")
    CapsuleLineage.objects.create(source=chain.capsules["int"], target=exposure, source_urn=chain.capsules["int"].urn,
                                  target_urn=exposure.urn)
    (item,) = pii_exposure_list()
    assert item.column.pk == chain.columns["int.c3"].pk
    assert item.exposures[0]["urn"] == exposure.urn
    assert item.path[0] == chain.columns["src.c1"].urn


def test_a_decision_repropagates_its_downstream_only(chain, django_assert_max_num_queries):
    """The decision on src.c1 reaches c2, c3, c4 and c6 again; a column it cannot reach keeps what is stored even
    when a whole-catalog propagation would change it (here: lineage evidence made stale by hand)."""
    chain.capsule("other", layer="staging")
    chain.column("other", "x1", meta={"pii": "phone"})
    chain.column("other", "x2")
    chain.edge("other.x1", "other.x2", "direct", "x1")
    chain.run()
    assert chain.get("other.x2").pii_type == "phone"
    Column.objects.filter(pk=chain.columns["other.x2"].pk).update(pii_type=None, pii_detected_by=None)

    column_pii_decide(column=chain.get("src.c1"), decision="rejected", actor="steward")
    assert chain.get("stg.c2").pii_type is None and chain.get("int.c3").pii_type is None
    assert chain.get("other.x2").pii_type is None  # outside the decision's reach: left as stored

    chain.run()  # a whole-catalog run does reach it
    assert chain.get("other.x2").pii_type == "phone"


def test_a_scoped_propagation_reads_its_scope_in_a_fixed_number_of_queries(chain, django_assert_max_num_queries):
    chain.run()
    with django_assert_max_num_queries(12):
        pii_propagate(column_ids=[chain.columns["src.c1"].pk])


@pytest.mark.django_db
def test_inferred_columns_of_a_few_capsules_are_classified_from_those_capsules_facts_alone(ingest, monkeypatch):
    """Propagation's classification of the inferred columns of what changed reads only those capsules' facts (not
    the project's) and, asked for no counts, does not count the project's PII columns; it classifies the same."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.choices import INFERRED_ORIGINS
    from pii import services

    lab = Path(__file__).resolve().parents[2] / "lineage" / "tests" / "data" / "lineage_lab" / "target"
    ingest(manifest=lab / "manifest.json", catalog=lab / "catalog.json")  # ephemeral models: inferred columns
    inferred = Column.objects.filter(origin__in=INFERRED_ORIGINS)
    capsule = inferred.order_by("urn").first().capsule
    system = capsule.source_system_id
    read: list[int] = []
    real = services.capsule_pii_facts

    def counting(**kwargs):
        facts = real(**kwargs)
        read.append(len(facts))
        return facts

    monkeypatch.setattr(services, "capsule_pii_facts", counting)
    with CaptureQueriesContext(connection) as queries:
        run = pii_classify_columns(source_system_id=system, origins=INFERRED_ORIGINS, capsule_ids=[capsule.pk],
                                   counts=False)  # fmt: skip
    assert read == [1]
    assert not any("pii_detected_by" in q["sql"] and "COUNT(" in q["sql"] for q in queries.captured_queries)
    assert run.columns == inferred.filter(capsule=capsule).count() > 0
    assert run.written == 0 and (run.pii, run.by_signal) == (0, {})
    # the whole project's classification of the same columns (every capsule's facts read) finds the same
    whole = pii_classify_columns(source_system_id=system, origins=INFERRED_ORIGINS)
    assert whole.written == 0 and whole.columns == inferred.filter(capsule__source_system_id=system).count()
