"""Ingestion end to end through the real service and database: what is stored, diffs, atomicity, bad input."""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.utils import timezone

from catalog.choices import INFERRED_ORIGINS
from catalog.models import Capsule, Column, Domain, Owner, SourceSystem
from ingestion.models import IngestionJob
from ingestion.tests.conftest import DATA_DIR, SAMPLE_TARGET_DIR, snapshot
from lineage.models import SQL_ONLY_EDGE, CapsuleLineage

pytestmark = pytest.mark.django_db

EXPECTED = yaml.safe_load((SAMPLE_TARGET_DIR.parent / "expected.yml").read_text())
ACME = "urn:dab:dbt:model:acme_shop"


# -- what the sample project stores ---------------------------------------------------------------------


def test_sample_project_stores_what_its_artifacts_hold(ingest_sample):
    job = ingest_sample()
    assert job.status == "completed", job.error_message
    counts = EXPECTED["counts"]["manifest"]
    by_type = Counter(Capsule.objects.values_list("capsule_type", flat=True))
    assert by_type["model"] == counts["models"]
    assert by_type["source"] == counts["sources"]
    assert by_type["seed"] == counts["seeds"]
    assert by_type["snapshot"] == counts["snapshots"]
    assert by_type["exposure"] == counts["exposures"]
    assert by_type["metric"] == counts["metrics"]
    assert by_type["semantic_model"] == counts["semantic_models"]
    # Every data test is attached to exactly one capsule: source tests, and the singular one (one parent).
    assert sum(Capsule.objects.values_list("test_count", flat=True)) == counts["data_tests"]
    assert job.stats["tests"]["created"] == counts["data_tests"]
    system = SourceSystem.objects.get()
    assert (system.name, system.source_type, system.meta["adapter_type"]) == ("acme_shop", "dbt", "duckdb")


def test_sample_models_have_their_layer_owner_tests_and_materialization(ingest_sample, sample_manifest):
    ingest_sample()
    # expected.yml counts tests by dbt's attached_node; DAB also attaches a singular test to its only parent.
    singular = Counter(
        node["depends_on"]["nodes"][0]
        for node in sample_manifest["nodes"].values()
        if node["resource_type"] == "test" and not node.get("attached_node") and len(node["depends_on"]["nodes"]) == 1
        and node["depends_on"]["nodes"][0].startswith("model.")
    )  # fmt: skip
    for model in EXPECTED["models"]:
        unique_id = model["node"]
        capsule = Capsule.objects.select_related("owner").get(unique_id=unique_id)
        assert capsule.layer == model["layer"], unique_id
        assert capsule.materialization == model["materialized"], unique_id
        tests = model["tests"] + singular[unique_id]
        assert capsule.test_count == tests, unique_id
        assert capsule.has_tests == (tests > 0), unique_id
        assert len(capsule.tests) == tests
        if model.get("meta_owner"):
            # An owner named by email is the same owner as a group owner with that email.
            field = "email" if "@" in model["meta_owner"] else "name"
            assert getattr(capsule.owner, field) == model["meta_owner"], unique_id


def test_columns_are_the_union_of_manifest_and_catalog(ingest_sample, sample_catalog, sample_manifest):
    ingest_sample()
    stored = set(Column.objects.values_list("urn", flat=True))
    capsule_urns = dict(Capsule.objects.values_list("unique_id", "urn"))
    for unique_id, entry in sample_catalog["nodes"].items():
        for name in entry["columns"]:
            assert f"{capsule_urns[unique_id]}:{name.lower()}" in stored
    for unique_id, node in sample_manifest["nodes"].items():
        if unique_id in capsule_urns:
            for name in node.get("columns", {}):
                assert f"{capsule_urns[unique_id]}:{name.lower()}" in stored
    email = Column.objects.get(urn="urn:dab:dbt:model:acme_shop.stg_customers:email")
    assert email.in_catalog and email.in_manifest
    assert email.data_type == "VARCHAR"  # the warehouse's type, from the catalog
    assert email.has_tests and "not_null" in email.tests


def test_edges_follow_depends_on(ingest_sample, sample_manifest):
    ingest_sample()
    capsule_urns = dict(Capsule.objects.values_list("unique_id", "urn"))
    resources = [
        item
        for kind in ("nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries")
        for item in sample_manifest.get(kind, {}).items()
    ]
    expected = {
        (capsule_urns[parent], capsule_urns[unique_id])
        for unique_id, node in resources
        if unique_id in capsule_urns
        for parent in node.get("depends_on", {}).get("nodes", [])
        if parent in capsule_urns and parent != unique_id
    }
    assert set(CapsuleLineage.objects.values_list("source_urn", "target_urn")) == expected
    exposure_edges = CapsuleLineage.objects.filter(edge_type="exposes", target__name="crm_customer_export")
    assert exposure_edges.filter(source__urn=f"{ACME}.dim_customers.v2").exists()


def test_owners_and_domains_come_from_meta_groups_and_folders(ingest_sample):
    ingest_sample()
    for group in EXPECTED["groups"]:
        owner = Owner.objects.get(name=group["owner_name"])
        assert owner.email == group["owner_email"]
    by_domain = Counter(
        Capsule.objects.filter(capsule_type="model", domain__isnull=False).values_list("domain__name", flat=True)
    )
    assert by_domain == EXPECTED["counts"]["models_by_domain"]


def test_test_statuses_come_from_run_results(ingest_sample):
    ingest_sample()
    statuses = {t["unique_id"]: t["status"] for tests in Capsule.objects.values_list("tests", flat=True) for t in tests}
    for warned in EXPECTED["counts"]["run_results"]["warned_tests"]:
        assert statuses[warned["unique_id"]] == "warn"
    assert Counter(statuses.values())["pass"] >= 80


def test_versioned_models_get_versioned_urns(ingest_sample):
    ingest_sample()
    assert set(Capsule.objects.filter(name="dim_customers").values_list("urn", "version")) == {
        (f"{ACME}.dim_customers.v1", "1"),
        (f"{ACME}.dim_customers.v2", "2"),
    }


# -- re-ingestion ----------------------------------------------------------------------------------------


