"""Clinical record tables (issue 12, session 29): a table of one person's clinical events (lab results, prescriptions,
adverse events, medical examinations) holds health data in its fact columns whatever their names, while its keys,
record timestamps, units and admin columns, reference lists of terms, aggregates per area and non-clinical tables
with the same column names stay non-PII. Real classifier, real config; tables written from general knowledge of
clinical data models. No Django, no database."""

from __future__ import annotations

import pytest

from pii.classifier import classify_column
from pii.context import table_context
from pii.tests.bench_runs import bench_module
from pii.vocabulary import default_pii_config


@pytest.fixture(scope="module")
def config():
    return default_pii_config()


def verdict(config, table, columns, name):
    context = table_context(name=table, description=None, column_names=[*columns, name], config=config)
    return classify_column(name=name, data_type="varchar", description=None, meta={}, tags=(), config=config,
                           capsule_name=table, table=context).pii_type


ADMIN = ["id", "created_at", "updated_by", "record_status", "source_system"]


@pytest.mark.parametrize(("table", "key", "name"), [
    # a drug's national codes in a prescription, a lab result's flag
    ("prescriptions", "subject_id", "ndc"), ("prescriptions", "subject_id", "GSN"),
    ("lab_results", "patient_id", "flag"), ("lab_results", "patient_id", "abnormal_flag"),
    # keys naming the person by another word: a trial's participant, a payer's beneficiary, a record number
    ("allergies", "participant_id", "reaction"), ("medications", "beneficiary_id", "dose"),
    ("clinical_notes", "mrn", "text"),
    # clinical events named in other languages, with their fields in the same language
    ("recetas", "patient_id", "medicamento"), ("befunde", "patient_id", "ergebnis"),
    ("ordonnances", "patient_id", "posologie"), ("referti", "patient_id", "risultato"),
    # a bare concept id in a table of observations is the observation's concept (OpenMRS)
    ("obs", "person_id", "concept_id"),
])
def test_a_clinical_event_tables_fact_columns_are_health(config, table, key, name):
    assert verdict(config, table, [*ADMIN, key], name) == "health"


@pytest.mark.parametrize("table", ["hr_employee_medical_examination", "sick_leaves", "sports_injuries"])
def test_a_medical_table_keyed_by_any_person_holds_that_persons_clinical_records(config, table):
    # an employee's medical examination, a worker's sick leave: the key names an employee, not a patient
    assert verdict(config, table, ["name", "employee_id", "date"], "result") == "health"
    # ... but a table named medical whose head noun is a person is the person's own table (the staff's codes)
    assert verdict(config, "medical_staff", ["employee_id", "name"], "code") is None
    # ... and a key to a person alone, with no medical word, makes no clinical record (an expense claim's result)
    assert verdict(config, "expense_reports", ["employee_id", "amount"], "result") is None


@pytest.mark.parametrize(("table", "name"), [("ae", "AETERM"), ("ae", "AESEV"), ("AE", "AEOUT"), ("vs", "VSORRES"),
                                             ("vs", "VSSTRESN"), ("lb", "LBNRIND"), ("sdtm_cm", "CMTRT")])
def test_a_cdisc_domains_result_and_term_variables_are_the_subjects_health(config, table, name):
    assert verdict(config, table, ["STUDYID", "DOMAIN", "USUBJID"], name) == "health"


@pytest.mark.parametrize("name", ["AESEQ", "VSTESTCD", "VSORRESU", "AESTDTC", "USUBJID"])
def test_a_cdisc_domains_test_codes_units_dates_and_keys_stay_non_pii(config, name):
    table = "vs" if name.startswith("VS") else "ae"
    assert verdict(config, table, ["STUDYID", "DOMAIN", "USUBJID", "AETERM"], name) is None


def test_a_cdisc_domain_code_without_a_subject_key_is_no_clinical_table(config):
    # a committee master (FEC's cm) has no subject key: its glued names are no SDTM variables
    assert verdict(config, "cm", ["CMTE_ID", "CMTE_NM"], "CMTRT") is None


@pytest.mark.parametrize("name", ["id", "created_at", "updated_by", "record_status", "source_system", "unit",
                                  "value_unit", "start_date", "recorded_at", "seq_num", "drug_order_cancelled",
                                  "is_deleted_flag", "hospital_expire_flag"])
def test_a_clinical_tables_keys_timestamps_units_and_record_states_stay_non_pii(config, name):
    assert verdict(config, "prescriptions", [*ADMIN, "patient_id", "drug", "dose"], name) is None


@pytest.mark.parametrize(("table", "columns", "name"), [
    # reference lists: no key to a person
    ("icd10_codes", ["code", "description"], "code"), ("drug_catalog", ["ndc", "strength"], "drug_name"),
    # statistics per area name health terms, no one's health
    ("diagnosis_counts_by_region", ["region", "patient_count"], "diagnosis_code"),
    # non-clinical tables with a person's key and value, result, code columns
    ("user_settings", ["user_id", "key"], "value"), ("ci_test_results", ["run_id", "user_id"], "result"),
    ("student_exam_results", ["student_id", "score"], "result"),
    # a clinic's own resources
    ("clinic_rooms", ["room_code", "status"], "description"),
])
def test_lookalikes_of_clinical_tables_stay_non_pii(config, table, columns, name):
    assert verdict(config, table, columns, name) is None


def test_the_clinical_bench_runs_and_splits_its_nouns(config):
    bench = bench_module("pii_clinical")
    assert bench.split_of("Diagnosis") == bench.split_of("diagnosis")
    assert {bench.split_of(s) for s, _, _ in bench.CLINICAL} == {"dev", "heldout"}
    settings = {case.setting for case in bench.cases()}
    assert settings >= {"a:clinical", "a:admin", "a:cdisc", "c:reference", "c:aggregate", "c:other", "c:resource"}
    res = bench.run(config, split="dev")
    counts = res["counts"]
    assert counts[("a:cdisc", "fact")]["health"] == counts[("a:cdisc", "fact")]["n"]
    assert counts[("a:admin", "admin")]["pii"] == 0


def test_a_description_naming_a_clinical_event_makes_a_neutral_table_clinical(config):
    columns = ["id", "patient_id", "created_at", "value"]
    described = table_context(name="records", description="One row per lab result of a patient.",
                              column_names=columns, config=config)
    silent = table_context(name="records", description=None, column_names=columns, config=config)
    assert described.health and not silent.health
    got = classify_column(name="value", data_type="varchar", description=None, meta={}, tags=(), config=config,
                          capsule_name="records", table=described)
    assert got.pii_type == "health"


@pytest.mark.parametrize("name", ["test_code", "test_name", "lab_name", "labname", "TestName", "loinc_code"])
def test_the_test_a_result_answers_is_not_the_result(config, name):
    # the labels' convention: a lab test's code and name are not health, its result is
    assert verdict(config, "lab_results", ["id", "patient_id", "result"], name) is None
    assert verdict(config, "lab_results", ["id", "patient_id", name], "lab_result_value") == "health"
