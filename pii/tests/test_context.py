"""Pure tests of pii/context.py and the kinds it lets the classifier read: what a table is about (its name, its
description, its other columns), header fields of messages, clinical records, bare person words, abbreviations
and identifiers of many countries. No Django, no database."""

from __future__ import annotations

import pytest

from pii.classifier import classify_column
from pii.context import table_context
from pii.vocabulary import default_pii_config


@pytest.fixture(scope="module")
def config():
    return default_pii_config()


def classify(config, table, columns, name, *, description=None, data_type=None):
    context = table_context(name=table, description=description, column_names=columns, config=config)
    return classify_column(name=name, data_type=data_type, description=None, meta={}, tags=(), config=config,
                           capsule_name=table, table=context)


def test_a_table_named_after_people_is_about_people(config):
    context = table_context(name="stg_crm__members", description=None, column_names=["id"], config=config)
    assert context.kind == "person" and "name" in context.reason


def test_a_description_saying_one_row_per_person_makes_a_table_about_people(config):
    context = table_context(name="dim_roster", description="One row per patient admitted since 2019.",
                            column_names=["id", "label"], config=config)
    assert context.kind == "person"
    assert "per patient" in context.reason


def test_a_description_saying_one_row_per_company_makes_a_table_about_organisations(config):
    context = table_context(name="dim_roster", description="Each record is a company we bill.",
                            column_names=["id", "name"], config=config)
    assert context.kind == "organisation"


def test_other_columns_holding_a_birth_date_make_a_table_about_people(config):
    context = table_context(name="t_roster", description=None, column_names=["id", "label", "birth_date"],
                            config=config)
    assert context.kind == "person" and "date_of_birth" in context.reason


def test_two_different_contact_fields_make_a_table_about_people_but_one_does_not(config):
    two = table_context(name="t_roster", description=None, column_names=["email", "mobile_phone"], config=config)
    one = table_context(name="t_roster", description=None, column_names=["email", "label"], config=config)
    assert two.kind == "person" and one.kind == "neutral"


def test_an_organisations_contact_fields_do_not_make_it_about_people(config):
    context = table_context(name="t_roster", description=None, column_names=["company_email", "company_phone"],
                            config=config)
    assert context.kind == "neutral"


def test_a_bare_name_is_a_person_name_only_in_a_table_about_people(config):
    assert classify(config, "dim_players", ["id", "name"], "name").pii_type == "person_name"
    assert classify(config, "t_widgets", ["id", "name", "weight"], "name").pii_type is None
    assert classify(config, "dim_vendors", ["id", "name"], "name").pii_type is None


def test_the_other_columns_decide_for_a_bare_name(config):
    columns = ["id", "name", "dob", "sex"]
    result = classify(config, "t_roster", columns, "name")
    assert result.pii_type == "person_name"
    assert any("other columns hold" in e.detail for e in result.evidence)


@pytest.mark.parametrize("name", ["first", "last", "maiden", "dependents", "guardian", "next_of_kin"])
def test_bare_person_words_are_people_as_whole_names_in_tables_about_people(config, name):
    assert classify(config, "stg_clinic__patients", ["id", name], name).pii_type == "person_name"


@pytest.mark.parametrize("name", ["first_order_at", "last_seen", "family_size", "child_count"])
def test_bare_person_words_inside_longer_names_are_not_people(config, name):
    assert classify(config, "stg_clinic__patients", ["id", name], name).pii_type is None


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [("sender", "email"), ("recipients", "email"), ("cc", "email"), ("reply_to", "email"), ("msg.from", "email"),
     ("to_address", "email"), ("sender_name", "person_name")],
)
def test_header_fields_of_a_table_of_messages_are_people_addresses(config, name, pii_type):
    assert classify(config, "fct_outbound_messages", ["id", name, "subject"], name).pii_type == pii_type


def test_header_field_words_outside_a_table_of_messages_are_not_addresses(config):
    assert classify(config, "fct_shipments", ["id", "to", "from"], "to").pii_type is None


def test_clinical_fields_of_a_per_patient_table_are_health_data(config):
    columns = ["patient_id", "onset_date", "code", "description", "recorded_by_id"]
    assert classify(config, "stg_emr__diagnoses", columns, "code").pii_type == "health"
    assert classify(config, "stg_emr__diagnoses", columns, "description").pii_type == "health"
    assert classify(config, "stg_emr__diagnoses", columns, "onset_date").pii_type is None
    assert classify(config, "stg_emr__diagnoses", columns, "recorded_by_id").pii_type is None


