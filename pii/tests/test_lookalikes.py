"""Pure tests of columns that talk ABOUT a PII value without holding it (issue 12's precision: has_phone,
email_opt_in_count), by kind, each beside the PII value it must not lose; and a small run of
bench/pii_lookalikes.py, which measures this over names derived from the labelled rows. No Django, no database."""

from __future__ import annotations

import pytest

from pii.classifier import classify_column
from pii.tests.bench_runs import bench_module, write_labels
from pii.tests.names import classify

# --------------------------------------------------- a trait's record: whether it was given, verified, consented to


@pytest.mark.parametrize(("name", "data_type"), [
    ("gender_verified", None),  # a manifest without its catalog: no boolean type to rule the value out
    ("candidate_gender_is_valid", None),
    ("user_gender_consent", "boolean"),  # boolean does not rule gender out (gender_male is one-hot gender)
    ("has_gender", "boolean"),
    ("hasUserGender", None),
    ("GENDER_IDENTITY_VERIFIED", None),
    ("ethnicity_consent", None),
    ("religion_updated", None),
    ("missing_marital_status", None),
    ("nationality_verification", None),
    # data-quality columns about it
    ("gender_is_null", None),
    ("is_ethnicity_null", "boolean"),
    ("ethnicity_populated", None),
    ("gender_match_score", None),
    ("religion_error", None),
    ("AgeIsNull", None),
    ("gender_present", None),  # present is one word (not pre|sent)
    ("IsEthnicityPresent", None),
])
def test_a_flag_about_a_trait_is_not_the_trait(config, name, data_type):
    assert classify(config, name, table="customers", data_type=data_type).pii_type is None


@pytest.mark.parametrize(("name", "data_type", "pii_type"), [
    ("gender", None, "gender"),
    ("candidate_gender", None, "gender"),
    ("gender_male", "boolean", "gender"),  # a one-hot trait stays the trait
    ("gender_source_value", None, "gender"),
    ("ethnicity", None, "ethnicity"),
    ("marital_status", None, "marital_status"),
    ("has_diabetes", "boolean", "health"),  # a clinical fact's flag is the fact: health keeps its flags
    ("diagnosis_confirmed", None, "health"),
    ("is_hispanic", None, "ethnicity"),
    ("gender_hash", None, "gender"),  # a hashed trait is still the trait (pseudonymised)
    ("age", "integer", "age"),  # "is" before a value word is the value: never an about-prefix
])
def test_the_trait_itself_and_clinical_flags_stay_pii(config, name, data_type, pii_type):
    assert classify(config, name, table="customers", data_type=data_type).pii_type == pii_type


# ------------------------------------------------------------------- statistics of an area's or a cohort's people


@pytest.mark.parametrize(("name", "table"), [
    ("median_age", "customers"),  # per segment or cohort, in a model named after the people it summarises
    ("median_age_male", "members"),
    ("age_median", "customers"),
    ("stddev_age", "patients"),
    ("age_variance", "employees"),
])
def test_a_statistic_over_people_is_not_one_persons_value(config, name, table):
    columns = ["segment", "first_name", "email", name]
    assert classify(config, name, table=table, columns=columns, data_type="float").pii_type is None


@pytest.mark.parametrize(("name", "data_type", "pii_type"), [
    ("age", "integer", "age"),
    ("age_at_admission", "integer", "age"),
    ("systolic", "float", "health"),  # one patient's measure
    ("median_age", "float", None),
])
def test_one_persons_measure_stays_pii(config, name, data_type, pii_type):
    assert classify(config, name, table="patients", data_type=data_type).pii_type == pii_type


# ---------------------------------------------------------------------- n_ before a value in a number column: a count


@pytest.mark.parametrize(("name", "data_type"), [
    ("n_phone", "integer"),
    ("nPhoneNumbers", "bigint"),
    ("N_DOB", "int"),
    ("n_email_addresses", "numeric"),
    ("n_passport", "integer"),
    ("n_ip_address", "integer"),
    ("n_customer_emails", None),  # no type known, in a table whose initial n is not
])
def test_n_before_a_value_in_a_number_column_is_a_count(config, name, data_type):
    assert classify(config, name, table="customers", data_type=data_type).pii_type is None


