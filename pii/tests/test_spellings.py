"""Pure tests of a name's verdict under other spellings of it (issue 12: glued, spaced, punctuated, nested and
abbreviated names), by kind, each beside the lookalike that must stay out under the same spelling; and a small run
of bench/pii_variants.py, which measures this over the labelled rows. No Django, no database."""

from __future__ import annotations

import pytest

from pii.classifier import as_path
from pii.tests.bench_runs import bench_module, write_labels
from pii.tests.names import classify

# ------------------------------------------------------------------------------- storage objects and flattened paths


@pytest.mark.parametrize(("name", "path"), [
    ("contact['home_phone']", "contact.home_phone"),
    ('attrs["email"]', "attrs.email"),
    ("payload->>'email'", "payload.email"),
    ("payload__email", "payload.email"),
    ("data__attributes__first_name", "data.attributes.first_name"),
    ("sbqq__email__c", "sbqq__email__c"),  # a Salesforce namespace and a custom-field suffix are no path
    ("partner_email__c", "partner_email__c"),
])
def test_subscripts_json_operators_and_flattened_storage_paths_read_as_dotted_paths(config, name, path):
    assert as_path(name, config) == path


@pytest.mark.parametrize(("name", "table", "pii_type"), [
    ("payload__first", "patients", "person_name"),  # a bare person word: as if written alone, in a table of people
    ("data.attributes.first", "patients", "person_name"),
    ("payload->>'email'", "events", "email"),
    ("properties__phone", "customers", "phone"),
    ("record['name']", "customers", "person_name"),
    ("payload.attributes.telecom.value", "persons", "phone"),  # read from its first object naming something
])
def test_a_field_under_storage_objects_reads_as_the_field_alone(config, name, table, pii_type):
    assert classify(config, name, table=table).pii_type == pii_type


@pytest.mark.parametrize(("name", "table"), [
    ("payload__name", "products"),  # a product's name stays a product's, however nested
    ("data.attributes.name", "products"),
    ("payload__has_phone", "customers"),  # a flag, a count and a verification flag stay what they are
    ("properties__email_opt_in_count", "customers"),
    ("attrs.phone_verified", "customers"),
    ("payload__first", "orders"),  # a bare person word outside a table of people
    ("data.attributes.employment.name", "customers"),  # the employer's name, however deep the path
])
def test_storage_paths_keep_lookalikes_out(config, name, table):
    assert classify(config, name, table=table).pii_type is None


# ----------------------------------------------------------------------------------------- bench/pii_variants.py


def test_pii_variants_respells_a_name_by_kind():
    module = bench_module("pii_variants")
    found = dict.fromkeys(kind for kind, _ in module.variants("home_phone", True))
    spellings = {new for _, new in module.variants("home_phone", True)}
    assert {"homePhone", "HomePhone", "home-phone", "Home-Phone", "HOME_PHONE", "Home Phone", "home.phone",
            "homephone", "profile.home_phone", "payload__home_phone", "contact['home_phone']",
            "home_ph", "work_home_phone"} <= spellings
    assert {"case:camel", "nest:payload__", "abbrev:word", "owner:billing"} <= set(found)
    # a non-PII row gets no person-word object or owner that would make it a person's
    negatives = {new for _, new in module.variants("name", False)}
    assert not any(new.startswith(("profile.", "contact[", "emergency")) for new in negatives)
    # a flag keeps its flag word first: has_home_phone, not home_has_phone
    assert "has_home_phone" in {new for _, new in module.variants("has_phone", False)}


def test_pii_variants_runs_on_a_tiny_label_file(tmp_path, capsys):
    module = bench_module("pii_variants")
    rows = [("email_address", "varchar", "", "email"), ("first_name", "varchar", "", "person_name"),
            ("has_phone", "boolean", "", ""), ("name", "varchar", "", "")]
    path = write_labels(tmp_path / "labels.csv", rows)
    module.main(["--labels", str(path), "--split", "dev"])
    out = capsys.readouterr().out
    assert "labels.csv, dev split: 4 rows" in out
    assert "(rows themselves)" in out and "case:camel" in out and "all respellings" in out
    module.main(["--labels", str(path), "--split", "heldout"])  # no held-out rows: figures only, no failure
    assert "heldout split: 0 rows" in capsys.readouterr().out


# ------------------------------------------------------------------------------------ abbreviated phrases (fst_nm)


@pytest.mark.parametrize(("name", "table", "pii_type"), [
    ("fst_nm", "customers", "person_name"),  # first name: consonants kept in order, a phrase of the vocabulary
    ("lst_nm", "employees", "person_name"),
    ("MidNm", "person", "person_name"),  # mid opens middle
    ("cust_fst_nm", "orders", "person_name"),  # the customer's, in any table
    ("pstl_cd", "customers", "postal_code"),
    ("sender_fst_nm", "messages", "person_name"),  # after a role word that only names the owner
])
def test_words_abbreviated_to_their_consonants_read_as_the_vocabulary_phrase(config, name, table, pii_type):
    result = classify(config, name, table=table)
    assert result.pii_type == pii_type
    assert any("read as an abbreviation of" in e.detail for e in result.evidence)