def test_a_glued_patient_key_naming_a_visit_marks_a_table_of_clinical_records(config):
    columns = ["orderid", "patientvisitid", "drugname", "dosage", "frequency", "orderoffset"]
    for name in ("drugname", "dosage", "frequency"):
        assert classify(config, "pharmacy_medications", columns, name).pii_type == "health", name
    assert classify(config, "pharmacy_medications", columns, "patientvisitid").pii_type is None
    # the same fields with no key to a patient: a reference list of drugs
    assert classify(config, "pharmacy_medications", ["orderid", "drugname", "dosage"], "dosage").pii_type is None


def test_a_person_s_weight_or_height_taken_at_admission_is_health_but_a_parcel_s_is_not(config):
    columns = ["patient_id", "birth_date", "admit_weight", "discharge_height"]
    assert classify(config, "inpatients", columns, "admit_weight").pii_type == "health"
    assert classify(config, "inpatients", columns, "discharge_height").pii_type == "health"
    assert classify(config, "shipments", ["shipment_id", "weight", "height"], "weight").pii_type is None


def test_a_visit_s_coordinates_and_a_key_written_first_are_read_in_a_table_of_visits(config):
    columns = ["id_visit", "id_site", "id_device", "client_ip", "location_lat", "location_lon"]
    assert classify(config, "web_visits", columns, "id_device").pii_type == "device_id"
    assert classify(config, "web_visits", columns, "id_site").pii_type is None
    assert classify(config, "web_visits", columns, "location_lat").pii_type == "geolocation"
    assert classify(config, "web_visits", columns, "location_lon").pii_type == "geolocation"
    # a shop's own coordinates are no person's
    assert classify(config, "stores", ["store_id", "name", "location_lat"], "location_lat").pii_type is None


def test_a_company_s_website_beside_a_name_makes_clients_organisations(config):
    columns = ["id", "name", "company_website", "address", "created"]
    assert classify(config, "customers", columns, "name").pii_type is None
    assert classify(config, "customers", ["id", "name", "address", "created"], "name").pii_type == "person_name"


def test_a_key_or_a_position_after_a_health_word_is_the_record_s_not_health(config):
    columns = ["patient_id", "diagnosisid", "diagnosis_seq", "diagnosisoffset", "diagnosis_text"]
    for name in ("diagnosisid", "diagnosis_seq", "diagnosisoffset"):
        assert classify(config, "visit_diagnoses", columns, name).pii_type is None, name
    assert classify(config, "visit_diagnoses", columns, "diagnosis_text").pii_type == "health"
    # a concept id is a vocabulary's code of the value itself (OMOP), not a record's key
    assert classify(config, "person", ["person_id", "gender_concept_id"], "gender_concept_id").pii_type == "gender"


def test_a_clinical_word_without_a_patient_key_is_not_a_table_of_records(config):
    columns = ["id", "code", "description"]  # a reference list of diagnosis codes
    assert classify(config, "ref_diagnoses", columns, "description").pii_type is None


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [("cust_nm", "person_name"), ("ph_no", "phone"), ("mob_no", "phone"), ("drv_lic_no", "drivers_license"),
     ("soc_sec_no", "national_id"), ("birth_dt", "date_of_birth"), ("zip_cd", "postal_code"),
     ("home-phone", "phone"), ("Client.IP", "ip_address"), ("profile.home_address", "address"),
     ("phone_cell", "phone"), ("email_work", "email"), ("contname", "person_name"),
     ("primaryadmitdx", "health"), ("emp_nic_no", "national_id")],
)
def test_abbreviated_glued_and_punctuated_spellings(config, name, pii_type):
    assert classify(config, "dim_clients", ["id", name], name).pii_type == pii_type


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [("nhs_number", "national_id"), ("ni_number", "national_id"), ("codice_fiscale", "national_id"),
     ("pesel", "national_id"), ("aadhaar_no", "national_id"), ("iban", "bank_account"), ("sort_code", "bank_account"),
     ("passport_no", "passport"), ("driving_licence_number", "drivers_license"), ("tax_file_number", "tax_id"),
     ("work_permit_no", "national_id"), ("visa_number", "passport"), ("id_card", "national_id")],
)
def test_identifiers_of_many_countries(config, name, pii_type):
    assert classify(config, "dim_staff", ["id", name], name).pii_type == pii_type


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [("imei", "device_id"), ("mac_addr", "device_id"), ("push_token", "device_id"), ("x_forwarded_for", "ip_address"),
     ("ipv6", "ip_address"), ("sign_in_ip", "ip_address")],
)
def test_network_and_device_identifiers(config, name, pii_type):
    assert classify(config, "fct_sessions", ["id", name], name).pii_type == pii_type