def test_reingesting_identical_artifacts_changes_nothing(ingest_sample):
    ingest_sample()
    before = snapshot()
    job = ingest_sample(force=True)  # the whole pipeline, not the shortcut for identical artifacts
    assert job.status == "completed"
    for kind in ("capsules", "columns", "edges", "tests"):
        counts = job.stats[kind]
        assert (counts["created"], counts["updated"], counts["removed"]) == (0, 0, 0), kind
        assert counts["unchanged"] > 0
    assert snapshot() == before


def test_changes_are_counted_and_vanished_objects_removed(ingest, ingest_sample, sample_manifest, write_json):
    ingest_sample()
    gone_columns = Column.objects.filter(capsule__unique_id="model.acme_shop.fct_order_items").count()
    assert gone_columns > 0
    manifest = sample_manifest
    del manifest["nodes"]["model.acme_shop.fct_order_items"]  # a model disappears
    for node in manifest["nodes"].values():  # ... and nobody depends on it any more
        node.get("depends_on", {})["nodes"] = [
            n for n in node.get("depends_on", {}).get("nodes", []) if n != "model.acme_shop.fct_order_items"
        ]
    stg = manifest["nodes"]["model.acme_shop.stg_customers"]
    stg["description"] = "Changed description"
    stg["columns"]["email"]["description"] = "Changed column description"
    stg["columns"]["loyalty_tier"] = {"name": "loyalty_tier", "description": "new", "meta": {}, "tags": []}
    job = ingest(
        manifest=write_json("manifest.json", manifest),
        catalog=SAMPLE_TARGET_DIR / "catalog.json",
        run_results=SAMPLE_TARGET_DIR / "run_results.json",
    )
    assert job.status == "completed", job.error_message
    assert job.stats["capsules"]["removed"] == 1
    assert job.stats["capsules"]["updated"] == 1
    assert job.stats["columns"]["created"] == 1
    assert job.stats["columns"]["updated"] == 1
    assert job.stats["columns"]["removed"] == gone_columns
    assert not Capsule.objects.filter(unique_id="model.acme_shop.fct_order_items").exists()
    assert not Column.objects.filter(urn__startswith=f"{ACME}.fct_order_items:").exists()
    assert not CapsuleLineage.objects.filter(target_urn=f"{ACME}.fct_order_items").exists()
    assert Capsule.objects.get(urn=f"{ACME}.stg_customers").description == "Changed description"
    assert Column.objects.get(urn=f"{ACME}.stg_customers:loyalty_tier").description == "new"


def test_removed_columns_of_kept_capsules_are_deleted(
    ingest, ingest_sample, sample_manifest, sample_catalog, write_json
):
    ingest_sample()
    del sample_manifest["nodes"]["model.acme_shop.stg_customers"]["columns"]["phone"]
    del sample_catalog["nodes"]["model.acme_shop.stg_customers"]["columns"]["phone"]
    job = ingest(manifest=write_json("m.json", sample_manifest), catalog=write_json("c.json", sample_catalog))
    assert job.status == "completed", job.error_message
    assert job.stats["columns"]["removed"] == 1
    assert Column.objects.filter(urn=f"{ACME}.stg_customers:email").exists()
    # The declared row went; stg_customers' SQL still selects phone, so column lineage infers it again.
    phone = Column.objects.get(urn=f"{ACME}.stg_customers:phone")
    assert (phone.origin, phone.in_manifest, phone.in_catalog, phone.description) == ("sql", False, False, None)


def test_two_projects_side_by_side_stay_separate(ingest, ingest_sample):
    ingest_sample()
    acme_before = snapshot()["capsules"]
    shop = ingest(manifest=DATA_DIR / "shop_manifest.json", catalog=DATA_DIR / "shop_catalog.json")
    assert shop.status == "completed", shop.error_message
    assert set(SourceSystem.objects.values_list("name", flat=True)) == {"acme_shop", "shop"}
    shop_count = Capsule.objects.filter(source_system__name="shop").count()
    assert shop_count > 0
    # Re-ingesting acme does not remove shop's capsules, and shop's ingest left acme's alone.
    assert ingest_sample(force=True).stats["capsules"]["removed"] == 0
    assert Capsule.objects.filter(source_system__name="shop").count() == shop_count
    acme_now = [row for row in snapshot()["capsules"] if row[0].startswith("urn:dab:dbt:") and row in acme_before]
    assert len(acme_now) == len(acme_before)


def _admin_change(client, obj, **changes):
    """Post the admin change form as a steward would: its current values, with `changes`."""
    url = f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data.update(changes)
    return client.post(url, data)


def test_steward_owner_survives_reingestion_unless_dbt_names_one(ingest_sample, superuser_client):
    ingest_sample()
    steward_owner = Owner.objects.create(name="Steward Team")
    domain = Domain.objects.create(name="stewarded")
    # dim_products has no dbt owner (a deliberate slip); fct_orders has one from its group.
    for name in ("dim_products", "fct_orders"):
        capsule = Capsule.objects.get(urn=f"{ACME}.{name}")
        response = _admin_change(superuser_client, capsule, owner=steward_owner.pk, domain=domain.pk)
        assert response.status_code == 302, response.content.decode()[:3000]
        capsule.refresh_from_db()
        assert capsule.attributes["owner_source"] == "steward"
    ingest_sample()
    products = Capsule.objects.select_related("owner", "domain").get(urn=f"{ACME}.dim_products")
    assert products.owner == steward_owner  # kept: dbt names no owner
    orders = Capsule.objects.select_related("owner", "domain").get(urn=f"{ACME}.fct_orders")
    assert orders.owner.name == "Sales Analytics"  # dbt names an owner: dbt wins
    assert orders.domain.name == "sales"  # and a domain in meta


