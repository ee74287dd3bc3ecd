"""Change history on real artifacts: each ingestion of acme_shop records what it changed (nothing when nothing
changed), run results over time (flaky tests, models getting slower), the API, the pages and retention."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from ingestion.changes.history import history_prune
from ingestion.changes.selectors import flaky_tests, models_slowest_growing
from ingestion.models import CapsuleChange, RunObservation
from ingestion.tests.conftest import DATA_DIR, SAMPLE_TARGET_DIR

pytestmark = pytest.mark.django_db
HEAD_DIR = DATA_DIR / "acme_shop_pr"
MODEL = "urn:dab:dbt:model:acme_shop."
FLIPPER = "test.acme_shop.not_null_stg_orders_order_id.81cfe2fe64"
SLOWER = "model.acme_shop.fct_orders"


def run(ingest, folder=SAMPLE_TARGET_DIR, *, run_results=None, **options):
    job = ingest(manifest=folder / "manifest.json", catalog=folder / "catalog.json",
                 run_results=run_results or folder / "run_results.json", **options)  # fmt: skip
    assert job.status == "completed", job.error_message
    return job


@pytest.fixture
def base_then_head(ingest):
    first = run(ingest)
    second = run(ingest, HEAD_DIR)
    return first, second


def test_first_ingestion_is_the_baseline_and_the_next_records_its_changes(base_then_head):
    first, second = base_then_head
    assert "first" in first.stats["changes"]
    assert not CapsuleChange.objects.filter(ingestion=first).exists()
    recorded = CapsuleChange.objects.filter(ingestion=second)
    assert second.stats["changes"]["recorded"] == recorded.count() == 17
    kinds = {(c.kind, c.name, c.column) for c in recorded}
    assert ("capsule_renamed", "fct_customer_orders_summary", None) in kinds
    assert ("column_renamed", "stg_customers", "phone_number") in kinds
    assert ("column_removed", "fct_payments", "card_brand") in kinds
    retyped = recorded.get(kind="column_type_changed", name="stg_order_items")
    assert (retyped.before, retyped.after, retyped.aspect) == ("INTEGER", "SMALLINT", "narrowed")


def test_recorded_changes_are_those_of_a_diff_of_the_whole_stored_state(ingest):
    """The recording reads only the columns (and SQL) of capsules the load may change; the result must be the
    diff of everything stored against everything parsed."""
    from catalog.models import SourceSystem
    from ingestion.changes.diff import diff_states
    from ingestion.changes.selectors import project_state_read
    from ingestion.changes.state import state_from_parsed
    from ingestion.parsers.dbt import parse_dbt_artifacts
    from ingestion.services import conventions_load

    run(ingest)
    whole = project_state_read(source_system=SourceSystem.objects.get(), pii=False)
    parsed = parse_dbt_artifacts(manifest=(HEAD_DIR / "manifest.json").read_bytes(),
                                 catalog=(HEAD_DIR / "catalog.json").read_bytes())  # fmt: skip
    expected = diff_states(whole, state_from_parsed(parsed, conventions=conventions_load())).changes
    head = run(ingest, HEAD_DIR)
    recorded = CapsuleChange.objects.filter(ingestion=head)
    shown = sorted((c.kind, c.urn, c.aspect or None, c.column or None, c.evidence or None) for c in recorded)
    assert shown == sorted((c.kind, c.urn, c.aspect or None, c.column or None, c.evidence or None) for c in expected)
    assert len(shown) == 17


def test_unchanged_reingest_records_nothing(base_then_head, ingest):
    before = (CapsuleChange.objects.count(), RunObservation.objects.exclude(kind="run").count())
    job = run(ingest, HEAD_DIR, force=True)  # the whole pipeline, over the same artifacts
    assert job.stats["changes"]["recorded"] == 0
    assert (CapsuleChange.objects.count(), RunObservation.objects.exclude(kind="run").count()) == before
    assert RunObservation.objects.filter(ingestion=job, kind="run").count() == 1  # the run is numbered, that's all


def test_dry_run_records_nothing(base_then_head, ingest):
    count = CapsuleChange.objects.count()
    job = run(ingest, SAMPLE_TARGET_DIR, dry_run=True)
    assert job.stats["changes"]["recorded"] > 0  # computed ...
    assert CapsuleChange.objects.count() == count  # ... and rolled back with the rest


def results_with(tmp_path, name, *, status=None, seconds=None):
    data = json.loads((SAMPLE_TARGET_DIR / "run_results.json").read_text())
    for result in data["results"]:
        if status and result["unique_id"] == FLIPPER:
            result["status"] = status
        if seconds and result["unique_id"] == SLOWER:
            result["execution_time"] = seconds
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_flaky_tests_and_models_getting_slower(ingest, tmp_path, client, steward):
    for i, (status, seconds) in enumerate([("pass", 1.0), ("fail", 2.0), ("pass", 3.5), ("fail", 3.6)]):
        run(ingest, run_results=results_with(tmp_path, f"r{i}.json", status=status, seconds=seconds), force=True)
    (flaky,) = flaky_tests()
    assert flaky.name == "not_null_stg_orders_order_id" and flaky.flips == 3
    assert [p[2] for p in flaky.points] == ["pass", "fail", "pass", "fail"]
    growth = {g.name: g for g in models_slowest_growing(limit=5)}
    assert (growth["fct_orders"].first, growth["fct_orders"].last) == (1.0, 3.5)  # 3.6 is inside the dead band
    # the capsule page draws the times and the dashboard ranks the model
    client.force_login(steward)
    page = client.get(f"/capsules/{MODEL}fct_orders/").content.decode()
    assert 'id="run-time-chart"' in page and page.count("<circle") == 3
    dashboard = client.get("/").content.decode()
    assert 'id="slowest-growing"' in dashboard and "fct_orders" in dashboard
    timeline = client.get("/changes/").content.decode()
    assert "not_null_stg_orders_order_id" in timeline and "3 status changes" in timeline


def test_api_changes_since_and_capsule_history(base_then_head, api_client):
    _, second = base_then_head
    body = api_client.get("/api/v1/changes", {"source_system": "acme_shop", "since": second.started_at.isoformat()})
    assert body.status_code == 200
    assert body.json()["count"] == 17
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert api_client.get("/api/v1/changes", {"since": later}).json()["count"] == 0
    assert api_client.get("/api/v1/changes", {"source_system": "nope"}).json()["count"] == 0
    history = api_client.get(f"/api/v1/capsules/{MODEL}stg_customers/history").json()
    assert {(c["kind"], c["column"], c["before"]) for c in history["changes"]} >= {
        ("column_renamed", "phone_number", "phone")
    }
    assert history["tests"] and all("runs" in t for t in history["tests"])
    renamed = api_client.get(f"/api/v1/capsules/{MODEL}fct_customer_orders_summary/history").json()
    assert renamed["changes"][0]["base_urn"] == f"{MODEL}customer_orders_summary"
    assert api_client.get(f"/api/v1/capsules/{MODEL}nope/history").status_code == 404


def test_timeline_page_lists_changes_by_ingestion(base_then_head, client, steward, django_assert_max_num_queries):
    client.force_login(steward)
    with django_assert_max_num_queries(15):
        response = client.get("/changes/", {"source_system": "acme_shop"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="timeline-run"') == 1
    assert "capsule_renamed" in page and "lineage: phone as phone_number" in page


def test_capsule_page_history_panel(base_then_head, client, steward):
    client.force_login(steward)
    page = client.get(f"/capsules/{MODEL}stg_order_items/").content.decode()
    assert 'data-testid="capsule-history"' in page
    assert "column_type_changed (narrowed)" in page and "SMALLINT" in page


def test_retention_drops_old_history(base_then_head, settings):
    settings.CHANGE_HISTORY_DAYS = 30
    assert history_prune(now=timezone.now() + timedelta(days=29)) == 0
    removed = history_prune(now=timezone.now() + timedelta(days=31))
    assert removed > 17 and not CapsuleChange.objects.exists() and not RunObservation.objects.exists()
    settings.CHANGE_HISTORY_DAYS = 0
    assert history_prune(now=timezone.now() + timedelta(days=3650)) == 0


def test_a_skipped_capsule_is_neither_read_nor_left_out_when_an_edge_joins_it_to_one_read(ingest, monkeypatch):
    """The change history's read for a lean load (``skip``: the capsules the parse kept) holds what a whole read holds
    for the capsules it compares (those not skipped and the skipped ones an edge joins to them, with the edges among
    them), and on PostgreSQL the database sends no row of the other skipped capsules."""
    from django.db import connection
    from django.db.backends.utils import CursorWrapper

    from catalog.models import Capsule, SourceSystem
    from ingestion.changes.selectors import project_state_read
    from lineage.models import SQL_ONLY_EDGE, CapsuleLineage

    run(ingest)
    system = SourceSystem.objects.get()
    whole = project_state_read(source_system=system, pii=False, columns=False, lazy_sql=True)
    # one model read, every other capsule skipped: its neighbours are read all the same, the rest not
    edges = set(CapsuleLineage.objects.exclude(edge_type=SQL_ONLY_EDGE).values_list("source__urn", "target__urn"))
    urns = set(Capsule.objects.filter(source_system=system).values_list("urn", flat=True))
    read = {f"{MODEL}stg_customers"}
    assert read <= urns
    skip = urns - read
    near = {t for s, t in edges if s in read} | {s for s, t in edges if t in read}
    assert near & skip and skip - near  # both kinds of skipped capsule are there
    seen: list[tuple] = []
    for name in ("fetchmany", "fetchall"):
        real = getattr(CursorWrapper, name, None)

        def counting(self, *args, _name=name, **kwargs):
            rows = getattr(self.cursor, _name)(*args, **kwargs)
            seen.extend(rows)
            return rows

        monkeypatch.setattr(CursorWrapper, name, counting, raising=real is not None)
    state = project_state_read(source_system=system, pii=False, columns=False, lazy_sql=True, skip=skip)
    monkeypatch.undo()
    kept = read | (near & urns)
    assert set(state.capsules) == kept
    assert all(state.capsules[urn] == whole.capsules[urn] for urn in kept)
    among = {(s, t) for s, targets in whole.downstream.items() for t in targets if s in kept and t in kept}
    assert {(s, t) for s, targets in state.downstream.items() for t in targets} == among
    if connection.vendor == "postgresql":
        sent = {value for row in seen for value in row if isinstance(value, str)}
        assert not (sent & (skip - near))  # not one row of a skipped capsule no edge joins to one read