@pytest.mark.parametrize("name", ["has_phone", "email_opt_in_count", "avg_age", "num_devices", "ip_country"])
def test_flags_counts_and_statistics_about_pii_fields_stay_not_pii(config, name):
    assert classify(config, "stg_crm__customers", ["id", name], name).pii_type is None


def test_a_document_scan_is_the_document(config):
    result = classify(config, "dim_staff", ["id", "passport"], "passport", data_type="bytea")
    assert result.pii_type == "passport"


def test_table_context_is_memoised_per_table(config):
    first = table_context(name="t_a", description=None, column_names=["x"], config=config)
    assert table_context(name="t_a", description=None, column_names=["x"], config=config) is first


def test_customers_that_are_companies_are_organisations(config):
    columns = ["customer_id", "company_name", "contact_name", "address", "phone", "fax"]
    context = table_context(name="customers", description=None, column_names=columns, config=config)
    assert context.kind == "organisation" and "company_name" in context.reason
    assert classify(config, "customers", columns, "phone").pii_type is None
    assert classify(config, "customers", columns, "contact_name").pii_type == "person_name"


def test_a_company_column_beside_a_persons_own_fields_leaves_the_table_about_people(config):
    columns = ["customer_id", "first_name", "last_name", "company", "address", "phone"]
    assert table_context(name="customers", description=None, column_names=columns, config=config).kind == "person"
    assert classify(config, "customers", columns, "phone").pii_type == "phone"


# -- issue 12, round 6: nested paths, owners written after the value, calls, an address book's entry ----------


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [("shipping_address.name", "person_name"), ("billing_details.name", "person_name"), ("data.name", "person_name")],
)
def test_a_nested_field_whose_objects_name_nobody_is_read_in_its_tables_context(config, name, pii_type):
    people = ["id", "email", "phone", name]  # two contact fields: a table about people
    assert classify(config, "orders", people, name).pii_type == pii_type
    things = ["id", "sku", name]  # nothing says whose it is
    assert classify(config, "stock_items", things, name).pii_type is None


@pytest.mark.parametrize("name", ["Details.Name.Sur", "Details.Name.Fore", "name.given", "name.family"])
def test_a_field_is_read_with_the_object_it_is_part_of(config, name):
    assert classify(config, "stock_items", ["id", "sku", name], name).pii_type == "person_name"


def test_a_nested_field_under_an_object_of_its_own_is_not_the_rows_person(config):
    columns = ["id", "email", "phone", "employment.name", "employment.title"]  # the employer's name
    assert classify(config, "enriched_people", columns, "employment.name").pii_type is None


def test_a_part_of_a_name_object_that_is_not_a_name_stays_not_pii(config):
    columns = ["id", "email", "phone", "name.use", "name.given"]
    assert classify(config, "patients", columns, "name.use").pii_type is None


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [("ssn_number_patient", "national_id"), ("drivers_license_number_patient", "drivers_license"),
     ("phone_perso", "phone")],
)
def test_a_person_word_after_the_value_and_its_kept_words_is_the_owner(config, name, pii_type):
    assert classify(config, "interface_rows", ["id", name], name).pii_type == pii_type


def test_from_and_to_of_a_table_of_calls_are_phone_numbers(config):
    columns = ["sid", "from", "to", "to_formatted", "forwarded_from", "from_date", "duration"]
    for name in ("from", "to", "to_formatted", "forwarded_from"):
        assert classify(config, "calls", columns, name).pii_type == "phone", name
    assert classify(config, "calls", columns, "from_date").pii_type is None
    assert classify(config, "shipments", ["id", "from", "to"], "from").pii_type is None