@pytest.mark.parametrize(("name", "table"), [
    ("fst_nm_cnt", "customers"),  # a count of first names
    ("has_lst_nm", "customers"),  # a flag
    ("lst_updt_nm", "customers"),  # no phrase fits (last update name)
    ("lst_login", "users"),  # the last login: no phrase of the vocabulary
    ("ln_no", "invoices"),  # two letters are no reading (line number, not licence number)
    ("card_qty", "orders"),
    ("crm_id", "customers"),  # consonants in order but not the word's last (crossdomain id): no reading
])
def test_abbreviated_phrases_keep_lookalikes_out(config, name, table):
    assert classify(config, name, table=table).pii_type is None


@pytest.mark.parametrize("name", ["credit_card_amt", "email_amt"])
def test_an_abbreviated_amount_or_quantity_is_no_value_of_the_type_it_measures(config, name):
    # amt and qty are amount and quantity: the card's amount is no card number, not even a candidate
    result = classify(config, name, table="orders")
    assert result.pii_type is None
    assert not any(e.weight > 0 for e in result.evidence)


# ----------------------------------------------------------------------------------------- glued lower-case names


@pytest.mark.parametrize(("name", "table", "pii_type"), [
    ("hswhatsappphonenumber", "contacts", "phone"),  # a source's code glued before vocabulary words
    ("onvifpassword", "monitors", "credential"),
    ("candname", "candidates", "person_name"),  # the code read as an abbreviation (candidate)
    ("locationlat", "users", "geolocation"),  # a short word that hides in others, in a word that is no English word
    ("ssnlast4", "customers", "national_id"),
    ("administrativesex", "patients", "gender"),  # ordinary English words, then a short word that hides in others
    ("previousage", "customers", "age"),
])
def test_glued_names_read_as_their_words_written_apart(config, name, table, pii_type):
    assert classify(config, name, table=table).pii_type == pii_type


@pytest.mark.parametrize(("name", "table"), [
    ("hasphone", "customers"),  # glued flags, counts and verification flags stay what they are
    ("emailoptincount", "customers"),
    ("phoneverified", "customers"),
    ("productname", "products"),
    ("middlesex", "customers"),  # an English word is itself
    ("patid", "patients"),  # a code before a key stays one word (a key to the patient, not a value)
    ("vsstresn", "vs"),  # a code before a short word that hides in others is no reading (esn)
    ("threadid", "emails"),  # ordinary English words (thread id) are no code before a value (thre|adid)
    ("albumid", "tracks"),
    ("mileage", "customers"),  # English words that end in a short vocabulary word stay whole
    ("usage", "customers"),
    ("sbqq__salesrep__c", "quotes"),  # a role read inside glued words names nobody, before a custom-field suffix too
])
def test_glued_names_keep_lookalikes_out(config, name, table):
    assert classify(config, name, table=table).pii_type is None


# ------------------------------------------------------------------------------ objects that name nobody


@pytest.mark.parametrize(("name", "table", "pii_type"), [
    ("shipping_address.name", "customers", "person_name"),  # a value's own noun says nothing of whose it is
    ("home.phone", "customers", "phone"),  # which one, not whose
    ("billing.email", "customers", "email"),
    ("location.latitude", "users", "geolocation"),
    ("customer.name", "orders", "person_name"),
])
def test_an_object_that_names_nobody_leaves_the_field_to_the_table(config, name, table, pii_type):
    assert classify(config, name, table=table).pii_type == pii_type


# --------------------------------------------------------------------------- a whole field of a person's object


@pytest.mark.parametrize(("name", "table", "pii_type"), [
    ("contact.first", "patients", "person_name"),  # the contact's first name, as a bare first is the row's person's
    ("contact['maiden']", "patients", "person_name"),
    ("profile.pin", "hr_employee", "credential"),
])
def test_a_bare_word_as_the_whole_field_of_a_person_s_object_is_that_person_s(config, name, table, pii_type):
    assert classify(config, name, table=table).pii_type == pii_type


@pytest.mark.parametrize(("name", "table"), [
    ("contact.first", "products"),  # only in a table about people, as a bare first
    ("contact_first", "patients"),  # not a path: "contact first" is no field of a contact
    ("a.contact_first", "patients"),  # the field is contact_first, not first
])
def test_a_person_s_object_keeps_bare_lookalikes_out(config, name, table):
    assert classify(config, name, table=table).pii_type is None
