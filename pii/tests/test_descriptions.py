"""Pure tests of reading a column's description (issue 12): its opening noun phrase read as a column name, what the
text speaks of against what the column holds, negation, Markdown, dates of birth and dated clinical facts; each
beside the guard it must keep; and a small run of bench/pii_descriptions.py. No Django, no database."""

from __future__ import annotations

import pytest

from pii.classifier import classify_column
from pii.context import table_context
from pii.tests.bench_runs import bench_module


def described(config, description, *, data_type="varchar", name="col_17", table="records"):
    """The verdict of an opaque column in a neutral table: the description has to say what it holds."""
    context = table_context(name=table, description=None, column_names=["id", "created_at", name], config=config)
    return classify_column(name=name, data_type=data_type, description=description, meta={}, tags=(), config=config,
                           capsule_name=table, table=context)


# ----------------------------------------------------------------------- the opening, read as a column name


@pytest.mark.parametrize(("description", "data_type", "pii_type"), [
    ("Contact number of the applicant", "varchar", "phone"),  # no description phrase says "contact number"
    ("Emergency Contact Name", "varchar", "person_name"),
    ("IMEI for the user, if provided.", "varchar", "device_id"),
    ("The customer's civil status.", "varchar", "marital_status"),
    ("Contains the member's mail address.", "varchar", "email"),  # the name reader: a mail address is an email
    ("Telefonnummer des Kunden", "varchar", "phone"),  # an owner after des, du, del, do, van de ...
    ("Número de teléfono del cliente", "varchar", "phone"),  # accents folded
    ("E-Mail-Adresse", "varchar", "email"),
    ("Fecha de nacimiento", "date", "date_of_birth"),
    ("Sourced from the CRM export. Holds the subscriber's IMEI.", "varchar", "device_id"),  # a later sentence
    ("The list of payment cards associated with the customer.", "varchar", "card_number"),  # a list holds them
    ("Age of the guest", "integer", "age"),  # the reading weighed the owner: a guest is a person
    ("Date/Time of Birth", "varchar", "date_of_birth"),  # a pattern taking in the whole owner: birth date time
    ("Account Number of Bank Account At Post Office", "varchar", "bank_account"),
    ("The IP address of the client that made the request.", "varchar", "ip_address"),  # not client ip + address
])
def test_the_opening_is_read_as_a_name(config, description, data_type, pii_type):
    assert described(config, description, data_type=data_type).pii_type == pii_type


def test_a_hashed_value_read_from_the_opening_is_masked(config):
    c = described(config, "SHA-256 of the device cookie.")
    assert c.pii_type == "device_id" and c.masked


@pytest.mark.parametrize(("description", "data_type"), [
    ("Player Manager (denoted by 'Y')", "varchar"),  # a role alone is too weak in prose
    ("Treatment pronouns for the customer", "varchar"),  # the head noun is pronouns: the value is no treatment
    ("Date/Time of Last Study Treatment", "varchar"),  # a clinical record's time
    ("Name of the product as shown to customers", "varchar"),
    ("The name of the browser family (ex. 'Chrome')", "varchar"),  # no "family name" across the owner
    ("Describes the tool that loads this source into your warehouse.", "varchar"),  # prose is not abbreviated
])
def test_an_opening_that_names_no_persons_value_adds_nothing(config, description, data_type):
    assert described(config, description, data_type=data_type).pii_type is None


def test_a_phrase_saying_the_whole_opening_keeps_its_type(config):
    # "name of the {person}" is a person's name, though user_name read as a column is a username
    assert described(config, "Name of the user").pii_type == "person_name"
    c = described(config, "The name of the trial user.")
    assert c.pii_type == "person_name" and not any(e.pii_type == "username" and e.weight > 0 for e in c.evidence)


# ------------------------------------------------------------ what the text speaks of is not the value


@pytest.mark.parametrize(("description", "data_type"), [
    ("Country code of the billing address", "varchar"),
    ("City of the customer's shipping address", "varchar"),
    ("Time zone of the user's address", "varchar"),
    ("Length of the phone number in characters", "integer"),
    ("Source of the customer's email address", "varchar"),
    ("Format used to display the guest's full name", "varchar"),  # a phrase after an opening about a value
    ("Percentage of customers with a phone number on file", "float"),
])
def test_a_phrase_the_opening_speaks_of_is_not_the_value(config, description, data_type):
    assert described(config, description, data_type=data_type).pii_type is None