def test_a_name_beside_the_rows_own_email_is_a_persons(config):
    assert classify(config, "collected_addresses", ["id", "name", "email"], "name").pii_type == "person_name"
    # someone else's email beside it (the exposure's owner) says nothing of the name
    assert classify(config, "exposures", ["id", "name", "owner_email"], "name").pii_type is None


def test_the_name_of_an_activity_in_a_table_about_peoples_activity_is_not_a_person(config):
    columns = ["event_id", "user_agent", "ip_address", "event_name"]
    assert classify(config, "events", columns, "user_agent").pii_type == "device_id"
    assert classify(config, "events", columns, "event_name").pii_type is None


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [("date_time_of_birth", "date_of_birth"), ("cause_of_death", "health"), ("whatsapp", "phone"),
     ("AssistantName", "person_name"), ("caller_name", "person_name"), ("AdditionalContactInfo", "personal_data"),
     ("ppsn", "national_id"), ("tc_kimlik_no", "national_id"), ("passaporte", "passport")],
)
def test_more_spellings_of_personal_fields(config, name, pii_type):
    columns = ["id", "birth_date", "gender", name]
    assert classify(config, "staff", columns, name).pii_type == pii_type


# -- round 7: kinds from round 6's former held-out ----------------------------------------------------------------


def test_a_nested_field_under_a_vocabulary_word_is_read_in_its_tables_context(config):
    columns = ["id", "email", "phone", "location.latitude", "location.city"]
    assert classify(config, "members", columns, "location.latitude").pii_type == "geolocation"
    assert classify(config, "members", columns, "location.city").pii_type is None


def test_observations_of_a_subject_written_as_element_paths_are_health_data(config):
    columns = ["id", "subject.reference", "category.coding.code", "code.coding.system", "code.coding.code",
               "valueQuantity.value", "valueQuantity.unit"]
    for name in ("code.coding.code", "valueQuantity.value"):
        assert classify(config, "observation", columns, name).pii_type == "health", name
    for name in ("category.coding.code", "code.coding.system", "valueQuantity.unit", "subject.reference"):
        assert classify(config, "observation", columns, name).pii_type is None, name


def test_the_organisations_a_contact_belongs_to_do_not_make_it_an_organisation(config):
    columns = ["id", "name", "email", "phone", "companies"]
    assert classify(config, "contacts", columns, "phone").pii_type == "phone"
    assert classify(config, "shippers", ["id", "company", "phone"], "phone").pii_type is None


def test_parties_of_a_payment_are_people(config):
    columns = ["PmtInf.Dbtr.Nm", "PmtInf.DbtrAcct.Id.IBAN", "CdtTrfTxInf.Cdtr.Nm"]
    for name in ("PmtInf.Dbtr.Nm", "CdtTrfTxInf.Cdtr.Nm"):
        assert classify(config, "pain001_transactions", columns, name).pii_type == "person_name", name


def test_rows_with_a_contact_person_are_organisations_and_their_contact_fields_are_not_personal():
    config = default_pii_config()
    shops = ["CustomerID", "CustomerName", "PrimaryContactPersonID", "AlternateContactPersonID", "PhoneNumber",
             "DeliveryAddressLine1", "DeliveryPostalCode"]
    context = table_context(name="Sales.Customers", description=None, column_names=shops, config=config)
    assert context.kind == "organisation" and context.own_organisation
    shops.append("BankAccountNumber")  # the shop's own account
    context = table_context(name="Sales.Customers", description=None, column_names=shops, config=config)
    for name in ("CustomerName", "PhoneNumber", "DeliveryAddressLine1", "DeliveryPostalCode", "BankAccountNumber"):
        found = classify_column(name=name, data_type="nvarchar(60)", description=None, meta={}, tags=(),
                                config=config, capsule_name="Sales.Customers", table=context)
        assert found.pii_type is None, name
    # customers that are people (a birth date) keep their names and phones, contact person key or not
    people = table_context(name="customers", description=None, column_names=[*shops, "DateOfBirth"], config=config)
    assert people.kind == "person"
    assert classify_column(name="CustomerName", data_type=None, description=None, meta={}, tags=(), config=config,
                           capsule_name="customers", table=people).pii_type == "person_name"


