"""Lean re-ingests: capsules whose node digest is the stored one are kept, not built (``ingestion.models.NodeDigest``).

Each test compares the lean path with the full one on the same stored state: the full path runs first inside a
savepoint that is rolled back (the node digests deleted, so every record is built), then the lean path runs for
real; the stored rows, the job's counts and the recorded changes must be the same."""

from __future__ import annotations

import dataclasses

import orjson
import pytest
from django.db import transaction

from catalog.models import Capsule, Owner
from ingestion.models import CapsuleChange, NodeDigest
from ingestion.parsers.dbt import parse_dbt_artifacts
from ingestion.records import KeptCapsule
from ingestion.tests.conftest import SAMPLE_TARGET_DIR, snapshot

pytestmark = pytest.mark.django_db

CATALOG = SAMPLE_TARGET_DIR / "catalog.json"
STG_CUSTOMERS = "model.acme_shop.stg_customers"


class _Undo(Exception):
    pass


def _counting_capsule_builds(monkeypatch) -> list[str]:
    """The parser's record builder, counting the capsules built (by unique_id)."""
    from ingestion.parsers.dbt import merge

    built: list[str] = []
    real = merge._capsule

    def counting(**kwargs):
        built.append(kwargs["unique_id"])
        return real(**kwargs)

    monkeypatch.setattr(merge, "_capsule", counting)
    return built


def _outcome(job) -> tuple:
    """What an ingestion stored and reported, without ids and times."""
    rows = Capsule.objects.order_by("urn").values_list("urn", "tests", "attributes", "layer", "owner__name")
    changes = sorted(
        CapsuleChange.objects.filter(ingestion_id=job.pk).values_list(
            "kind", "urn", "aspect", "column", "before", "after", "evidence", "base_urn"
        ),
        key=repr,
    )
    counts = {k: job.stats[k] for k in ("capsules", "columns", "edges", "tests", "owners_created", "domains_created")}
    return snapshot(), list(rows), changes, counts, job.stats["changes"].get("by_kind"), sorted(job.warnings)


def _full_then_lean(ingest, manifest, catalog=CATALOG, force=False) -> tuple[tuple, tuple, object]:
    """The outcome of the full path (rolled back), then the lean path's (kept), and the lean job."""
    try:
        with transaction.atomic():
            NodeDigest.objects.all().delete()
            full = ingest(manifest=manifest, catalog=catalog, force=force)
            assert full.status == "completed", full.error_message
            expected = _outcome(full)
            raise _Undo
    except _Undo:
        pass
    lean = ingest(manifest=manifest, catalog=catalog, force=force)
    assert lean.status == "completed", lean.error_message
    return expected, _outcome(lean), lean


@pytest.fixture
def stored(ingest, write_json, sample_manifest):
    """The sample project ingested, then re-ingested once, so that every capsule it left untouched has a node digest.
    Without run results: they are not part of the digest, so a parse with them builds every record."""
    manifest = write_json("base_manifest.json", sample_manifest)
    for force in (False, True):
        job = ingest(manifest=manifest, catalog=CATALOG, force=force)
        assert job.status == "completed", job.error_message
    assert NodeDigest.objects.count() == Capsule.objects.count()
    return manifest


def test_a_first_ingestion_stores_no_node_digest(ingest):
    job = ingest(manifest=SAMPLE_TARGET_DIR / "manifest.json", catalog=CATALOG)
    assert job.status == "completed", job.error_message
    assert not NodeDigest.objects.exists()  # the baseline: no change history compared it yet


def test_an_unchanged_reingest_builds_no_record_and_changes_nothing(stored, ingest, monkeypatch):
    before = snapshot()
    built = _counting_capsule_builds(monkeypatch)
    job = ingest(manifest=stored, catalog=CATALOG, force=True)
    assert job.status == "completed", job.error_message
    assert built == []
    assert job.stats["capsules"]["unchanged"] == Capsule.objects.count()
    assert job.stats["changes"]["recorded"] == 0
    assert snapshot() == before