@pytest.mark.parametrize(("name", "data_type", "table", "pii_type"), [
    ("n_phone", "varchar", "customers", "phone"),  # a text column holds the number
    ("phone", "bigint", "customers", "phone"),  # a phone number stored as a number
    ("n_phone", "integer", "nodes", "phone"),  # n_ may be the table's own initial (TPC-H's n_nationkey in nation)
    ("n_phone", "integer", "dim_network_users", "phone"),
])
def test_n_stays_a_prefix_elsewhere(config, name, data_type, table, pii_type):
    assert classify(config, name, table=table, data_type=data_type).pii_type == pii_type


def test_n_without_a_type_is_a_count_only_in_a_known_table_it_cannot_abbreviate(config):
    assert classify(config, "n_phone", table="customers").pii_type is None  # customers: c_ would be its initial
    assert classify(config, "n_name", table="nation").pii_type == classify(config, "name", table="nation").pii_type
    # no table known: n_ may be any table's initial
    assert classify_column(name="n_phone", data_type=None, description=None, meta={}, tags=(), config=config
                           ).pii_type == "phone"


# ----------------------------------------------------------------------------------------- bench/pii_lookalikes.py


def test_pii_lookalikes_derives_names_by_kind_in_the_rows_spelling(config):
    module = bench_module("pii_lookalikes")
    snake = {kind: new for kind, new, _ in module.derive("home_phone", "phone", False, "varchar")}
    assert snake["has_X"] == "has_home_phone" and snake["X_opt_in"] == "home_phone_opt_in"
    assert snake["n_X"] == "n_home_phone" and snake["X_verified_at"] == "home_phone_verified_at"
    assert "avg_X" not in snake  # no average of a text value
    camel = {kind: new for kind, new, _ in module.derive("homePhone", "phone", False, "varchar")}
    assert camel["X_count"] == "homePhoneCount" and camel["is_X_verified"] == "isHomePhoneVerified"
    # kinds that would be PII themselves are not derived: a trait's label, a document's expiry, any health flag
    trait = {kind for kind, _, _ in module.derive("gender", "gender", True, "varchar")}
    assert "X_label" not in trait and "no_X" not in trait and "has_X" in trait
    assert "X_valid_until" not in {kind for kind, _, _ in module.derive("passport_no", "passport", False, "")}
    assert not list(module.derive("diagnosis", "health", True, "varchar"))
    assert not list(module.derive("is_hispanic", "ethnicity", True, "boolean"))  # already a flag


def test_pii_lookalikes_runs_on_a_tiny_label_file(config, tmp_path, capsys):
    module = bench_module("pii_lookalikes")
    rows = [("email_address", "varchar", "", "email"), ("first_name", "varchar", "", "person_name"),
            ("email_address_verified", "boolean", "", "email"), ("name", "varchar", "", "")]
    path = write_labels(tmp_path / "labels.csv", rows)
    module.main(["--labels", str(path), "--split", "dev"])
    out = capsys.readouterr().out
    assert "labels.csv, dev split: 3 PII rows" in out
    assert "flag:has_X" in out and "count:n_X respelled" in out and "all derived non-PII" in out
    assert "quality:X_is_null" in out and "value:X_hash" in out
    # a derived name someone labelled PII (here, oddly, email_address_verified) is no lookalike: not derived
    derived = {new for _, _, new, _ in module.derived_rows(
        [{"column_name": "email_address", "label_pii_type": "email", "data_type": "varchar"}], config,
        pii_names={"email_address_verified"})}
    assert "email_address_verified" not in derived and "has_email_address" in derived
    module.main(["--labels", str(path), "--split", "heldout", "--untyped"])  # no held-out rows: figures only
    assert "heldout split, untyped: 0 PII rows" in capsys.readouterr().out