def test_a_table_named_after_an_activity_does_not_make_its_own_word_a_person():
    config = default_pii_config()
    columns = ["event_time", "event_name", "idfa", "hashed_email", "zip5", "provider_name"]
    context = table_context(name="app_events", description=None, column_names=columns, config=config)
    assert context.kind == "person"  # an email and a postcode: the rows are people's events

    def found(name, ctx, table):
        return classify_column(name=name, data_type=None, description=None, meta={}, tags=(), config=config,
                               capsule_name=table, table=ctx).pii_type

    assert found("event_name", context, "app_events") is None
    # a table named after people keeps its own word a person's (provider_name in a table of providers)
    providers = table_context(name="providers", description=None, column_names=["provider_name", "npi", "email",
                                                                                  "phone"], config=config)
    assert found("provider_name", providers, "providers") == "person_name"


# Round 11 (issue 12): table context and precision by kind.


def test_a_place_of_business_named_after_what_it_handles_is_an_organisation(config):
    columns = ["cc_call_center_sk", "cc_name", "cc_manager", "cc_street_name", "cc_zip", "cc_city"]
    context = table_context(name="call_center", description=None, column_names=columns, config=config)
    assert context.kind == "organisation" and not context.calls and not context.messages
    assert classify(config, "call_center", columns, "cc_street_name").pii_type is None
    assert classify(config, "call_center", columns, "cc_zip").pii_type is None
    assert classify(config, "call_center", columns, "cc_name").pii_type is None
    assert classify(config, "call_center", columns, "cc_manager").pii_type == "person_name"  # a person runs it


def test_a_table_of_places_holds_no_persons_postal_code_or_coordinates(config):
    columns = ["country_code", "postal_code", "place_name", "latitude", "longitude"]
    context = table_context(name="postal_codes", description=None, column_names=columns, config=config)
    assert context.kind == "organisation" and context.place and "places" in context.reason
    result = classify_column(name="postal_code", data_type="varchar(20)", description="postal code", meta={},
                             tags=(), config=config, capsule_name="postal_codes", table=context)
    assert result.pii_type is None  # the description repeats the name; the table says whose it is
    assert classify(config, "customers", ["id", "email", "postal_code"], "postal_code").pii_type == "postal_code"


@pytest.mark.parametrize("table", ["zip_stats", "customers_by_zip", "population_per_county", "county_summary"])
def test_statistics_per_area_are_the_areas(config, table):
    columns = ["zip", "county", "population", "avg_income", "customers"]
    assert table_context(name=table, description=None, column_names=columns, config=config).place
    assert classify(config, table, columns, "zip").pii_type is None


def test_an_organisations_possessive_in_a_description_names_no_person(config):
    context = table_context(name="teams", description=None, column_names=["team_id", "name"], config=config)
    team = classify_column(name="name", data_type="string", description="Team's full name", meta={}, tags=(),
                           config=config, capsule_name="teams", table=context)
    assert team.pii_type is None
    assert any("is not a person's name" in e.detail for e in team.evidence)
    people = table_context(name="players", description=None, column_names=["player_id", "name"], config=config)
    player = classify_column(name="name", data_type="string", description="Player's full name", meta={}, tags=(),
                             config=config, capsule_name="players", table=people)
    assert player.pii_type == "person_name"


def test_the_address_of_a_messages_sender_is_an_email_address(config):
    assert classify(config, "mail_senders", ["address", "name"], "address").pii_type == "email"
    assert classify(config, "customers", ["id", "name", "address"], "address").pii_type == "address"


@pytest.mark.parametrize("name", ["to_list", "cc_list", "rcpt_to", "header_from", "mail_from"])
def test_header_fields_written_as_lists_or_as_the_envelope_are_email_addresses(config, name):
    columns = ["id", "subject", name]
    assert classify(config, "outgoing_messages", columns, name).pii_type == "email"
    assert classify(config, "outgoing_messages", columns, "subject").pii_type is None


@pytest.mark.parametrize("name", ["sgsn_address", "gateway_address", "smtp_address", "mme_address"])
def test_the_address_of_a_network_element_is_not_a_persons(config, name):
    columns = ["imsi", "msisdn", "home_address", name]
    assert classify(config, "subscribers", columns, name).pii_type is None
    assert classify(config, "subscribers", columns, "home_address").pii_type == "address"


