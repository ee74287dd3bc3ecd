"""`dab diff dbt`, POST /api/v1/diff/dbt and the preview behind them, on two real builds of acme_shop: the
committed one (stored by a real ingestion) and the pull request in tests/data/acme_shop_pr."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from catalog.models import Capsule, Column
from conformance.models import ScoreSnapshot, Violation
from ingestion.changes.formats import render
from ingestion.changes.services import ArtifactSet, DiffError, diff_run
from ingestion.models import IngestionJob
from ingestion.services import Artifact
from ingestion.tests.conftest import DATA_DIR, SAMPLE_TARGET_DIR

pytestmark = pytest.mark.django_db(transaction=False)
HEAD_DIR = DATA_DIR / "acme_shop_pr"


def artifacts(folder, *, catalog=True) -> ArtifactSet:
    return ArtifactSet(
        manifest=Artifact.from_path("manifest", folder / "manifest.json"),
        catalog=Artifact.from_path("catalog", folder / "catalog.json") if catalog else None,
    )


@pytest.fixture
def stored(ingest):
    job = ingest(
        manifest=SAMPLE_TARGET_DIR / "manifest.json",
        catalog=SAMPLE_TARGET_DIR / "catalog.json",
        run_results=SAMPLE_TARGET_DIR / "run_results.json",
    )
    assert job.status == "completed", job.error_message
    return job


def snapshot_of_store():
    return (
        sorted(Capsule.objects.values_list("urn", "content_hash")),
        Column.objects.count(),
        sorted(Violation.objects.values_list("fingerprint", "status")),
        ScoreSnapshot.objects.count(),
        IngestionJob.objects.count(),
    )


@pytest.fixture
def report(stored):
    before = snapshot_of_store()
    result = diff_run(head=artifacts(HEAD_DIR))
    assert snapshot_of_store() == before, "the preview stored something"
    return result


def test_report_against_stored_names_breaking_changes(report):
    found = {(b.kind, b.name, b.column): b.severity for b in report.breaking}
    assert found == {
        ("contract_broken", "fct_payments", None): "error",
        ("type_narrowed", "stg_order_items", "quantity"): "error",
        ("column_removed", "dim_customers v2", "customer_segment"): "warning",
        ("type_narrowed", "fct_order_items", "quantity"): "warning",
        ("type_narrowed", "fct_order_items", "line_amount"): "warning",
        ("type_narrowed", "fct_order_items", "line_margin"): "warning",
    }
    (rename,) = report.diff.of_kind("capsule_renamed")
    assert (rename.before, rename.name) == ("customer_orders_summary", "fct_customer_orders_summary")
    (column_rename,) = report.diff.of_kind("column_renamed")
    assert (column_rename.before, column_rename.column) == ("phone", "phone_number")
    # nothing but what the pull request changed (stored bookkeeping such as PII fingerprints is not a change)
    assert not [c for c in report.diff.changes if c.aspect == "config"]


def test_report_pii_delta_finds_the_leak(report):
    exposed = {(p["capsule"], p["column"], p["reaches"]) for p in report.pii["newly_exposed"]}
    assert exposed == {("fct_orders", "customer_email", "mart"), ("fct_orders", "customer_email", "exposure")}
    (via,) = [p for p in report.pii["newly_exposed"] if p["reaches"] == "exposure"]
    assert via["exposures"] == ["weekly_sales_dashboard"] and via["pii_type"] == "email"
    assert report.pii["masking_removed"] == []
    # the renamed phone column is not new PII: it is the same column under another name
    assert [(p["capsule"], p["column"]) for p in report.pii["new_pii"]] == [("fct_orders", "customer_email")]


def test_report_conformance_delta_introduced_and_resolved(report):
    conformance = report.conformance
    introduced = {(v["rule_id"], v["capsule"], v["column"]) for v in conformance["introduced"]}
    assert ("PII-002", "fct_orders", "customer_email") in introduced
    resolved = {(v["rule_id"], v["capsule"]) for v in conformance["resolved"]}
    assert ("DBT-S01", "customer_orders_summary") in resolved  # the naming slip, fixed by the rename
    assert conformance["score_before"] is not None and conformance["score_after"] is not None
    assert conformance["score_before"] == ScoreSnapshot.objects.order_by("-evaluated_at").first().score


def test_markdown_fits_a_pull_request_comment(report):
    text = render(report, fmt="markdown")
    above_fold = text.split("<details>")[0].splitlines()
    assert len(above_fold) <= 60
    assert "**2 breaking errors, 4 warnings**" in text
    assert "`stg_order_items.quantity` type narrowed" in text
    assert "`fct_orders.customer_email` (email) newly reaches exposure(s) weekly\\_sales\\_dashboard unmasked" in text
    assert "`customer_orders_summary` renamed to `fct_customer_orders_summary` (same file checksum)" in text
    assert "<script" not in text


def test_json_sarif_and_junit_say_the_same(report):
    document = json.loads(render(report, fmt="json"))
    assert document["summary"]["breaking_errors"] == 2 and document["summary"]["capsules_renamed"] == 1
    sarif = json.loads(render(report, fmt="sarif"))
    results = sarif["runs"][0]["results"]
    assert sarif["version"] == "2.1.0"
    by_rule = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results}
    assert ("breaking/type_narrowed", "models/staging/shop/stg_order_items.sql") in by_rule
    assert ("breaking/contract_broken", "models/marts/finance/fct_payments.sql") in by_rule
    assert ("pii/newly_exposed", "models/marts/sales/fct_orders.sql") in by_rule
    assert ("conformance/PII-002", "models/marts/sales/fct_orders.sql") in by_rule
    assert {r["level"] for r in results if r["ruleId"] == "breaking/contract_broken"} == {"error"}
    junit = ET.fromstring(render(report, fmt="junit"))
    suites = {s.get("name"): s for s in junit.iter("testsuite")}
    assert suites["breaking changes"].get("failures") == "6"
    assert suites["pii"].get("failures") == "2"
    assert int(suites["conformance"].get("failures")) == len(report.conformance["introduced"])


def test_two_artifact_sets_compare_without_anything_stored():
    result = diff_run(head=artifacts(HEAD_DIR), base=artifacts(SAMPLE_TARGET_DIR))
    assert not Capsule.objects.exists() and not IngestionJob.objects.exists()
    assert {(b.kind, b.name) for b in result.breaking if b.severity == "error"} == {
        ("contract_broken", "fct_payments"),
        ("type_narrowed", "stg_order_items"),
    }
    assert result.base_label.endswith("target/manifest.json")


def test_nothing_stored_for_the_project_is_a_clear_error():
    with pytest.raises(DiffError, match="stored nothing for the project 'acme_shop'"):
        diff_run(head=artifacts(HEAD_DIR))


def test_command_fail_on_breaking_exits_1(stored, tmp_path, capsys):
    out = tmp_path / "report.sarif"
    with pytest.raises(SystemExit) as exit_info:
        call_command("diff_dbt", head=str(HEAD_DIR / "manifest.json"), head_catalog=str(HEAD_DIR / "catalog.json"),
                     format="sarif", output=str(out), fail_on=["breaking"])  # fmt: skip
    assert exit_info.value.code == 1
    assert json.loads(out.read_text())["runs"][0]["results"]


def test_command_passes_the_gate_when_nothing_breaks(stored, capsys):
    call_command("diff_dbt", head=str(SAMPLE_TARGET_DIR / "manifest.json"), format="json", fail_on=["breaking", "pii"],
                 no_evaluate=True)  # fmt: skip
    document = json.loads(capsys.readouterr().out)
    assert document["breaking"] == [] and document["changes"] == []


def test_command_refuses_a_base_catalog_without_a_base(stored):
    with pytest.raises(CommandError, match="--base-catalog needs --base"):
        call_command("diff_dbt", head=str(HEAD_DIR / "manifest.json"), base_catalog="x.json")


def upload(path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/json")


def test_api_answers_the_report(stored, api_client):
    response = api_client.post(
        "/api/v1/diff/dbt",
        {"head_manifest": upload(HEAD_DIR / "manifest.json"), "head_catalog": upload(HEAD_DIR / "catalog.json")},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["summary"]["breaking_errors"] == 2 and body["base"] == "stored"
    assert body["pii"]["newly_exposed"] and body["conformance"]["introduced"]  # evaluated unless told not to
    assert Capsule.objects.filter(name="fct_customer_orders_summary").count() == 0


def test_api_markdown_and_errors(stored, api_client, anon_api_client):
    response = api_client.post(
        "/api/v1/diff/dbt",
        {"head_manifest": upload(HEAD_DIR / "manifest.json"), "format": "markdown", "source_system": "nope"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "stored nothing for the project 'nope'" in response.json()["error"]["message"]
    fields = {"head_manifest": upload(HEAD_DIR / "manifest.json"), "format": "markdown", "evaluate": "false"}
    response = api_client.post("/api/v1/diff/dbt", fields, format="multipart")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
    assert b"## DAB change report: acme\\_shop" in response.content
    bad = SimpleUploadedFile("manifest.json", b"{not json", content_type="application/json")
    response = api_client.post("/api/v1/diff/dbt", {"head_manifest": bad}, format="multipart")
    assert response.status_code == 400 and "manifest" in response.json()["error"]["message"]
    assert anon_api_client.post("/api/v1/diff/dbt", {}, format="multipart").status_code == 401


def test_head_read_reuses_the_base_only_where_the_database_digests_match(stored):
    """The preview reads its head ``like`` the base: columns and SQL the database's digests show unchanged are the
    base's very objects (kept packed until used), the rest is read again; either way the head is what a full read
    of the stored project gives."""
    if connection.vendor != "postgresql":
        pytest.skip("the digests are computed by PostgreSQL; elsewhere every read is a full one")
    from catalog.models import SourceSystem
    from ingestion.changes.selectors import project_state_read

    system = SourceSystem.objects.get()
    base = project_state_read(source_system=system, lazy_sql=True, lazy_columns=True)
    assert base.packed, "the base's columns are kept packed"
    typed = Column.objects.filter(capsule__name="stg_customers", data_type__isnull=False).order_by("name").first()
    masked = Column.objects.filter(capsule__name="fct_orders", pii_type__isnull=True).order_by("name").first()
    Column.objects.filter(pk=typed.pk).update(data_type="varchar(3)")
    Column.objects.filter(pk=masked.pk).update(pii_type="email", pii_masked=True)  # a PII fact alone moves it too
    resql = Capsule.objects.get(name="stg_orders")
    Capsule.objects.filter(pk=resql.pk).update(compiled_sql=resql.compiled_sql + "\n-- changed")

    head = project_state_read(source_system=system, like=base)
    full = project_state_read(source_system=system)
    moved = {typed.capsule.urn, masked.capsule.urn}
    for urn, capsule in full.capsules.items():
        assert head.columns_of(urn) == capsule.columns, urn
        if capsule.columns:  # (a capsule without columns has nothing to share)
            assert (head.capsules[urn].columns is base.capsules[urn].columns) is (urn not in moved), urn
    assert head.capsules[typed.capsule.urn].columns[typed.name.lower()].data_type == "varchar(3)"
    assert base.capsules[typed.capsule.urn].columns[typed.name.lower()].data_type == typed.data_type
    assert head.capsules[masked.capsule.urn].columns[masked.name.lower()][4:] == ("email", True)
    assert head.compiled_sql(resql.urn).endswith("-- changed") and head.has_catalog == full.has_catalog
    assert base.compiled_sql(resql.urn) == head.compiled_sql(resql.urn)  # read now: the stored text (not rolled back)
    unchanged = Capsule.objects.get(name="stg_payments").urn
    assert head.capsules[unchanged].compiled_sql is None  # the base's, fetched when asked
    assert head.compiled_sql(unchanged) == full.compiled_sql(unchanged)
    # rows: an unchanged one is the base's capsule copied (its tests the same object), a changed one is read again
    assert head.capsules[unchanged].tests is base.capsules[unchanged].tests
    assert head.capsules[resql.urn].tests is not base.capsules[resql.urn].tests
    assert head.capsules[resql.urn].sql_digest != base.capsules[resql.urn].sql_digest
    facts = lambda state: {u: replace(c, compiled_sql=None, columns={}) for u, c in state.capsules.items()}  # noqa: E731
    assert facts(head) == facts(full)  # every other fact as a full read gives it


@pytest.mark.django_db(transaction=True)
def test_a_stored_base_read_beside_the_heads_load_gives_the_same_report(stored, monkeypatch):
    """On PostgreSQL, outside any caller's transaction, the stored base is read on a second connection while the
    head loads: the report is the one the serial read gives, nothing is stored, and the thread's connection is
    closed."""
    import ingestion.changes.services as services

    if connection.vendor != "postgresql":
        pytest.skip("the base is read beside the load on PostgreSQL only")
    threads: list[str] = []
    own_connection = services._own_connection

    def spying(read):
        run = own_connection(read)

        def wrapped():
            import threading

            threads.append(threading.current_thread().name)
            return run()

        return wrapped

    monkeypatch.setattr(services, "_own_connection", spying)
    # Connections already open (the session's live server thread, after the browser tests) are not the reader's.
    already = _other_backends()
    before = snapshot_of_store()
    beside = diff_run(head=artifacts(HEAD_DIR))
    assert threads and threads[0] != "MainThread"
    assert snapshot_of_store() == before, "the preview stored something"
    monkeypatch.setattr(services, "_can_read_beside", lambda: False)
    serial = diff_run(head=artifacts(HEAD_DIR))
    assert len(threads) == 1
    assert render(beside, fmt="json") == render(serial, fmt="json")
    assert beside.breaking and beside.conformance["introduced"] and beside.pii["new_pii"]
    # A closed connection's backend exits just after the client hangs up: on a loaded machine pg_stat_activity can
    # still list it for a moment, so wait a little; a connection left open stays listed.
    deadline = time.monotonic() + 10
    while True:
        others = _other_backends() - already
        if not others or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not others, "the reading thread left its connection open"


def _other_backends() -> set[int]:
    """The pids of the other client connections to the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'"
        )
        return {pid for (pid,) in cursor.fetchall()}
