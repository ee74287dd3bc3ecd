"""People named by their role (issue 12, bench/pii_roles.py): a value owned by a role noun (witness_name,
signatory_email, invigilator_phone) is a person's, a bare role holding text in a table about people or named after
organisations is a person's name; a thing's or a machine's name, path, address or IP is no one's, and a count, a
flag or a key about a role holds no value of the person. Each mechanism beside its guard. No Django, no database."""

from __future__ import annotations

import pytest

from pii.classifier import classify_column
from pii.context import table_context
from pii.tests.bench_runs import bench_module
from pii.tokens import person_role, thing

NEUTRAL = ["id", "created_at", "status"]


def verdict(config, table, name, data_type="varchar", columns=NEUTRAL):
    context = table_context(name=table, description=None, column_names=[*columns, name], config=config)
    return classify_column(name=name, data_type=data_type, description=None, meta={}, tags=(), config=config,
                           capsule_name=table, table=context).pii_type


# ------------------------------------------------------------------------------- a role owns a person's values


@pytest.mark.parametrize("name", ["witness_name", "signatory_name", "handler_name", "last_poster_name",
                                  "invigilator_name", "notaryDisplayName", "MENTOR_NAME", "trainee_name"])
def test_a_role_before_a_name_owns_a_persons_name(config, name):
    # listed roles (context.roles), and agent nouns built as a person's (trainee: -ee) without being listed
    assert verdict(config, "tickets", name) == "person_name"


@pytest.mark.parametrize("name, expected", [("witness_mobile", "phone"), ("guarantor_age", "age"),
                                            ("supervisor_name", "person_name")])
def test_a_roles_person_fields_need_the_role_to_be_a_person(config, name, expected):
    # mobile and age count only with a person's owner; supervisor is a role pattern, so a person owner too
    data_type = "integer" if expected == "age" else "varchar"
    assert verdict(config, "cases", name, data_type) == expected


@pytest.mark.parametrize("name", ["last_poster_username", "first_responder_email"])
def test_first_and_last_before_a_role_say_which_person(config, name):
    assert verdict(config, "posts", name) is not None
    # ... while before the value itself they still say it is a past one (the last login's name)
    assert verdict(config, "posts", "last_username") is None


def test_role_words_are_people_and_thing_words_are_not(config):
    for word in ("witness", "witnesses", "signatories", "trainee", "supervisor"):
        assert person_role(word, config), word
    for word in ("printer", "folder", "connector", "server", "committee"):
        assert not person_role(word, config), word
    assert thing("folders", config) and thing("printer", config) and not thing("witness", config)


# ----------------------------------------------------------------------------- things, machines, organisations


@pytest.mark.parametrize("name", ["server_name", "folder_name", "printer_name", "container_name", "layer_name",
                                  "parameter_name", "browser_name", "carrier_name", "provider_name",
                                  "folder_full_name", "printer_ip", "container_address", "camera_ip_address",
                                  "insurer_phone", "authority_address"])
def test_a_things_or_an_organisations_fields_are_no_persons(config, name):
    assert verdict(config, "tickets", name) is None


def test_a_browsers_ip_is_still_its_users(config):
    # a browser is no machine of an operator: the buyer's browser_ip is the buyer's (Shopify's orders)
    assert verdict(config, "orders", "browser_ip") == "ip_address"


# ------------------------------------------------------------------------------ counts, flags and keys about it


@pytest.mark.parametrize("name, data_type", [("witness_count", "integer"), ("num_witnesses", "integer"),
                                             ("has_guarantor", "boolean"), ("is_mentor", "boolean"),
                                             ("approver_id", "integer"), ("signatory_type", "varchar")])
def test_columns_about_a_role_hold_no_persons_value(config, name, data_type):
    assert verdict(config, "tickets", name, data_type) is None


# ------------------------------------------------------------------------------------------ a bare role noun


@pytest.mark.parametrize("name", ["mentor", "witness", "loan_officer", "LoanOfficer", "last_poster", "case_worker"])
def test_a_bare_role_holding_text_in_a_table_about_people_is_a_name(config, name):
    assert verdict(config, "employees", name) == "person_name"


def test_a_bare_role_in_a_table_named_after_organisations_is_its_persons_name(config):
    assert verdict(config, "sys_dept", "leader") == "person_name"  # the department's head
    assert verdict(config, "clubs", "treasurer") == "person_name"


def test_a_bare_role_elsewhere_is_left_to_the_table(config):
    # a match's winner, a tickets table's mentor: no table about people or organisations says whose it is
    assert verdict(config, "matches", "winner") is None
    assert verdict(config, "tickets", "mentor") is None
    # a table only its columns say is about organisations (a calendar's events beside a facility) is no such table
    assert verdict(config, "calendar_events", "informant", columns=[*NEUTRAL, "facility"]) is None


@pytest.mark.parametrize("name, data_type", [("mentor", "integer"), ("mentors", "varchar"), ("followers", "varchar"),
                                             ("num_mentors", "integer"), ("mentor_id", "integer"),
                                             ("employee", "varchar"), ("version_alertmanager", "varchar"),
                                             ("cod_person", "varchar"), ("comment_agent", "varchar"),
                                             ("access_for_account_owner", "varchar")])
def test_a_bare_roles_lookalikes_hold_no_name(config, name, data_type):
    # a key, a plural (how many, or a list), a count, the table's own noun (the row's key), a role read inside
    # glued words, a code of a person, a user agent, whom a permission is for
    assert verdict(config, "employee", name, data_type) is None


def test_a_role_qualified_by_an_organisation_is_still_a_person(config):
    # project_manager, account_owner: the word before the role says whose team, not that the value is a firm's
    assert verdict(config, "accounts", "account_owner") == "person_name"
    assert verdict(config, "stores", "store_manager") == "person_name"


# ------------------------------------------------------------------------------------------------ the bench


def test_the_roles_bench_runs_on_a_slice(config):
    bench = bench_module("pii_roles")
    assert bench.split_of("witness") == bench.split_of("Witness")
    assert {bench.split_of(noun) for noun in bench.ROLES} == {"dev", "heldout"}
    assert not set(bench.ROLES) & (set(bench.THINGS) | set(bench.MACHINES) | set(bench.ORGANISATIONS))
    few = [case for case in bench.cases() if case.noun in ("witness", "folder", "server", "carrier")]
    assert {case.setting for case in few} == {"role", "about", "thing", "machine", "org"}
    res = bench.run(config, split="all", only=few)
    counts = res["counts"]
    assert sum(c["n"] for c in counts.values()) == len(few)
    assert counts[("role", "name")]["right"] == counts[("role", "name")]["n"]
    assert counts[("thing", "full_name")]["right"] == counts[("thing", "full_name")]["n"]