def test_owner_and_domain_dropped_in_dbt_are_dropped_on_reingest_but_a_stewards_are_kept(
    ingest, ingest_sample, sample_manifest, write_json, superuser_client
):
    ingest_sample()
    owned_before = Capsule.objects.filter(owner__isnull=False).count()
    summary = Capsule.objects.select_related("owner", "domain").get(urn=f"{ACME}.customer_orders_summary")
    assert (summary.owner.email, summary.domain.name) == ("jane.doe@example.com", "customer")
    assert summary.attributes["owner_source"] == summary.attributes["domain_source"] == "dbt"
    # a steward sets the owner and domain of dim_products in DAB; dbt then drops its domain too
    steward_owner, steward_domain = Owner.objects.create(name="Steward Team"), Domain.objects.create(name="stewarded")
    products = Capsule.objects.get(urn=f"{ACME}.dim_products")
    products_had_owner = products.owner_id is not None
    response = _admin_change(superuser_client, products, owner=steward_owner.pk, domain=steward_domain.pk)
    assert response.status_code == 302
    # the project drops owner and domain from customer_orders_summary's and dim_products' meta
    for name in ("customer_orders_summary", "dim_products"):
        node = sample_manifest["nodes"][f"model.acme_shop.{name}"]
        for meta in (node["meta"], node["config"]["meta"]):
            meta.pop("owner", None)
            meta.pop("domain", None)
    job = ingest(manifest=write_json("m.json", sample_manifest), catalog=SAMPLE_TARGET_DIR / "catalog.json")
    assert job.status == "completed", job.error_message
    summary.refresh_from_db()
    # dbt's values follow dbt: no owner; the domain is what the naming conventions infer, if anything
    assert summary.owner_id is None and summary.attributes["owner_source"] is None
    assert summary.attributes["domain_source"] != "dbt", (summary.domain, summary.attributes["domain_source"])
    products.refresh_from_db()
    assert (products.owner_id, products.domain_id) == (steward_owner.pk, steward_domain.pk)  # a steward's stay
    # what ownership rules count: one capsule fewer with an owner than before, the steward's still owned
    unowned = Capsule.objects.filter(capsule_type="model", owner__isnull=True)
    stored_unowned = set(unowned.values_list("name", flat=True))
    assert "customer_orders_summary" in stored_unowned and "dim_products" not in stored_unowned
    assert Capsule.objects.filter(owner__isnull=False).count() == owned_before - 1 + (products_had_owner is False)


# -- atomicity and concurrency ---------------------------------------------------------------------------


def test_a_failure_mid_load_leaves_everything_as_it_was(
    ingest, ingest_sample, monkeypatch, sample_manifest, write_json
):
    ingest_sample()
    before = snapshot()
    sample_manifest["nodes"]["model.acme_shop.stg_customers"]["description"] = "would change"

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("ingestion.loader._load_edges", explode)
    with pytest.raises(RuntimeError):
        ingest(manifest=write_json("m.json", sample_manifest), catalog=SAMPLE_TARGET_DIR / "catalog.json")
    job = IngestionJob.objects.order_by("-started_at").first()
    assert job.status == "failed" and "disk full" in job.error_message
    assert snapshot() == before


def test_an_interrupted_run_rolls_back_and_is_marked_failed(ingest_sample, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("ingestion.loader._load_edges", interrupt)
    with pytest.raises(KeyboardInterrupt):
        ingest_sample()
    job = IngestionJob.objects.get()
    assert (job.status, job.error_message) == ("failed", "interrupted")
    assert not Capsule.objects.exists()


def test_dry_run_stores_nothing_but_reports_what_would_change(ingest_sample):
    job = ingest_sample(dry_run=True)
    assert job.status == "completed"
    assert job.stats["capsules"]["created"] > 40
    assert job.stats["dry_run"].startswith("rolled back")
    assert not Capsule.objects.exists() and not Owner.objects.exists()


def test_a_job_left_running_by_a_killed_process_is_marked_failed(ingest_sample):
    stale = IngestionJob.objects.create(
        source_type="dbt", source_name="acme_shop", config={"pid": 2**22 + 12345, "host": os.uname().nodename}
    )
    job = ingest_sample()
    stale.refresh_from_db()
    assert stale.status == "failed" and "stopped while" in stale.error_message
    assert "nothing was stored" in stale.error_message
    assert any("marked failed" in w for w in job.warnings)


_CHILD_INGEST = """
import sys, django
django.setup()
from ingestion import services
services.ANALYZE_AFTER_CHANGES = 0  # refresh statistics after any load, as after a big project's
target = sys.argv[1]
services.dbt_ingest(
    manifest=services.Artifact.from_path("manifest", target + "/manifest.json"),
    catalog=services.Artifact.from_path("catalog", target + "/catalog.json"),
    run_results=services.Artifact.from_path("run_results", target + "/run_results.json"),
    triggered_by="test",
)
"""


@pytest.mark.django_db(transaction=True)
def test_a_job_killed_during_analyze_after_its_commit_is_completed_with_a_warning(ingest_sample):
    """kill -9 while the ingestion's ANALYZE waits for a lock (a real one, held by another session): the data
    was committed, so the job is completed, and says its statistics are incomplete."""
    if connection.vendor != "postgresql":
        pytest.skip("ANALYZE and table locks are PostgreSQL's")
    import signal
    import subprocess
    import sys

    import psycopg

    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "dab_project.settings_test"}
    with psycopg.connect(url, autocommit=True) as watcher, psycopg.connect(url) as locker:
        # SHARE UPDATE EXCLUSIVE lets the load insert lineage rows but makes ANALYZE of the table wait.
        locker.execute("LOCK TABLE dab.capsule_lineage IN SHARE UPDATE EXCLUSIVE MODE")
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD_INGEST, str(SAMPLE_TARGET_DIR)],
            cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND query ILIKE 'ANALYZE%%' AND wait_event_type = 'Lock'"
                ).fetchone()[0]
                if waiting:
                    break
                assert child.poll() is None, child.communicate()
                time.sleep(0.1)
            else:
                pytest.fail("the ingestion never reached ANALYZE")
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.communicate(timeout=30)
        locker.rollback()
    killed = IngestionJob.objects.get()
    assert killed.status == "running"  # what a kill -9 leaves behind
    stored = Capsule.objects.count()
    assert stored > 40  # committed before the kill
    job = ingest_sample()  # the next ingestion sweeps the stale job
    killed.refresh_from_db()
    assert killed.status == "completed" and killed.error_message is None
    assert any("statistics" in w and "everything is stored" in w for w in killed.warnings), killed.warnings
    assert killed.stats["capsules"]["created"] == stored  # the stats recorded with the data survive
    assert job.status == "completed" and Capsule.objects.count() == stored