@pytest.mark.parametrize(("description", "pii_type"), [
    ("Postal code of the billing address.", "postal_code"),  # the opening's own type, not the address
    ("Street Abbreviation", "address"),  # how the value is written: not another thing
    ("string, second line of street address", "address"),  # a line of the address is the address
    ("Gender Key", "gender"),  # a coded value's key holds the code
    ("Day the member was born", "date_of_birth"),  # a day is part of a birth date
])
def test_a_part_or_a_key_of_the_value_keeps_it(config, description, pii_type):
    assert described(config, description).pii_type == pii_type


# ----------------------------------------------------------------------------------------------- negation


def test_a_denied_value_is_not_held(config):
    assert described(config, "Internal reference code; does not contain the user's phone number.").pii_type is None
    assert described(config, "Display name of the product (not a person's name).").pii_type is None


def test_a_negation_in_another_clause_leaves_the_value(config):
    assert described(config, "Phone number of the user, not validated").pii_type == "phone"
    assert described(config, "If not provided by the user, the phone number of the account holder").pii_type == "phone"


# ----------------------------------------------------------------------------------------------- Markdown


def test_markdown_is_read_as_its_text(config):
    c = described(config, "**Email address** of the user. See [the docs](https://example.com/phone_number).")
    assert c.pii_type == "email"
    assert not any(e.pii_type == "phone" for e in c.evidence)  # the link's address is not text
    assert described(config, "## Mobile number\nThe `member`'s mobile number.").pii_type == "phone"


# ----------------------------------------------------------------------------- dates and clinical facts


@pytest.mark.parametrize(("description", "data_type"), [
    ("Date the applicant was born", "date"),
    ("When the subscriber was born", "date"),
    ("Birth date of the customer", "date"),  # an opaque date column is an event time only by its type
])
def test_a_date_of_birth_said_in_prose(config, description, data_type):
    assert described(config, description, data_type=data_type).pii_type == "date_of_birth"


@pytest.mark.parametrize(("description", "data_type"), [
    ("Date the student's birth date was verified", "timestamp"),
    ("When the birth date was last updated", "timestamp"),
])
def test_a_time_about_a_birth_date_is_not_one(config, description, data_type):
    assert described(config, description, data_type=data_type).pii_type is None


def test_a_name_saying_an_event_time_is_not_overridden(config):
    assert described(config, "Birth date of the customer", data_type="timestamp", name="created_at").pii_type is None


@pytest.mark.parametrize(("description", "data_type"), [
    ("Date contraceptives initially used", "date"),
    ("Whether the patient has asthma", "boolean"),
])
def test_a_dated_or_flagged_clinical_fact_is_health(config, description, data_type):
    assert described(config, description, data_type=data_type).pii_type == "health"


def test_a_flag_about_a_value_that_is_no_clinical_fact_stays_out(config):
    assert described(config, "Whether the user has verified their email", data_type="boolean").pii_type is None
    assert described(config, "Number of diagnoses recorded", data_type="integer").pii_type is None


# ------------------------------------------------------------------------------- bench/pii_descriptions.py


def test_pii_descriptions_splits_templates_and_phrases(config):
    module = bench_module("pii_descriptions")
    cases = list(module.cases())
    assert {c.split for c in cases} == {"dev", "heldout"}
    kinds = {c.kind.split(":")[0] for c in cases}
    assert {"value", "about", "hash", "lang", "said", "clinical"} <= kinds
    # a case is held out when its template or its phrase is
    held = [c for c in cases if c.kind == "value:of" and module.split_of("{V} of the {o}") == "heldout"]
    assert all(c.split == "heldout" for c in held)
    assert all(c.expected is None for c in cases if c.kind.startswith("about:"))


def test_pii_descriptions_runs_on_a_slice(config, capsys):
    module = bench_module("pii_descriptions")
    only = [c for c in module.cases() if c.split == "dev"][::40]
    res = module.run(config, only=only)
    assert sum(c["n"] for c in res["counts"].values()) == len(only)
    module.report("slice", res, quiet=False, examples=2)
    out = capsys.readouterr().out
    assert "is-PII precision" in out and "value:* (all)" in out
