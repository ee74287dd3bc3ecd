"""Tables that are not about people (issue 12's precision, bench/pii_things.py): a firm's own mailbox, legal name and
licence; the name of a thing a person has; a value a table of settings keeps; a group's key in a table of
statistics; a label or a last word about the value. Each kind beside the lookalike that must stay PII. No Django,
no database."""

from __future__ import annotations

import pytest

from pii.classifier import classify_column
from pii.context import table_context
from pii.tests.bench_runs import bench_module
from pii.vocabulary import default_pii_config

NEUTRAL = ["id", "created_at", "status"]


@pytest.fixture(scope="module")
def config():
    return default_pii_config()


def verdict(config, table, columns, name, *, description=None, data_type="varchar"):
    context = table_context(name=table, description=None, column_names=[*columns, name], config=config)
    return classify_column(name=name, data_type=data_type, description=description, meta={}, tags=(), config=config,
                           capsule_name=table, table=context).pii_type


# ------------------------------------------------------------------------------------ a firm's own fields


@pytest.mark.parametrize("table", ["sys_dept", "suppliers", "dim_clinic", "stg_erp__pharmacies", "tbl_companies",
                                   "Lieferanten"])
@pytest.mark.parametrize("column", ["email", "E_MAIL", "emailAddress", "legal_name", "license_no"])
def test_a_firms_own_mailbox_name_and_licence_are_the_firms(config, table, column):
    assert verdict(config, table, ["id", "name", "website"], column) is None


@pytest.mark.parametrize("table", ["sys_dept", "suppliers", "tbl_companies"])
def test_a_person_named_in_a_firms_table_stays_one(config, table):
    assert verdict(config, table, ["id", "name"], "contact_email") == "email"
    assert verdict(config, table, ["id", "name"], "owner_email") == "email"
    assert verdict(config, table, ["id", "name"], "contact_name") == "person_name"


@pytest.mark.parametrize("facts", [["ogrn"], ["industry", "website"], ["employee_count"], ["siret"]])
def test_a_number_or_fact_only_an_organisation_has_makes_each_row_a_firm(config, facts):
    assert verdict(config, "records", ["id", "name", *facts], "email") is None


@pytest.mark.parametrize(("table", "columns"), [
    ("employees", ["department"]),  # a table named after people keeps its word
    ("users", ["industry"]),
    ("accounts", ["name"]),  # accounts, tenants, projects: as often people's accounts or things (not_firms)
    ("tenants", ["name"]),
    ("departments", ["department_name", "last_name", "ssn"]),  # a person's own field: the rows hold people too
])
def test_a_table_whose_rows_may_be_people_keeps_the_email(config, table, columns):
    assert verdict(config, table, columns, "email") == "email"


def test_a_persons_legal_name_stays_a_name(config):
    assert verdict(config, "users", NEUTRAL, "legal_name") == "person_name"
    assert verdict(config, "res_partner", ["is_company"], "legal_name") == "person_name"


# ------------------------------------------------------------------------------ things a person has


@pytest.mark.parametrize("table", ["hr_employee_medical_examination", "employee_tasks", "stg_hr__member_trainings",
                                   "dim_user_badge", "EmployeeShift"])
def test_the_name_of_a_thing_a_person_has_is_the_things(config, table):
    columns = ["id", "employee_id"]
    assert verdict(config, table, columns, "name") is None
    assert verdict(config, table, columns, "display_name") is None
    # the person's own name, denormalised onto the row, is still theirs
    assert verdict(config, table, columns, "employee_name") == "person_name"
    assert verdict(config, table, columns, "first_name") == "person_name"


@pytest.mark.parametrize("table", ["employee_profiles", "user_directory", "customer_details", "member_addresses",
                                   "hr_employee_relative_relation"])
def test_a_persons_own_record_keeps_the_persons_name(config, table):
    # (a table of relations may list the relatives themselves: not a thing word)
    assert verdict(config, table, ["id", "employee_id"], "name") == "person_name"


