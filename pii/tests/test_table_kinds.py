"""What a table is about, by kind (issue 12, bench/pii_contexts.py): a bare person word is a person's in a table
about people, whether its name says so in another language or style, its columns or its description do; a thing's
or an organisation's name, phone and address are not. Each kind beside its lookalike. No Django, no database."""

from __future__ import annotations

import pytest

from pii.classifier import classify_column
from pii.context import table_context
from pii.tests.bench_runs import bench_module
from pii.tokens import agent_noun, foreign_singulars
from pii.vocabulary import default_pii_config

NEUTRAL = ["id", "created_at", "status"]


@pytest.fixture(scope="module")
def config():
    return default_pii_config()


def verdict(config, table, columns, name, *, description=None):
    context = table_context(name=table, description=description, column_names=[*columns, name], config=config)
    return classify_column(name=name, data_type="varchar", description=None, meta={}, tags=(), config=config,
                           capsule_name=table, table=context).pii_type


# ------------------------------------------------------------------------------- the table's name: its noun


@pytest.mark.parametrize("table", ["clienti", "tbl_dipendenti", "stg_crm__utenti", "klanten", "dim_pazienti"])
def test_another_languages_plural_of_a_person_noun_names_people(config, table):
    assert verdict(config, table, NEUTRAL, "name") == "person_name"
    assert verdict(config, table, NEUTRAL, "phone") == "phone"


@pytest.mark.parametrize("table", ["fornitori", "Lieferanten", "fournisseurs", "leveranciers"])
def test_another_languages_plural_of_an_organisation_noun_names_organisations(config, table):
    assert verdict(config, table, NEUTRAL, "name") is None
    assert verdict(config, table, NEUTRAL, "phone") is None
    assert verdict(config, table, NEUTRAL, "contact_name") == "person_name"  # its contact person stays one


def test_foreign_plurals_are_candidates_only(config):
    assert "cliente" in foreign_singulars("clienti") and "klant" in foreign_singulars("klanten")
    # an English word ending so names no one: none of its candidates is a person or organisation noun
    for table in ("kitchen", "taxi", "tbl_garden"):
        assert verdict(config, table, NEUTRAL, "name") is None


@pytest.mark.parametrize("table", ["borrowers", "dim_policyholder", "claimants", "tbl_pupils", "insureds", "socios",
                                   "adherents"])
def test_more_person_nouns_name_people(config, table):
    assert verdict(config, table, NEUTRAL, "name") == "person_name"


@pytest.mark.parametrize("table", ["loans", "policies", "claims_lines", "prospect_accounts"])
def test_their_things_are_no_people(config, table):
    assert verdict(config, table, NEUTRAL, "name") is None


@pytest.mark.parametrize("table", ["dentists", "dim_therapist", "technicians", "stg_hr__trainees", "licensees",
                                   "nominees"])
def test_an_agent_noun_names_people(config, table):
    assert verdict(config, table, NEUTRAL, "name") == "person_name"


@pytest.mark.parametrize("table", ["playlists", "checklists", "committees", "guarantees", "assists", "tbl_degree"])
def test_a_word_that_only_ends_like_an_agent_noun_names_no_one(config, table):
    assert verdict(config, table, NEUTRAL, "name") is None
    assert not agent_noun(table.rsplit("_", 1)[-1].rstrip("s"), config)


def test_a_description_naming_an_agent_noun_makes_a_table_about_people(config):
    assert verdict(config, "t1", NEUTRAL, "name", description="One row per pharmacist.") == "person_name"
    assert verdict(config, "t1", NEUTRAL, "name", description="One row per playlist.") is None


@pytest.mark.parametrize("table", ["int_drivers_enriched", "drivers_joined", "int_customers_enriched",
                                   "users_deduped"])
def test_a_transformation_after_the_noun_keeps_its_people(config, table):
    assert verdict(config, table, NEUTRAL, "name") == "person_name"


@pytest.mark.parametrize("table", ["int_products_enriched", "stores_deduped", "int_ad_groups_unioned"])
def test_a_transformation_after_a_things_noun_keeps_its_thing(config, table):
    assert verdict(config, table, NEUTRAL, "name") is None
    assert verdict(config, table, NEUTRAL, "phone") is None  # an ad group's, a store's phone


# ------------------------------------------------------------------------------- the table's columns


def test_a_persons_own_name_part_makes_a_neutral_table_about_people(config):
    for part in ("first_name", "surname", "LastName"):
        assert verdict(config, "records", [*NEUTRAL, part], "name") == "person_name"
        assert verdict(config, "t1", [*NEUTRAL, part], "address") == "address"


def test_someone_elses_name_part_does_not(config):
    # a contact person's first name in a neutral table: the row may be a firm; its bare name stays open
    assert verdict(config, "records", [*NEUTRAL, "contact_first_name"], "name") is None
    assert verdict(config, "records", NEUTRAL, "name") is None


def test_organisation_only_facts_make_a_neutral_tables_email_and_phone_an_organisations(config):
    columns = [*NEUTRAL, "email", "phone", "annual_revenue", "employee_count"]
    assert verdict(config, "records", columns, "name") is None
    assert verdict(config, "t1", columns, "address") is None
    assert verdict(config, "t1", columns, "contact_name") == "person_name"


def test_email_and_phone_alone_still_make_a_neutral_table_about_people(config):
    assert verdict(config, "records", [*NEUTRAL, "email", "phone"], "name") == "person_name"


def test_organisation_facts_do_not_override_a_persons_own_field_or_a_name_of_people(config):
    assert verdict(config, "records", [*NEUTRAL, "industry", "birth_date"], "name") == "person_name"
    assert verdict(config, "users", [*NEUTRAL, "industry"], "name") == "person_name"
    # a row with a device id is someone's activity, whatever company facts were joined onto it
    context = table_context(name="int_devices", description=None,
                            column_names=["device_id", "user_id", "industry", "annual_revenue"], config=config)
    assert context.kind == "person"


# ------------------------------------------------------------------------------- a name of structural words only


def test_a_structural_name_yields_to_the_description(config):
    assert verdict(config, "dim_entity", NEUTRAL, "name", description="One row per customer.") == "person_name"
    assert verdict(config, "dim_entity", NEUTRAL, "name", description="Each row is a supplier.") is None


def test_a_structural_name_yields_to_a_persons_own_field(config):
    assert verdict(config, "dim_entity", [*NEUTRAL, "birth_date"], "name") == "person_name"


def test_a_structural_name_alone_keeps_its_reading(config):
    # entities (legal entities) with only an email and a phone: an organisation's contact fields
    assert verdict(config, "dim_entity", NEUTRAL, "name") is None
    assert verdict(config, "dim_entity", [*NEUTRAL, "email"], "phone") is None
    # a name whose head is a real noun is not structural: a description does not override it
    assert verdict(config, "dim_vendor", NEUTRAL, "name", description="One row per customer.") is None


# ------------------------------------------------------------------------------- bench/pii_contexts.py


def test_the_context_bench_runs_and_splits_its_nouns(config):
    bench = bench_module("pii_contexts")
    assert bench.split_of("customer") == bench.split_of("Customer")
    splits = {bench.split_of(s) for s, _ in bench.ALL_PERSON_NOUNS}
    assert splits == {"dev", "heldout"}
    few = [case for case in bench.cases() if case.table in ("clienti", "records", "dim_vendor", "stores")]
    assert {case.setting for case in few} >= {"a:name", "c:name"}
    res = bench.run(config, split="all", only=few)
    assert res["counts"] and all(c["n"] for c in res["counts"].values())
    assert sum(c["n"] for c in res["counts"].values()) == len(few)