def test_only_the_changed_node_is_built_and_the_outcome_is_the_full_paths(
    stored, ingest, write_json, sample_manifest, monkeypatch
):
    node = sample_manifest["nodes"][STG_CUSTOMERS]
    node["description"] = "Changed description"
    node["columns"]["email"]["description"] = "Changed column description"
    node["compiled_code"] += "\n-- changed"
    manifest = write_json("manifest.json", sample_manifest)
    built = _counting_capsule_builds(monkeypatch)
    expected, got, job = _full_then_lean(ingest, manifest)
    assert built.count(STG_CUSTOMERS) == 2 and len(built) == Capsule.objects.count() + 1  # full: all; lean: one
    assert got == expected
    assert job.stats["capsules"]["updated"] == 1
    assert Capsule.objects.get(unique_id=STG_CUSTOMERS).description == "Changed description"
    assert {c.urn for c in CapsuleChange.objects.filter(ingestion_id=job.pk)} == {
        Capsule.objects.get(unique_id=STG_CUSTOMERS).urn
    }


def test_a_changed_catalog_entry_of_an_unchanged_node_is_seen(stored, ingest, write_json, sample_catalog, monkeypatch):
    sample_catalog["nodes"][STG_CUSTOMERS]["columns"]["customer_id"]["type"] = "VARCHAR"
    catalog = write_json("catalog.json", sample_catalog)
    built = _counting_capsule_builds(monkeypatch)
    expected, got, job = _full_then_lean(ingest, stored, catalog)
    assert built[-1:] == [STG_CUSTOMERS] and built.count(STG_CUSTOMERS) == 2
    assert got == expected
    kinds = {c.kind for c in CapsuleChange.objects.filter(ingestion_id=job.pk)}
    assert kinds == {"column_type_changed"}


def test_a_changed_test_of_an_unchanged_node_is_seen(stored, ingest, write_json, sample_manifest, monkeypatch):
    removed = next(k for k in sample_manifest["nodes"] if k.startswith("test.acme_shop.not_null_stg_customers_email"))
    del sample_manifest["nodes"][removed]
    for children in sample_manifest.get("child_map", {}).values():
        if removed in children:
            children.remove(removed)
    manifest = write_json("manifest.json", sample_manifest)
    built = _counting_capsule_builds(monkeypatch)
    expected, got, job = _full_then_lean(ingest, manifest)
    assert built[-1:] == [STG_CUSTOMERS]
    assert got == expected
    assert job.stats["tests"]["removed"] == 1
    assert {c.kind for c in CapsuleChange.objects.filter(ingestion_id=job.pk)} == {"test_removed"}


def test_a_changed_group_owner_rebuilds_what_it_owns(stored, ingest, write_json, sample_manifest, monkeypatch):
    group = next(g for g in sample_manifest["groups"].values() if g["name"] == "sales")
    group["owner"] = {"email": "revenue@example.com", "name": "Revenue Team"}
    Owner.objects.create(name="Revenue Team", email="revenue@example.com", owner_type="team")  # one id for both paths
    manifest = write_json("manifest.json", sample_manifest)
    built = _counting_capsule_builds(monkeypatch)
    expected, got, job = _full_then_lean(ingest, manifest)
    assert len(built) == 2 * Capsule.objects.count()  # the groups are in every node's digest
    assert got == expected
    assert Capsule.objects.get(unique_id="model.acme_shop.fct_order_items").owner.name == "Revenue Team"


def test_a_changed_convention_is_seen_by_a_parse_in_full(stored, ingest, monkeypatch):
    from ingestion import conventions as conv
    from ingestion import services

    changed = dataclasses.replace(conv.Conventions(), prefix_layers=(("stg_", "raw"),))
    monkeypatch.setattr(services, "conventions_load", lambda: changed)
    built = _counting_capsule_builds(monkeypatch)
    expected, got, job = _full_then_lean(ingest, stored, force=True)
    # the lean parse kept every capsule; the loader found the context moved and the job parsed again in full
    assert len(built) == 2 * Capsule.objects.count()
    assert got == expected
    assert Capsule.objects.get(unique_id=STG_CUSTOMERS).layer == "raw"
    assert NodeDigest.objects.count() < Capsule.objects.count()  # the capsules it changed get theirs next time


def test_a_row_edited_since_its_digest_is_built_again(stored, ingest, monkeypatch):
    capsule = Capsule.objects.get(unique_id=STG_CUSTOMERS)
    steward = Owner.objects.create(name="Steward Team", owner_type="team")
    attributes = {**capsule.attributes, "owner_source": "steward"}
    Capsule.objects.filter(pk=capsule.pk).update(owner=steward, attributes=attributes)
    built = _counting_capsule_builds(monkeypatch)
    expected, got, _ = _full_then_lean(ingest, stored, force=True)
    assert len(built) == 2 * Capsule.objects.count()  # kept, refused by the loader, parsed again in full
    assert got == expected