@pytest.mark.parametrize("key", ["demographic_no", "usubjid", "member_id"])
def test_clinical_records_keyed_by_a_person_who_is_not_called_a_patient_are_health(config, key):
    assert classify(config, "allergies", [key, "description", "reaction"], "reaction").pii_type == "health"
    assert classify(config, "adverse_events", [key, "term", "severity"], "term").pii_type == "health"
    assert classify(config, "medical_claims", [key, "procedure_code", "paid_amount"], "procedure_code"
                    ).pii_type == "health"
    assert classify(config, "medical_claims", [key, "procedure_code", "paid_amount"], "paid_amount").pii_type is None
    # without a key to the person, a table of reactions is a reference list
    assert classify(config, "allergies", ["allergy_id", "description", "reaction"], "reaction").pii_type is None


def test_children_alone_is_a_count_or_a_note_but_dependents_are_people(config):
    columns = ["id", "email", "birth_date", "children", "dependents"]
    assert classify(config, "customers", columns, "children").pii_type is None
    assert classify(config, "customers", columns, "dependents").pii_type == "person_name"


def test_an_address_book_entry_stays_about_people_beside_an_organisation_column(config):
    columns = ["identity_id", "user_id", "name", "organization", "email", "signature"]
    context = table_context(name="identities", description=None, column_names=columns, config=config)
    assert context.kind == "person"
    assert classify(config, "identities", columns, "name").pii_type == "person_name"


@pytest.mark.parametrize("table", ["dim_mbr", "tbl_stdnt", "cntcts"])
def test_a_table_named_with_an_abbreviated_person_word_is_about_people(config, table):
    assert table_context(name=table, description=None, column_names=["id", "name"], config=config).kind == "person"
    assert classify(config, table, ["id", "name"], "name").pii_type == "person_name"
    # only the head noun is read so: grp_events is about events, not a group
    assert table_context(name="grp_events", description=None, column_names=["id"], config=config).kind == "neutral"


def test_a_table_with_a_reply_header_holds_messages_whatever_its_name(config):
    columns = ["id", "thread_id", "from", "to", "cc", "subject", "in_reply_to", "body"]
    for name in ("from", "to", "cc"):
        assert classify(config, "helpdesk_posts", columns, name).pii_type == "email", name
    assert classify(config, "helpdesk_posts", columns, "subject").pii_type is None
    # the same header words without the reply header are not addresses (a shipment's from and to)
    assert classify(config, "helpdesk_posts", ["id", "from", "to", "subject"], "from").pii_type is None


def test_vital_signs_and_smoking_of_a_table_of_clinical_records_are_health(config):
    columns = ["vital_id", "patient_id", "measured_at", "ht", "wt", "systolic", "diastolic", "smoking"]
    for name in ("ht", "wt", "systolic", "diastolic", "smoking"):
        assert classify(config, "patient_vitals", columns, name).pii_type == "health", name
    # a product's weight and a shop's smoking area are no one's health
    assert classify(config, "products", ["product_id", "wt", "ht"], "wt").pii_type is None
    assert classify(config, "venues", ["venue_id", "name", "smoking"], "smoking").pii_type is None


def test_a_diagnosis_s_type_and_origin_are_the_record_s_not_the_diagnosis(config):
    columns = ["diagnosis_id", "patient_id", "dx", "dx_type", "dx_origin", "diagnosis_type"]
    assert classify(config, "diagnoses", columns, "dx").pii_type == "health"
    for name in ("dx_type", "dx_origin", "diagnosis_type"):
        assert classify(config, "diagnoses", columns, name).pii_type is None, name


def test_a_table_of_departments_is_about_an_organisation_and_its_phone_is_the_department_s(config):
    columns = ["dept_id", "dept_name", "leader", "phone", "email", "status"]
    assert classify(config, "sys_dept", columns, "dept_name").pii_type is None
    assert classify(config, "sys_dept", columns, "phone").pii_type is None


def test_a_source_system_s_raw_value_of_a_clinical_record_is_still_health(config):
    columns = ["vital_id", "patient_id", "smoking", "raw_smoking", "raw_tobacco_type"]
    for name in ("raw_smoking", "raw_tobacco_type"):
        assert classify(config, "patient_vitals", columns, name).pii_type == "health", name