# -------------------------------------------------------------------- settings, statistics, labels, bounds


@pytest.mark.parametrize(("column", "description"), [
    ("bcc", "Comma separated addresses that get a blind copy of every mail sent from this template"),
    ("reply_to", "Reply-To address of the mails sent"),
    ("copy_to", "Email address to copy"),
])
def test_a_value_only_a_description_names_in_a_table_of_settings_is_its_keepers(config, column, description):
    assert verdict(config, "mails_mailtemplate", ["id", "subject"], column, description=description) is None
    assert verdict(config, "notification_settings", ["id"], column, description=description) is None
    # in a table of people, or of one person's settings, the description still names their value
    assert verdict(config, "customers", NEUTRAL, column, description=description) is not None
    assert verdict(config, "user_preferences", NEUTRAL, column, description=description) is not None


@pytest.mark.parametrize("table", ["gender_stats", "name_frequencies", "fct_age_distribution", "baby_names_tally"])
def test_a_table_of_statistics_per_group_holds_a_groups_name_and_traits(config, table):
    for column in ("given_name", "first_name", "gender", "age", "ethnicity"):
        assert verdict(config, table, ["id", "total", "share"], column) is None


@pytest.mark.parametrize("table", ["user_stats", "patient_statistics", "beneficiary_summary", "visit_summary"])
def test_each_persons_statistics_or_a_summary_keep_their_fields(config, table):
    assert verdict(config, table, ["id", "total"], "first_name") == "person_name"
    assert verdict(config, table, ["id", "total"], "gender") == "gender"


def test_a_label_ending_in_an_attribute_of_the_value_is_about_it(config):
    assert verdict(config, "PA0006", NEUTRAL, "ANSSA", description="Address Record Type") is None
    assert verdict(config, "PA0006", NEUTRAL, "KZNUM", description="Phone Number Status") is None
    assert verdict(config, "PA0006", NEUTRAL, "STRAS", description="Street and House Number") == "address"
    assert verdict(config, "PA0006", NEUTRAL, "TELNR", description="Phone Number") == "phone"


def test_source_ending_a_name_after_an_attribute_is_where_the_record_came_from(config):
    columns = ["patid", "dx", "dx_type"]
    assert verdict(config, "DIAGNOSIS", columns, "DX_SOURCE") is None
    assert verdict(config, "DIAGNOSIS", columns, "RAW_DX_SOURCE") is None
    assert verdict(config, "DIAGNOSIS", columns, "DIAGNOSIS") == "health"
    # OMOP's *_source_value is the value as its source wrote it
    assert verdict(config, "person", NEUTRAL, "gender_source_value") == "gender"


def test_a_bound_set_on_a_trait_is_no_ones_trait(config):
    for column in ("age_limit", "min_age_requirement", "age_threshold", "age_restriction"):
        assert verdict(config, "django_trips_trip", ["id", "name", "is_private"], column, data_type="integer") is None
    assert verdict(config, "patients", NEUTRAL, "age", data_type="integer") == "age"


# ----------------------------------------------------------------------------------------------- the bench


def test_the_things_bench_runs_each_setting_and_splits_nouns(config):
    bench = bench_module("pii_things")
    assert bench.split_of("Company") == bench.split_of("company")
    assert {bench.split_of(s) for s, _, _ in bench.FIRM_NOUNS} == {"dev", "heldout"}
    assert bench.split_of("stat") == "dev"  # written with its mechanism
    res = bench.run(config, split="dev")
    settings = {setting for setting, _ in res["counts"]}
    assert settings == {"f:name", "f:columns", "p:firm-columns", "t:name", "p:record", "s:description",
                        "p:description", "g:statistics", "p:statistics"}
    # every control stays PII
    for (setting, kind), c in res["counts"].items():
        if setting.startswith("p:") or kind == "stays":
            assert c["pii"] == c["n"], (setting, kind)