def test_a_removed_capsule_takes_its_node_digest_with_it(stored, ingest, write_json, sample_manifest):
    gone = Capsule.objects.get(unique_id="model.acme_shop.fct_order_items").pk
    del sample_manifest["nodes"]["model.acme_shop.fct_order_items"]
    job = ingest(manifest=write_json("manifest.json", sample_manifest), catalog=CATALOG)
    assert job.status == "completed", job.error_message
    assert not NodeDigest.objects.filter(capsule_id=gone).exists()


def test_run_results_make_every_record_built(stored, ingest, monkeypatch):
    built = _counting_capsule_builds(monkeypatch)
    job = ingest(manifest=stored, catalog=CATALOG, run_results=SAMPLE_TARGET_DIR / "run_results.json")
    assert job.status == "completed", job.error_message
    assert len(built) == Capsule.objects.count()


# -- the parser alone ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=False)
def test_the_parser_keeps_exactly_the_nodes_whose_digest_is_known():
    manifest = (SAMPLE_TARGET_DIR / "manifest.json").read_bytes()
    catalog = CATALOG.read_bytes()
    full = parse_dbt_artifacts(manifest=manifest, catalog=catalog, known=lambda name: {})
    assert not full.kept and all(c.node_digest for c in full.capsules)
    known = {c.unique_id: (c.node_digest, len(c.columns)) for c in full.capsules if c.unique_id != STG_CUSTOMERS}
    lean = parse_dbt_artifacts(manifest=manifest, catalog=catalog, known=lambda name: known)
    assert [c.unique_id for c in lean.capsules] == [STG_CUSTOMERS]
    assert {c.unique_id for c in lean.kept} == set(known)
    # what is kept is what the built records say, in the same order, with the same edges, owners and counts
    by_id = {c.unique_id: c for c in full.capsules}
    for kept in lean.kept:
        record = by_id[kept.unique_id]
        assert isinstance(kept, KeptCapsule)
        assert (kept.urn, kept.capsule_type, kept.depends_on, kept.owner, kept.in_catalog, kept.test_count) == (
            record.urn, record.capsule_type, record.depends_on, record.owner, record.in_catalog, record.test_count
        )  # fmt: skip
    assert [c.urn for c in lean.in_order()] == [c.urn for c in full.capsules]
    assert (lean.edges, lean.owners, lean.stats, lean.warnings) == (full.edges, full.owners, full.stats, full.warnings)
    assert orjson.dumps(lean.tests, default=repr) == orjson.dumps(full.tests, default=repr)


def test_a_renamed_capsule_and_its_kept_neighbours_are_reported_as_the_full_path_reports_them(
    stored, ingest, write_json, sample_manifest, sample_catalog, monkeypatch
):
    # stg_customers gets another name (another URN); the models reading it are unchanged, so kept
    sample_manifest["nodes"][STG_CUSTOMERS]["name"] = "stg_clients"
    sample_manifest["nodes"][STG_CUSTOMERS]["alias"] = "stg_clients"
    columns = sample_catalog["nodes"][STG_CUSTOMERS]["columns"]
    columns["customer_email"] = {**columns.pop("email"), "name": "customer_email"}  # and a column renamed
    manifest, catalog = write_json("manifest.json", sample_manifest), write_json("catalog.json", sample_catalog)
    built = _counting_capsule_builds(monkeypatch)
    expected, got, job = _full_then_lean(ingest, manifest, catalog)
    assert built[Capsule.objects.count() :] == [STG_CUSTOMERS]  # the lean parse built only the renamed one
    assert got == expected
    assert "capsule_renamed" in {c.kind for c in CapsuleChange.objects.filter(ingestion_id=job.pk)}


def test_digests_stored_by_another_code_version_are_not_matched(stored, ingest, monkeypatch):
    from ingestion import services

    monkeypatch.setattr(services, "code_version", lambda: "an upgrade")
    built = _counting_capsule_builds(monkeypatch)
    job = ingest(manifest=stored, catalog=CATALOG, force=True)
    assert job.status == "completed", job.error_message
    assert len(built) == Capsule.objects.count()  # each built once: nothing kept, so no second parse
    assert NodeDigest.objects.count() == Capsule.objects.count()  # stored again, salted with this version