def test_a_numbered_parent_is_a_person_and_a_parent_company_is_not(config):
    columns = ["application_id", "surname", "dob", "parent1officialName", "parent2email", "parent_name"]
    for name in ("parent1officialName", "parent2email"):
        assert classify(config, "application_forms", columns, name).pii_type in ("person_name", "email"), name
    assert classify(config, "application_forms", columns, "parent1officialName").pii_type == "person_name"
    # in a table about organisations an unnumbered parent is the parent company
    assert classify(config, "accounts", ["account_id", "name", "parent_name"], "parent_name").pii_type is None


def test_a_company_s_email_is_the_company_s_but_a_partner_s_in_a_table_about_people_still_counts(config):
    columns = ["application_id", "surname", "dob", "email", "companyEmail", "partner_email"]
    assert classify(config, "application_forms", columns, "companyEmail").pii_type is None
    assert classify(config, "application_forms", columns, "email").pii_type == "email"
    assert classify(config, "application_forms", columns, "partner_email").pii_type == "email"


def test_the_file_a_clinical_record_was_loaded_from_is_not_health(config):
    columns = ["condition_id", "patient_id", "source_code", "file_name"]
    assert classify(config, "conditions", columns, "source_code").pii_type == "health"
    assert classify(config, "conditions", columns, "file_name").pii_type is None


# ------------------------------------------------------------------------------------------------ round 16


def classify_described(config, table, columns, name, description, data_type=None):
    context = table_context(name=table, description=None, column_names=columns, config=config)
    return classify_column(name=name, data_type=data_type, description=description, meta={}, tags=(), config=config,
                           capsule_name=table, table=context)


def test_a_table_of_kinds_of_people_is_not_about_people(config):
    # membership types, customer categories: each row is a kind, its name the kind's name
    for table in ("members_membershiptype", "customer_types", "dim_user_category"):
        assert classify(config, table, ["id", "name", "amount"], "name").pii_type is None, table
    # ... while the people themselves, and a word glued to type that is no word of the vocabulary, keep their reading
    assert classify(config, "members_member", ["id", "name", "amount"], "name").pii_type == "person_name"
    genotypes = table_context(name="patient_genotypes", description=None, column_names=["id"], config=config)
    assert genotypes.kind == "person"
    # a kind's table whose rows are people after all (a birth date beside the name) still says so
    assert classify(config, "customer_types", ["id", "name", "birth_date"], "name").pii_type == "person_name"


def test_a_table_of_message_templates_or_settings_holds_no_messages(config):
    columns = ["id", "subject", "text", "bcc", "cc"]
    for table in ("mails_mailtemplate", "email_templates", "notification_settings"):
        assert table_context(name=table, description=None, column_names=columns, config=config).messages is False
        assert classify(config, table, columns, "bcc").pii_type is None, table
    assert classify(config, "mails_email", columns, "bcc").pii_type == "email"


def test_a_label_whose_last_word_names_another_thing_is_not_the_value_it_qualifies(config):
    columns = ["member_id", "iban", "institute", "mandate_reference"]
    for name, description in (("institute", "IBAN Institute"), ("mandate_reference", "IBAN Mandate Reference")):
        assert classify_described(config, "sepa_membersepa", columns, name, description).pii_type is None, name
    # the value itself, the value with its form word, and prose or a bracket after it still count
    for name, description, pii_type in (("acct", "IBAN", "bank_account"), ("acct", "IBAN number", "bank_account"),
                                        ("whodunnit", "Email for licensing", "email"),
                                        ("fnamk", "First name (Katakana)", "person_name"),
                                        ("strds", "Street Abbreviation", "address")):
        assert classify_described(config, "employees", ["id", "birth_date"], name, description).pii_type == pii_type, \
            description


def test_an_abbreviation_its_description_spells_out_otherwise_is_not_what_it_usually_stands_for(config):
    columns = ["id", "name", "lname", "fname"]
    assert classify_described(config, "res_bank", columns, "lname", "Long name").pii_type is None
    assert classify_described(config, "documents", columns, "fname", "File name").pii_type is None
    assert classify_described(config, "customers", columns, "lname", "Last name").pii_type == "person_name"
    assert classify_described(config, "customers", columns, "lname", None).pii_type == "person_name"


def test_a_value_only_a_description_names_is_an_organisation_s_in_a_table_about_organisations(config):
    description = "VAT code / Value Added Tax number"
    assert classify_described(config, "res_bank", ["id", "name", "bic", "vat"], "vat", description).pii_type is None
    # the same description in a table about people is the person's tax number
    people = ["id", "name", "birth_date", "vat"]
    assert classify_described(config, "res_partner", people, "vat", description).pii_type == "tax_id"