def test_an_interruption_after_the_commit_completes_the_job_with_a_warning(ingest_sample, monkeypatch):
    def interrupt(stats):
        raise KeyboardInterrupt

    monkeypatch.setattr("ingestion.services._analyze_after_big_changes", interrupt)
    with pytest.raises(KeyboardInterrupt):
        ingest_sample()
    job = IngestionJob.objects.get()
    assert job.status == "completed" and Capsule.objects.count() == job.stats["capsules"]["created"] > 40
    assert any("statistics" in w and "interrupted" in w for w in job.warnings), job.warnings


@pytest.mark.django_db(transaction=True)
def test_two_ingestions_at_once_are_serialised(ingest_sample, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("serialisation across connections is tested on PostgreSQL (SQLite serialises on its write lock)")
    import ingestion.loader as loader

    real_load = loader.project_load
    spans: list[tuple[float, float]] = []

    def slow_load(*args, **kwargs):
        started = time.monotonic()
        result = real_load(*args, **kwargs)
        time.sleep(1.0)  # still inside the locked transaction
        spans.append((started, time.monotonic()))
        return result

    monkeypatch.setattr("ingestion.services.project_load", slow_load)
    errors = []

    def run():
        try:
            assert ingest_sample().status == "completed"
        except Exception as exc:  # surfaced below
            errors.append((exc, list(IngestionJob.objects.values_list("status", "error_message"))))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    (a_start, a_end), (b_start, b_end) = sorted(spans)
    assert b_start >= a_end  # the second load began only after the first committed
    assert IngestionJob.objects.filter(status="completed").count() == 2


# -- bad input: a clear error, a failed job, nothing changed -------------------------------------------------

BAD_MANIFESTS = {
    "not_json": ("this is not json", "not valid JSON"),
    "truncated": ('{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}, "nodes": {',
                  "truncated"),
    "array": ("[1, 2, 3]", "array"),
    "nodes_list": (json.dumps({"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
                               "nodes": [], "sources": {}}), "nodes"),
    "empty": ("", "empty"),
    "no_nodes": (json.dumps({"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
                             "nodes": {}, "sources": {}}), "no nodes"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_MANIFESTS, ids=list(BAD_MANIFESTS))
def test_bad_manifests_are_rejected_with_a_clear_error(case, ingest, ingest_sample, write_json):
    ingest_sample()
    before = snapshot()
    content, words = BAD_MANIFESTS[case]
    job = ingest(manifest=write_json("manifest.json", content))
    assert job.status == "failed"
    assert words.lower() in job.error_message.lower(), job.error_message
    assert "Traceback" not in job.error_message
    assert snapshot() == before


def test_catalog_given_as_manifest_is_named(ingest):
    job = ingest(manifest=SAMPLE_TARGET_DIR / "catalog.json")
    assert job.status == "failed"
    assert "looks like a dbt catalog.json, not a manifest" in job.error_message


def test_manifest_given_as_catalog_is_named(ingest):
    job = ingest(manifest=SAMPLE_TARGET_DIR / "manifest.json", catalog=SAMPLE_TARGET_DIR / "manifest.json")
    assert job.status == "failed"
    assert "manifest" in job.error_message and "catalog" in job.error_message


def test_truncated_catalog_is_rejected(ingest, write_json):
    text = (SAMPLE_TARGET_DIR / "catalog.json").read_text()
    job = ingest(manifest=SAMPLE_TARGET_DIR / "manifest.json", catalog=write_json("c.json", text[: len(text) // 2]))
    assert job.status == "failed" and "catalog" in job.error_message.lower()
    assert not Capsule.objects.exists()


def test_files_over_the_size_limit_are_refused_before_reading(ingest, settings, write_json):
    settings.INGEST_MAX_FILE_MB = 1
    job = ingest(manifest=write_json("big.json", " " * (2 * 1024 * 1024)))
    assert job.status == "failed" and "over the 1 MB limit" in job.error_message


def test_a_missing_file_is_named(ingest, tmp_path):
    job = ingest(manifest=tmp_path / "nope.json")
    assert job.status == "failed" and job.error_message == f"manifest file not found: {tmp_path / 'nope.json'}"


# -- odd but valid input ingests with a warning ------------------------------------------------------------


def test_unknown_newer_schema_version_ingests_with_a_warning(ingest, sample_manifest, write_json):
    sample_manifest["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v13.json"
    job = ingest(manifest=write_json("m.json", sample_manifest))
    assert job.status == "completed", job.error_message
    assert any("v13" in w or "13" in w for w in job.warnings)
    assert Capsule.objects.filter(capsule_type="model").count() == EXPECTED["counts"]["manifest"]["models"]


def test_depends_on_a_missing_node_skips_the_edge_with_a_warning(ingest, sample_manifest, write_json):
    node = sample_manifest["nodes"]["model.acme_shop.stg_customers"]
    node["depends_on"]["nodes"].append("model.acme_shop.does_not_exist")
    job = ingest(manifest=write_json("m.json", sample_manifest))
    assert job.status == "completed", job.error_message
    assert any("does_not_exist" in w for w in job.warnings)
    assert not CapsuleLineage.objects.filter(source_urn__contains="does_not_exist").exists()


def test_hostile_strings_are_stored_intact_without_nul(ingest, sample_manifest, write_json):
    node = sample_manifest["nodes"]["model.acme_shop.stg_customers"]
    node["description"] = "<script>alert('x')</script> \u0000 'quoted' \"double\" \\ back \u202e rtl 😀"
    node["meta"] = {"owner\u0000": "evil\u0000 name", "nested": {"<b>": ["\u0000"]}}
    job = ingest(manifest=write_json("m.json", sample_manifest))
    assert job.status == "completed", job.error_message
    capsule = Capsule.objects.get(urn=f"{ACME}.stg_customers")
    assert capsule.description == "<script>alert('x')</script>  'quoted' \"double\" \\ back \u202e rtl 😀"
    assert capsule.meta["nested"] == {"<b>": [""]}
    assert "owner" in capsule.meta


def test_gc_is_enabled_again_after_ingestion(ingest_sample):
    import gc

    ingest_sample()
    assert gc.isenabled()


_VERSION_SETS = sorted(
    str(p.relative_to(Path(__file__).resolve().parents[3] / "shared" / "dbt"))
    for p in (Path(__file__).resolve().parents[3] / "shared" / "dbt" / "versions").glob("v*/*")
    if (p / "manifest.json").exists()
) or ["versions/(absent)"]


@pytest.mark.shared
@pytest.mark.parametrize("folder", _VERSION_SETS)
def test_every_manifest_version_stores_what_the_parser_reads(folder, shared_dbt_dir, ingest):
    test_real_projects_store_what_the_parser_reads(folder, shared_dbt_dir, ingest)


@pytest.mark.shared
@pytest.mark.parametrize(
    "folder",
    ["jaffle_shop_duckdb", "jaffle-shop", "dbt-project-evaluator", "mattermost-analytics", "mit-ol-data-platform",
     "gitlab-analytics"],
)  # fmt: skip
def test_real_projects_store_what_the_parser_reads(folder, shared_dbt_dir, ingest):
    from ingestion.parsers.dbt import parse_dbt_artifacts

    path = Path(shared_dbt_dir) / folder
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    files = {
        name: path / f"{name}.json"
        for name in ("manifest", "catalog", "run_results")
        if (path / f"{name}.json").exists()
    }
    parsed = parse_dbt_artifacts(**{name: p.read_bytes() for name, p in files.items()})
    job = ingest(**files)
    assert job.status == "completed", job.error_message
    stored = Counter(Capsule.objects.values_list("capsule_type", flat=True))
    assert stored == Counter(c.capsule_type for c in parsed.capsules)
    # What the artifacts declare; column lineage may add columns it infers and relations it finds in SQL only.
    declared = Column.objects.exclude(origin__in=INFERRED_ORIGINS)
    assert declared.count() == sum(len(c.columns) for c in parsed.capsules)
    dbt_edges = CapsuleLineage.objects.exclude(edge_type=SQL_ONLY_EDGE)
    assert dbt_edges.count() == len({(e.source_urn, e.target_urn, e.edge_type) for e in parsed.edges})
    assert sum(Capsule.objects.values_list("test_count", flat=True)) == sum(c.test_count for c in parsed.capsules)
    owners = {o.name for o in parsed.owners}
    assert owners <= set(Owner.objects.values_list("name", flat=True))
    if folder == "gitlab-analytics":
        assert stored["model"] == 2934 and stored["source"] == 1095


def test_pipeline_steps_all_exist():
    from ingestion.services import PIPELINE_STEPS, _pipeline_steps

    assert [name for name, _ in _pipeline_steps()] == [name for name, _ in PIPELINE_STEPS]


def test_a_step_reporting_its_own_failure_leaves_a_warning_on_the_job(ingest_sample, monkeypatch):
    def broken(**kwargs):
        raise ValueError("a rule file does not validate")

    monkeypatch.setattr("conformance.services.conformance_evaluate", broken)
    job = ingest_sample()
    assert job.status == "completed"
    assert "a rule file does not validate" in job.stats["conformance"]["error"]
    assert any(w.startswith("conformance did not complete: ValueError: a rule file") for w in job.warnings)
    assert Capsule.objects.exists()


# -- byte-identical artifacts ------------------------------------------------------------------------------------------


def _rows_touched_since(moment) -> int:
    return Capsule.objects.filter(updated_at__gt=moment).count() + Column.objects.filter(updated_at__gt=moment).count()


def test_identical_artifacts_finish_at_once_saying_nothing_changed(ingest_sample, django_assert_max_num_queries):
    first = ingest_sample()
    before = snapshot()
    moment = first.completed_at
    with django_assert_max_num_queries(25):
        again = ingest_sample()
    assert again.status == "completed"
    assert again.stats["unchanged"]["same_as_job"] == str(first.pk)
    assert "nothing to do" in again.stats["unchanged"]["message"]
    assert again.source_name == "acme_shop"
    assert "column_lineage" not in again.stats and "load" not in again.stats["timings"]
    # the last evaluation still holds: recorded as this ingestion's, nothing new, nothing fixed
    carried = again.stats["conformance"]
    from conformance.models import ScoreSnapshot

    snapshot_row = ScoreSnapshot.objects.get(pk=carried["snapshot"])
    assert (snapshot_row.ingestion_id, snapshot_row.new_count, snapshot_row.fixed_count) == (again.pk, 0, 0)
    assert snapshot_row.score == ScoreSnapshot.objects.get(pk=carried["carried_over"]).score
    assert snapshot() == before and _rows_touched_since(moment) == 0
    # A third identical upload compares with the run that applied them, not with the skipped one.
    assert ingest_sample().stats["unchanged"]["same_as_job"] == str(first.pk)
    # a steward's edit of a capsule in the admin is a change: the next upload is applied again
    Capsule.objects.filter(name="fct_orders").update(updated_at=timezone.now())
    assert "unchanged" not in ingest_sample().stats


def test_new_run_results_alone_are_applied(ingest, ingest_sample, write_json):
    ingest_sample()
    results = json.loads((SAMPLE_TARGET_DIR / "run_results.json").read_bytes())
    results["results"][0]["status"] = "fail" if results["results"][0]["status"] != "fail" else "pass"
    job = ingest(
        manifest=SAMPLE_TARGET_DIR / "manifest.json",
        catalog=SAMPLE_TARGET_DIR / "catalog.json",
        run_results=write_json("run_results.json", results),
    )
    assert "unchanged" not in job.stats
    assert job.stats["capsules"]["created"] == 0


def test_a_change_of_what_decides_the_outcome_runs_the_pipeline_again(ingest_sample, settings, tmp_path):
    ingest_sample()
    # a steward's rule setting, a settings value, a config file: each makes the identical upload a real one
    from conformance.models import Rule

    Rule.objects.filter(rule_id="DBT-P01").update(parameters_override={"max": 7})
    assert "unchanged" not in ingest_sample().stats
    assert "unchanged" in ingest_sample().stats
    settings.LINEAGE_MASKING_FUNCTIONS = ("my_mask",)
    assert "unchanged" not in ingest_sample().stats
    conventions = tmp_path / "conventions.yml"
    conventions.write_text("{}\n")
    settings.CONVENTIONS_PATH = conventions
    from ingestion.services import conventions_load

    conventions_load.cache_clear()
    try:
        assert "unchanged" not in ingest_sample().stats
    finally:
        conventions_load.cache_clear()


def test_identical_artifacts_of_an_older_state_are_applied_again(ingest, ingest_sample, sample_manifest, write_json):
    ingest_sample()
    changed = copy.deepcopy(sample_manifest)
    changed["nodes"]["model.acme_shop.stg_customers"]["description"] = "changed"
    ingest(manifest=write_json("m.json", changed), catalog=SAMPLE_TARGET_DIR / "catalog.json",
           run_results=SAMPLE_TARGET_DIR / "run_results.json")  # fmt: skip
    back = ingest_sample()
    assert "unchanged" not in back.stats
    assert back.stats["capsules"]["updated"] >= 1


def test_identical_artifact_files_are_hashed_without_being_read_into_memory(ingest_sample, monkeypatch):
    # The identity check hashes each file in chunks (Artifact.digest); their bytes are read only to be parsed.
    from ingestion.services import Artifact

    first = ingest_sample()
    read = Artifact.read

    def refusing(self, *, limit_mb):
        raise AssertionError(f"{self.kind} read into memory")

    monkeypatch.setattr(Artifact, "read", refusing)
    again = ingest_sample()
    assert again.status == "completed", again.error_message
    assert again.stats["unchanged"]["same_as_job"] == str(first.pk)
    assert again.config["digests"] == first.config["digests"]
    monkeypatch.setattr(Artifact, "read", read)
    assert "unchanged" not in ingest_sample(force=True).stats


def test_a_file_rewritten_after_its_hash_is_recorded_with_the_digest_of_the_bytes_parsed(
    ingest, sample_manifest, write_json, monkeypatch
):
    # The identity check hashes the files, the parse reads them again: a file written in between (dbt rewriting
    # target/) must not leave the job with the digest of bytes it never parsed, or the next upload of those
    # bytes would be taken for this ingestion's.
    import hashlib

    from ingestion.services import Artifact

    catalog = SAMPLE_TARGET_DIR / "catalog.json"
    ingest(manifest=write_json("manifest.json", sample_manifest), catalog=catalog)
    hashed, changed = copy.deepcopy(sample_manifest), copy.deepcopy(sample_manifest)
    hashed["nodes"]["model.acme_shop.stg_customers"]["description"] = "hashed"
    changed["nodes"]["model.acme_shop.stg_customers"]["description"] = "rewritten while hashed"
    manifest = write_json("manifest.json", hashed)
    digest = Artifact.digest

    def rewriting(self, *, limit_mb):
        found = digest(self, limit_mb=limit_mb)
        if self.kind == "manifest":
            write_json("manifest.json", changed)
        return found

    monkeypatch.setattr(Artifact, "digest", rewriting)
    job = ingest(manifest=manifest, catalog=catalog)
    assert job.status == "completed", job.error_message
    assert Capsule.objects.get(name="stg_customers").description == "rewritten while hashed"
    assert job.config["digests"]["manifest"] == hashlib.sha1(manifest.read_bytes()).hexdigest()
    monkeypatch.setattr(Artifact, "digest", digest)
    assert ingest(manifest=manifest, catalog=catalog).stats["unchanged"]["same_as_job"] == str(job.pk)


def test_an_artifact_read_from_a_pipe_is_read_once(ingest, tmp_path):
    # A pipe (`--manifest <(gunzip -c manifest.json.gz)`) cannot be hashed first and read again: it is read once.
    pipe = tmp_path / "manifest.json"
    os.mkfifo(pipe)
    writer = threading.Thread(target=lambda: pipe.write_bytes((SAMPLE_TARGET_DIR / "manifest.json").read_bytes()))
    writer.start()
    try:
        job = ingest(manifest=pipe, catalog=SAMPLE_TARGET_DIR / "catalog.json")
    finally:
        writer.join(timeout=10)
    assert job.status == "completed", job.error_message
    assert job.stats["capsules"]["created"] > 40


def test_force_and_dry_runs_are_never_skipped(ingest_sample):
    ingest_sample()
    assert "unchanged" not in ingest_sample(force=True).stats
    assert "unchanged" not in ingest_sample(dry_run=True).stats


# -- columns kept without building them (ColumnsDigest) ---------------------------------------------------


def _counting_column_builds(monkeypatch) -> list[str]:
    """The parser's column builder, counting the capsules whose columns are built (by unique_id)."""
    from ingestion.parsers.dbt import merge

    built: list[str] = []
    real = merge._columns

    def counting(**kwargs):
        built.append(kwargs["unique_id"])
        return real(**kwargs)

    monkeypatch.setattr(merge, "_columns", counting)
    return built


def test_a_reingest_keeps_unchanged_columns_without_building_them(ingest_sample, monkeypatch):
    from ingestion.models import ColumnsDigest

    first = ingest_sample()
    assert first.status == "completed", first.error_message
    assert ColumnsDigest.objects.count() == Capsule.objects.count()
    before = snapshot()
    built = _counting_column_builds(monkeypatch)
    job = ingest_sample(force=True)
    assert job.status == "completed", job.error_message
    assert built == []
    assert job.stats["columns"]["unchanged"] == first.stats["columns"]["created"]
    assert snapshot() == before


def test_only_changed_columns_are_built_and_they_are_stored_as_a_full_build_stores_them(
    ingest, ingest_sample, sample_manifest, write_json, monkeypatch
):
    from ingestion.models import ColumnsDigest

    ingest_sample()
    stg = sample_manifest["nodes"]["model.acme_shop.stg_customers"]
    stg["columns"]["email"]["description"] = "Changed column description"
    stg["columns"]["loyalty_tier"] = {"name": "loyalty_tier", "description": "new", "meta": {}, "tags": []}
    manifest = write_json("manifest.json", sample_manifest)
    built = _counting_column_builds(monkeypatch)
    job = ingest(manifest=manifest, catalog=SAMPLE_TARGET_DIR / "catalog.json",
                 run_results=SAMPLE_TARGET_DIR / "run_results.json")  # fmt: skip
    assert job.status == "completed", job.error_message
    assert built == ["model.acme_shop.stg_customers"]
    assert (job.stats["columns"]["created"], job.stats["columns"]["updated"]) == (1, 1)
    assert Column.objects.get(urn=f"{ACME}.stg_customers:email").description == "Changed column description"
    kept = snapshot()

    # Without the digests every capsule's columns are built and compared: nothing differs from what was kept.
    ColumnsDigest.objects.all().delete()
    built.clear()
    again = ingest(manifest=manifest, catalog=SAMPLE_TARGET_DIR / "catalog.json",
                   run_results=SAMPLE_TARGET_DIR / "run_results.json", force=True)  # fmt: skip
    assert again.status == "completed", again.error_message
    assert set(built) == set(Capsule.objects.values_list("unique_id", flat=True))
    for kind in ("capsules", "columns"):
        counts = again.stats[kind]
        assert (counts["created"], counts["updated"], counts["removed"]) == (0, 0, 0), kind
    assert snapshot() == kept
    assert ColumnsDigest.objects.count() == Capsule.objects.count()


def test_columns_whose_stored_hash_moved_are_built_again(ingest_sample, monkeypatch):
    ingest_sample()
    stored = Capsule.objects.get(urn=f"{ACME}.stg_customers")
    Capsule.objects.filter(pk=stored.pk).update(columns_hash="0" * 32)  # not what its digest row was made with
    built = _counting_column_builds(monkeypatch)
    job = ingest_sample(force=True)
    assert job.status == "completed", job.error_message
    assert built == ["model.acme_shop.stg_customers"]
    assert Capsule.objects.get(pk=stored.pk).columns_hash == stored.columns_hash


def test_a_removed_capsule_takes_its_columns_digest_with_it(ingest, ingest_sample, sample_manifest, write_json):
    from ingestion.models import ColumnsDigest

    ingest_sample()
    gone = Capsule.objects.get(unique_id="model.acme_shop.fct_order_items").pk
    assert ColumnsDigest.objects.filter(capsule_id=gone).exists()
    del sample_manifest["nodes"]["model.acme_shop.fct_order_items"]
    job = ingest(manifest=write_json("manifest.json", sample_manifest), catalog=SAMPLE_TARGET_DIR / "catalog.json")
    assert job.status == "completed", job.error_message
    assert not ColumnsDigest.objects.filter(capsule_id=gone).exists()
    assert ColumnsDigest.objects.count() == Capsule.objects.count()


def _watch_parsed_during_steps(monkeypatch, module) -> tuple[list[int], list[bool]]:
    """Wrap ``module``'s parser and pipeline steps: the ids of the projects parsed, and for each step whether one of
    them is still alive when it starts."""
    import gc

    from ingestion.records import ParsedProject

    parsed_ids: list[int] = []
    alive: list[bool] = []
    parse, steps = module.parse_dbt_artifacts, module._pipeline_steps

    def parse_watched(**kwargs):
        project = parse(**kwargs)
        parsed_ids.append(id(project))
        return project

    def step_watched(step):
        def run(*args, **kwargs):
            gc.unfreeze()  # an ingestion freezes what it parsed (out of the collector's scans); look there too
            alive.append(any(id(o) in parsed_ids and isinstance(o, ParsedProject) for o in gc.get_objects()))
            return step(*args, **kwargs)

        return run

    monkeypatch.setattr(module, "parse_dbt_artifacts", parse_watched)
    monkeypatch.setattr(module, "_pipeline_steps", lambda: [(name, step_watched(step)) for name, step in steps()])
    return parsed_ids, alive


def test_the_parsed_project_is_freed_before_the_steps_after_the_load(ingest_sample, monkeypatch):
    """The records of columns not built hold the artifacts' raw column JSON; kept alive through the later steps,
    they added to conformance's peak of memory (10,000 models, 50 changed: 1,321 MB instead of 944 MB)."""
    from ingestion import services

    parsed, alive = _watch_parsed_during_steps(monkeypatch, services)
    job = ingest_sample()
    assert job.status == "completed"
    assert parsed and alive and not any(alive)


def test_the_change_reports_preview_frees_each_parsed_project_once_loaded(ingest_sample, monkeypatch):
    from ingestion.changes import services as changes
    from ingestion.changes.services import ArtifactSet, diff_run
    from ingestion.services import Artifact

    ingest_sample()
    parsed, alive = _watch_parsed_during_steps(monkeypatch, changes)
    head = ArtifactSet(
        manifest=Artifact.from_path("manifest", DATA_DIR / "acme_shop_pr" / "manifest.json"),
        catalog=Artifact.from_path("catalog", DATA_DIR / "acme_shop_pr" / "catalog.json"),
    )
    report = diff_run(head=head)
    assert report.summary()["columns_renamed"] > 0  # a real report was made
    assert parsed and alive and not any(alive)


def test_violations_written_by_an_ingestion_get_planner_statistics(ingest_sample, monkeypatch):
    """Without them the change report's read of the active violations' fingerprints ran as a nested loop."""
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    from ingestion import services

    monkeypatch.setattr(services, "ANALYZE_AFTER_CHANGES", 0)
    job = ingest_sample()
    assert job.stats["conformance"]["violations"]["new"] > 0 and "analyze" in job.stats["timings"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stats WHERE schemaname = 'dab' AND tablename = 'violations'")
        assert cursor.fetchone()[0] > 0
    # violations opened or resolved count towards the threshold as columns do
    stats = {"columns": {"created": 10}, "conformance": {"violations": {"new": 15, "resolved": 5}}}
    monkeypatch.setattr(services, "ANALYZE_AFTER_CHANGES", 30)
    assert services._analyze_after_big_changes(stats) is True
    monkeypatch.setattr(services, "ANALYZE_AFTER_CHANGES", 31)
    assert services._analyze_after_big_changes(stats) is False


def test_a_urn_stored_under_another_project_is_kept_there_and_skipped_here(ingest_sample):
    """The loader's check for URNs another dbt project holds (one selection however many URNs): such a capsule
    is neither moved nor overwritten; the warning names it."""
    ingest_sample()
    other = SourceSystem.objects.create(name="another_project", source_type="dbt")
    taken = Capsule.objects.filter(capsule_type="model").order_by("urn").first()
    Capsule.objects.filter(pk=taken.pk).update(source_system=other, description="kept by the other project")
    job = ingest_sample(force=True)
    assert job.status == "completed", job.error_message
    foreign = [w for w in job.warnings if "from another dbt project" in w]
    assert foreign == [f"{taken.urn} is already ingested from another dbt project; kept there, skipped here."]
    kept = Capsule.objects.get(urn=taken.urn)
    assert (kept.source_system_id, kept.description) == (other.pk, "kept by the other project")


def test_a_reingest_looks_up_under_other_projects_only_the_urns_this_project_does_not_hold(ingest_sample, monkeypatch):
    """A URN is unique: one stored under the project being loaded is under no other, so only the URNs it does not
    hold yet are looked up (none when nothing is new)."""
    from ingestion import loader

    ingest_sample()
    asked: list[list[str]] = []
    real = loader._urns_elsewhere

    def recording(urns, system):
        asked.append(list(urns))
        return real(urns, system)

    monkeypatch.setattr(loader, "_urns_elsewhere", recording)
    job = ingest_sample(force=True)
    assert job.status == "completed", job.error_message
    assert asked == [[]]


def test_a_first_ingest_writes_the_capsules_of_types_without_sql_once(ingest_sample, monkeypatch):
    """Their lineage status (not_applicable) goes in with the insert: the column-lineage step after the load sets
    statuses on models and snapshots only, and a re-ingest leaves them alone as well."""
    from lineage import services as lineage_services

    sent: list = []
    real = lineage_services.capsules_set_lineage_status

    def record(*, updates):
        updates = list(updates)
        sent.extend(updates)
        return real(updates=updates)

    monkeypatch.setattr(lineage_services, "capsules_set_lineage_status", record)
    assert ingest_sample().status == "completed"
    types = dict(Capsule.objects.values_list("id", "capsule_type"))
    assert sent and {types[u.capsule_id] for u in sent} <= {"model", "snapshot"}
    others = Capsule.objects.exclude(capsule_type__in=["model", "snapshot"])
    assert others.exists() and set(others.values_list("lineage_status", flat=True)) == {"not_applicable"}
    sent.clear()
    assert ingest_sample(force=True).status == "completed"
    assert all(types[u.capsule_id] in ("model", "snapshot") for u in sent)


def test_a_first_ingests_rows_get_time_ordered_ids_in_the_order_they_are_written(ingest_sample):
    """Capsules, columns, column-lineage edges and violations get version-7 ids (dab_project.ids) instead of random
    ones: each insert then lands at the end of the key's index. The declared columns follow their capsules in the
    load's order, each capsule's in its column order."""
    from conformance.models import Violation
    from lineage.models import ColumnLineage

    assert ingest_sample().status == "completed"
    for model in (Capsule, Column, ColumnLineage, Violation):
        ids = list(model.objects.values_list("id", flat=True))
        assert ids and {pk.version for pk in ids} == {7}, model.__name__
    capsule_ids = dict(Capsule.objects.values_list("id", "urn"))
    declared = Column.objects.exclude(origin__in=INFERRED_ORIGINS).order_by("id")
    rows = list(declared.values_list("capsule_id", "ordinal_position"))
    assert len({capsule for capsule, _ in rows}) > 1 and all(capsule in capsule_ids for capsule, _ in rows)
    assert rows == sorted(rows)


def _spy_column_lineage(monkeypatch, seen: dict) -> None:
    """Wrap the column-lineage step: the columns the load handed over, and the SQL the step ran."""
    from django.test.utils import CaptureQueriesContext

    from lineage import services as lineage_services

    real = lineage_services.column_lineage_after_load

    def step(*, load_result, **kwargs):
        handed = getattr(load_result, "created_columns", {})
        seen["handed"] = {key: list(columns) for key, columns in handed.items()}
        with CaptureQueriesContext(connection) as queries:
            stats = real(load_result=load_result, **kwargs)
        seen["sql"] = [q["sql"] for q in queries.captured_queries]
        seen["left"] = getattr(load_result, "created_columns", {})
        return stats

    monkeypatch.setattr(lineage_services, "column_lineage_after_load", step)


def test_a_first_ingests_column_lineage_reads_no_column_back(ingest_sample, monkeypatch):
    """The load hands the columns it inserted to column lineage, which read the project's columns back before its
    first wave (15 s of a 10,000-model first ingest while the extraction workers waited); the load's result lets go
    of them once the step has them."""
    seen: dict = {}
    _spy_column_lineage(monkeypatch, seen)
    assert ingest_sample().status == "completed"
    from lineage.models import ColumnLineage

    assert ColumnLineage.objects.exists()
    reads = [sql for sql in seen["sql"] if "SELECT" in sql and '"columns"."origin"' in sql]
    assert reads == []
    assert len(seen["handed"]) == Capsule.objects.count()
    assert seen["left"] == {}


def test_the_columns_the_load_hands_over_are_those_column_lineage_would_read(ingest_sample, monkeypatch):
    """Same ids, names and origins in the same order as ``_attach_columns`` reads them: by position, columns without
    one (the manifest's only) last, then by name; made here to hold ties and columns without a position."""
    from ingestion.loader import _column_ids
    from lineage.services import _attach_columns, _read_nodes

    seen: dict = {}
    _spy_column_lineage(monkeypatch, seen)
    assert ingest_sample().status == "completed"
    system = SourceSystem.objects.get()
    nodes = _read_nodes(system.pk)
    _attach_columns(nodes, {pk for pk, node in nodes.items() if not node.foreign}, source_system_id=system.pk)
    stored = {pk: [(cid.hex, name, origin) for cid, name, origin in node.columns] for pk, node in nodes.items()}
    handed = {pk: [(cid, name, str(origin)) for cid, name, origin in columns] for pk, columns in seen["handed"].items()}
    assert handed == stored
    assert any(origin == "manifest" for columns in handed.values() for _, _, origin in columns)

    # out of order as the parser never gives them, ties and missing positions included
    capsule = Capsule.objects.first().pk
    given = [("b", None), ("a", 2), ("Z", None), ("y", 1), ("a_", 2), ("B", None)]
    rows = [(capsule, f"u{n}", name, None, place, *[None] * 11, "catalog") for n, (name, place) in enumerate(given)]
    created: dict = {capsule.int: []}
    written = list(_column_ids(list(rows), created))
    assert [row[1:] for row in written] == rows and len({row[0] for row in written}) == len(rows)
    # by name as stored, code point by code point: "B" < "Z" < "b"
    assert [name for _, name, _ in created[capsule.int]] == ["y", "a", "a_", "b", "z", "b"]