def test_a_nick_a_fiscal_code_and_a_city_of_birth_are_a_person_s(config):
    people = ["id", "name", "birth_date", "nick", "fiscalcode", "birth_city"]
    assert classify(config, "profile_memberprofile", people, "nick").pii_type == "person_name"
    assert classify(config, "res_partner", people, "fiscalcode").pii_type == "tax_id"
    assert classify(config, "wizard_compute_fc", people, "birth_city", data_type="Many2one").pii_type == "nationality"
    # a nick in a table about nothing personal, a fiscal year and a bare city are not
    assert classify(config, "irc_bots", ["id", "nick", "channel"], "nick").pii_type is None
    assert classify(config, "res_partner", people, "fiscal_year").pii_type is None
    assert classify(config, "res_partner", people, "city").pii_type is None


# ------------------------------------------------------------------------------------------------ round 17


def test_a_data_type_naming_a_reference_or_the_model_the_column_names_holds_no_value(config):
    # an API client's reference type, a nested model named as the column: another record, not the value
    columns = ["id", "amount", "billingAddress", "bankAccount", "iban", "customer"]
    assert classify(config, "payments", columns, "billingAddress", data_type="ShopReference").pii_type is None
    assert classify(config, "payments", columns, "bankAccount", data_type="BankAccount").pii_type is None
    assert classify(config, "payments", columns, "billingAddress", data_type="PostalAddress").pii_type is None
    # ... while a value's own class (EmailStr, IBANField) and one-word or SQL types keep the reading
    assert classify(config, "payments", columns, "billingAddress", data_type="str").pii_type == "address"
    assert classify(config, "payments", columns, "billingAddress", data_type="VARCHAR").pii_type == "address"
    assert classify(config, "payments", columns, "bankAccount", data_type="str").pii_type == "bank_account"
    assert classify(config, "payments", columns, "iban", data_type="IBANField").pii_type == "bank_account"
    assert classify(config, "customers", ["id", "email"], "email", data_type="EmailStr").pii_type == "email"


def test_a_vat_number_is_a_tax_id_where_the_row_may_be_a_person(config):
    columns = ["id", "name", "is_company", "vat", "street"]
    assert classify(config, "crm_partner", columns, "vat").pii_type == "tax_id"
    # a VAT amount is a number, and a bare VAT elsewhere says nothing
    assert classify(config, "crm_partner", columns, "vat", data_type="numeric(12,2)").pii_type is None
    assert classify(config, "fct_invoice_lines", ["id", "amount", "vat"], "vat").pii_type is None
    # a description calling the column a VAT number, but not one about validating it
    described = classify_described(config, "tax_declaration_line", ["id", "seller_vat", "amount"], "seller_vat",
                                   "VAT number")
    assert described.pii_type == "tax_id"
    validated = classify_described(config, "tax_declaration_line", ["id", "vat_check_ok"], "vat_check_ok",
                                   "VAT number validation result", data_type="smallint")
    assert validated.pii_type is None


def test_a_user_name_in_other_languages_is_a_username_not_a_persons_name(config):
    columns = ["id", "vorname", "nachname"]
    for name in ("Benutzername", "gebruikersnaam", "nombre_de_usuario", "nom_utilisateur", "nome_utente"):
        assert classify(config, "accounts_export", columns, name).pii_type == "username", name
    # the user's own first name is still a name
    assert classify(config, "accounts_export", columns, "vorname").pii_type == "person_name"


def test_a_bare_one_time_password_or_pin_is_a_credential_in_a_table_about_people(config):
    columns = ["id", "full_name", "email", "phone", "otp", "pin"]
    assert classify(config, "guest_bookings", columns, "otp").pii_type == "credential"
    assert classify(config, "guest_bookings", columns, "pin").pii_type == "credential"
    # a flag or a count about it, India's postal PIN code, or a bare pin outside a table about people
    for name in ("is_pinned", "otp_attempts", "pin_code"):
        assert classify(config, "guest_bookings", columns + [name], name).pii_type != "credential", name
    assert classify(config, "map_markers", ["id", "lat", "pin"], "pin").pii_type is None
