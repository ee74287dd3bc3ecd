"""A generated, rule-based measure of clinical record tables: are a person's clinical facts read as health?

    python bench/pii_clinical.py [--split dev|heldout|all] [--quiet] [--examples 6]

A labeller marks the clinical fact columns of a table that records one person's health events (a lab result's value
and flag, a prescription's drug code, an adverse event's term and severity, a vital sign's result) ``health``
whatever the column's name, because each row is one person's clinical event (bench/data/pii_recall_SOURCES.md "How
the labels were made": "clinical facts recorded about one patient ... are health; reference lists of codes, record
types and units are not"). This bench writes such tables from general knowledge of clinical data models (not from
any labelled row) and scores each column's verdict:

- ``a:clinical``: a clinical event noun (``CLINICAL``: diagnoses, prescriptions, lab results, vitals, encounters,
  procedures, immunizations, allergies, adverse events, sick leave, medical examinations, claim lines, in English and
  other languages) in several table naming styles (``TABLE_STYLES``), keyed by a person (``PERSON_KEYS``), with its
  clinical fact columns (expected health) in several column spellings;
- ``a:admin``: the same tables' administrative columns (``ADMIN``: ids, record timestamps, who updated the record,
  the record's status, the source system, a version) and the event's own dates and units (``RECORD``): expected not
  PII (the labels' convention: dates of events, units, record types are not labelled);
- ``a:admin`` / ``test``: the test a lab result or an observation answers (its code and name): not PII;
- ``b:description``: a neutral table name (records, t1) whose description says what a row is ("One row per lab
  result of a patient."), with the person key and the fact columns: expected health;
- ``b:columns``: a neutral table name whose columns hold a clinical code (diagnosis_code, drug_code) beside the person
  key: its other fact columns expected health;
- ``a:cdisc``: CDISC SDTM-like short domains (ae, vs, lb, cm, mh) with a ``USUBJID``: their result and term
  variables (``AETERM``, ``VSORRES``) health, their test codes, units and sequence numbers not;
- ``c:reference``: reference and code tables (``REFERENCE``: ICD code lists, drug catalogues, lab test definitions)
  with no person key: nothing is PII;
- ``c:aggregate``: aggregate tables (counts per diagnosis per region): nothing is PII;
- ``c:other``: non-clinical tables with a person's key and ``value``/``result``/``note``/``code`` columns (settings,
  metrics, CI test runs, a school's exam scores, CRM notes): nothing is PII (no type in the vocabulary);
- ``c:resource``: a clinic's own resources (rooms, schedules, slots): nothing is PII.

Columns whose label the dev rows leave open (a drug's route: MIMIC's ``ROUTE`` unlabelled, eICU's ``routeadmin``
health) are not scored; a lab test's own name or code follows the sources' note (eICU's ``labname`` and SDTM's
``VSTESTCD`` unlabelled, though FHIR's bare ``code.coding.code`` is labelled health).

Nouns are split by the sha1 of the noun (``split_of``: about a quarter held out): the held-out nouns are never
tuned on (``--split heldout`` prints figures only). Per setting and column kind it prints recall (a) or the
false-positive rate (c and a:admin).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pii_contexts import COLUMN_STYLES, hash_split  # noqa: E402
from bench.pii_variants import CASES, words_of  # noqa: E402
from pii.classifier import classify_column  # noqa: E402
from pii.context import table_context  # noqa: E402
from pii.vocabulary import load_pii_config  # noqa: E402

# Clinical event tables: (singular noun, plural noun, its clinical fact columns). Nouns in English, then Spanish,
# Portuguese, German, French, Italian and Dutch (general knowledge of clinical data models: OMOP, FHIR, MIMIC-like,
# claims, EMRs, occupational health).
CLINICAL: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("diagnosis", "diagnoses", ("diagnosis_code", "icd10_code", "code", "description", "diagnosis")),
    ("condition", "conditions", ("condition_code", "code", "description", "severity", "stage")),
    ("prescription", "prescriptions", ("drug_name", "ndc", "ndc_code", "dose", "dosage", "frequency", "strength",
                                       "drug_code", "quantity_prescribed")),
    ("medication_administration", "medication_administrations", ("medication", "dose", "dose_value", "drug_code")),
    ("medication", "medications", ("drug", "ndc", "dose", "frequency", "indication")),
    ("lab_result", "lab_results", ("result", "value", "result_value", "flag", "abnormal_flag", "interpretation",
                                   "value_numeric", "result_text")),
    ("observation", "observations", ("value", "value_numeric", "value_text", "value_coded", "interpretation",
                                      "note")),
    ("vital", "vitals", ("systolic", "diastolic", "heart_rate", "temperature", "weight", "height", "bmi", "value",
                         "respiratory_rate", "oxygen_saturation")),
    ("vital_sign", "vital_signs", ("value", "result", "pulse", "systolic_bp")),
    ("encounter", "encounters", ("reason_code", "reason_description", "chief_complaint", "diagnosis_code")),
    ("procedure", "procedures", ("procedure_code", "cpt_code", "code", "description", "outcome")),
    ("immunization", "immunizations", ("vaccine_code", "cvx_code", "vaccine", "reaction")),
    ("allergy", "allergies", ("allergen", "reaction", "severity", "substance", "code")),
    ("adverse_event", "adverse_events", ("term", "severity", "outcome", "serious", "causality", "action_taken",
                                         "grade")),
    ("sick_leave", "sick_leaves", ("diagnosis", "icd_code", "reason")),
    ("medical_exam", "medical_exams", ("result", "note", "findings", "conclusion")),
    ("medical_examination", "medical_examinations", ("result", "note", "findings")),
    ("claim_line", "claim_lines", ("diagnosis_code", "procedure_code", "ndc", "drg_code", "icd_code")),
    ("medical_claim", "medical_claims", ("diagnosis_code", "procedure_code", "primary_diagnosis")),
    ("problem", "problem_list", ("code", "description", "severity", "onset_note")),
    ("clinical_note", "clinical_notes", ("note_text", "text", "body", "note")),
    ("lab_order", "lab_orders", ("result", "result_flag", "value")),
    ("test_result", "patient_test_results", ("result", "value", "interpretation")),
    ("hospitalization", "hospitalizations", ("admit_diagnosis", "discharge_diagnosis", "drg_code")),
    # other languages
    ("diagnostico", "diagnosticos", ("codigo", "descripcion", "diagnostico")),
    ("receta", "recetas", ("medicamento", "dosis", "codigo")),
    ("prescricao", "prescricoes", ("medicamento", "dose", "codigo")),
    ("befund", "befunde", ("ergebnis", "wert", "befund", "code")),
    ("diagnose", "diagnosen", ("code", "beschreibung", "diagnose")),
    ("ordonnance", "ordonnances", ("medicament", "dose", "code")),
    ("diagnostic", "diagnostics_patient", ("code", "libelle", "diagnostic")),
    ("referto", "referti", ("risultato", "valore", "nota")),
    ("verrichting", "verrichtingen", ("code", "omschrijving", "uitslag")),
)
# How a table is named after its noun.
TABLE_STYLES: tuple[str, ...] = ("{p}", "patient_{p}", "fct_{p}", "stg_emr__{p}", "{P}", "tbl_{p}", "{s}_records")
# Keys to the person each row is about (one per table, chosen by the noun's hash).
PERSON_KEYS = ("patient_id", "subject_id", "member_id", "person_id", "PatientID", "patient_key", "beneficiary_id",
               "participant_id", "mrn", "employee_id")
# Keys to a person that say nothing clinical: only a table whose name is medical may read them (sick_leave,
# medical_exam: an employee's).
MEDICAL_ONLY_KEYS = frozenset({"employee_id"})
MEDICAL_NOUNS = frozenset({"sick_leave", "medical_exam", "medical_examination"})
# A clinical table's administrative columns and its event's dates and units: not PII.
ADMIN = ("id", "created_at", "updated_at", "updated_by", "record_status", "source_system", "version", "is_deleted",
         "loaded_at", "encounter_id", "provider_id")
RECORD = ("start_date", "recorded_at", "unit", "value_unit", "dose_unit", "record_type", "seq_num")
# The test a lab result or an observation answers (its code, its name): the test's, not the result (the labels'
# convention: "the test's code and units are not").
TEST = ("test_code", "test_name", "lab_name")
TESTED = frozenset({"lab_result", "observation", "vital_sign", "lab_order", "test_result"})
# Tables whose name says nothing: a description saying what a row is, or a clinical code among their columns.
NEUTRAL_NAMES = ("records", "raw_data", "t1", "stg_app__records", "entries", "src_table_a")
DESCRIPTIONS = ("One row per {s} of a patient.", "Each record is a {s} recorded for a patient.")
CODES = ("diagnosis_code", "icd10_code", "drug_code", "procedure_code")

# CDISC SDTM-like short domains keyed by USUBJID: (domain, health variables, not-PII variables).
CDISC: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("ae", ("TERM", "DECOD", "SEV", "SER", "OUT", "REL", "ACN", "BODSYS", "TOXGR"), ("SEQ", "STDTC", "ENDTC", "SPID")),
    ("vs", ("ORRES", "STRESC", "STRESN"), ("SEQ", "TESTCD", "ORRESU", "STRESU", "DTC", "POS")),
    ("lb", ("ORRES", "STRESC", "STRESN", "NRIND"), ("SEQ", "TESTCD", "ORRESU", "STRESU", "DTC")),
    ("cm", ("TRT", "DECOD", "DOSE", "INDC"), ("SEQ", "STDTC", "ENDTC", "DOSU")),
    ("mh", ("TERM", "DECOD", "BODSYS"), ("SEQ", "STDTC", "CAT")),
)
CDISC_ADMIN = ("STUDYID", "DOMAIN", "USUBJID")

# Lookalikes: (setting, table, columns). Nothing in them is PII.
LOOKALIKES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("c:reference", "icd10_codes", ("code", "description", "short_description", "chapter")),
    ("c:reference", "drug_catalog", ("ndc", "drug_name", "strength", "dose_form", "route", "manufacturer")),
    ("c:reference", "lab_test_definitions", ("test_code", "name", "unit", "reference_low", "reference_high")),
    ("c:reference", "loinc_codes", ("loinc_code", "long_name", "component", "value")),
    ("c:reference", "vaccine_types", ("cvx_code", "vaccine", "description")),
    ("c:reference", "diagnosis_lookup", ("code", "description", "category")),
    ("c:reference", "medication_formulary", ("drug", "dose", "strength", "tier")),
    ("c:reference", "dim_procedure", ("procedure_code", "description", "cpt_code")),
    ("c:reference", "allergen_catalogue", ("allergen", "substance", "code")),
    ("c:aggregate", "diagnosis_counts_by_region", ("region", "diagnosis_code", "description", "patient_count")),
    ("c:aggregate", "monthly_lab_volume", ("month", "test_code", "result_count", "avg_value")),
    ("c:aggregate", "prescriptions_per_drug", ("drug_name", "ndc", "prescription_count", "total_dose")),
    ("c:aggregate", "agg_vitals_by_site", ("site_id", "avg_systolic", "avg_diastolic", "n")),
    ("c:other", "user_settings", ("user_id", "key", "value", "note")),
    ("c:other", "member_metrics", ("member_id", "metric", "value", "result")),
    ("c:other", "ci_test_results", ("run_id", "user_id", "result", "code", "note", "value")),
    ("c:other", "student_exam_results", ("student_id", "exam_code", "result", "score", "note")),
    ("c:other", "member_notes", ("member_id", "note", "body", "code")),
    ("c:other", "expense_claims", ("employee_id", "amount", "description", "code", "result")),
    ("c:other", "bird_observations", ("observer_id", "species", "value", "note")),
    ("c:other", "survey_responses", ("respondent_id", "question_code", "value", "result")),
    ("c:other", "quality_procedures", ("owner_id", "code", "description", "outcome")),
    # a table keyed by a patient whose name, description and columns say nothing clinical
    ("c:other", "records", ("patient_id", "value", "result", "code", "description")),
    ("c:other", "patient_preferences", ("patient_id", "key", "value", "note")),
    ("c:resource", "clinic_rooms", ("room_code", "description", "value", "status")),
    ("c:resource", "provider_schedules", ("provider_id", "code", "description", "note")),
    ("c:resource", "appointment_slots", ("clinic_id", "code", "note", "value")),
)


def split_of(noun: str) -> str:
    return hash_split(noun)


def _style(template: str, s: str, p: str) -> str:
    pascal = "".join(w.capitalize() for w in p.split("_"))
    return template.format(s=s, p=p, P=pascal)


def _key(s: str) -> str:
    if s in MEDICAL_NOUNS:
        return "employee_id"
    keys = [k for k in PERSON_KEYS if k not in MEDICAL_ONLY_KEYS]
    return keys[hashlib.sha1(s.encode()).digest()[1] % len(keys)]


@dataclass(frozen=True)
class Case:
    setting: str  # a:clinical, a:admin, a:cdisc, c:*
    kind: str  # fact, admin, record, or the lookalike's setting
    split: str
    table: str
    columns: tuple[str, ...]  # every column of the table (its context)
    column: str
    expected: bool
    description: str | None = None


def cases() -> Iterator[Case]:
    """Every generated (table, column) with its expected verdict."""
    for s, p, facts in CLINICAL:
        split = split_of(s)
        key = _key(s)
        for template in TABLE_STYLES:
            table = _style(template, s, p)
            for style in COLUMN_STYLES:
                spelled = {c: CASES[style](words_of(c)) for c in (*ADMIN, *RECORD, *facts)}
                columns = (*(spelled[c] for c in ADMIN), key, *(spelled[c] for c in (*RECORD, *facts)))
                for c in facts:
                    yield Case("a:clinical", "fact", split, table, columns, spelled[c], True)
                for c in ADMIN:
                    yield Case("a:admin", "admin", split, table, columns, spelled[c], False)
                for c in RECORD:
                    yield Case("a:admin", "record", split, table, columns, spelled[c], False)
                if s in TESTED:
                    tests = tuple(CASES[style](words_of(c)) for c in TEST)
                    for c in tests:
                        yield Case("a:admin", "test", split, table, (*columns, *tests), c, False)
        words = s.replace("_", " ")
        for i, template in enumerate(DESCRIPTIONS):
            table = NEUTRAL_NAMES[(i + len(s)) % len(NEUTRAL_NAMES)]
            columns = (*ADMIN, key, *RECORD, *facts)
            for c in facts:
                yield Case("b:description", "fact", split, table, columns, c, True, template.format(s=words))
        code = CODES[hashlib.sha1(s.encode()).digest()[2] % len(CODES)]
        for table in NEUTRAL_NAMES[::2] if s not in MEDICAL_NOUNS else ():  # (a code beside a patient's key)
            columns = (*ADMIN, key, code, *RECORD, *facts)
            for c in facts:
                if "code" not in c and c != code:
                    yield Case("b:columns", "fact", split, table, columns, c, True)
    for domain, facts, other in CDISC:
        split = split_of(domain)
        for table in (domain, domain.upper(), f"sdtm_{domain}"):
            columns = (*CDISC_ADMIN, *(domain.upper() + v for v in (*facts, *other)))
            for v in facts:
                yield Case("a:cdisc", "fact", split, table, columns, domain.upper() + v, True)
            for v in other:
                yield Case("a:cdisc", "admin", split, table, columns, domain.upper() + v, False)
    for setting, table, own in LOOKALIKES:
        split = split_of(table)
        for style in COLUMN_STYLES:
            columns = ("id", "created_at", *(CASES[style](words_of(c)) for c in own))
            for c in columns[2:]:
                yield Case(setting, setting[2:], split, table, columns, c, False)


def run(config, *, split: str = "all") -> dict:
    """Classify every case of the split; counts per (setting, kind) and the wrong cases."""
    counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    misses: dict[tuple[str, str], list[tuple[Case, str | None]]] = collections.defaultdict(list)
    for case in cases():
        if split != "all" and case.split != split:
            continue
        table = table_context(name=case.table, description=case.description, column_names=case.columns,
                              config=config)
        got = classify_column(name=case.column, data_type="varchar", description=None, meta={}, tags=(),
                              config=config, capsule_name=case.table, table=table).pii_type
        key = (case.setting, case.kind)
        c = counts[key]
        c["n"] += 1
        c["pii"] += got is not None
        c["health"] += got == "health"
        if (got == "health" if case.expected else got is not None) != case.expected:
            misses[key].append((case, got))
    return {"counts": counts, "misses": misses}


def report(title: str, res: dict, *, quiet: bool, examples: int) -> None:
    counts, misses = res["counts"], res["misses"]
    print(f"\n== {title}")
    print(f"   {'setting':<14} {'kind':<10} {'cases':>6}  {'measure':<14} {'value':>6}")
    for key in sorted(counts):
        setting, kind = key
        c = counts[key]
        if setting.startswith("c") or kind != "fact":
            print(f"   {setting:<14} {kind:<10} {c['n']:6}  {'FP rate':<14} {c['pii'] / c['n']:6.3f}")
        else:
            print(f"   {setting:<14} {kind:<10} {c['n']:6}  {'health recall':<14} {c['health'] / c['n']:6.3f}")
    if quiet:
        return
    for key in sorted(misses):
        print(f"\n   {key[0]} / {key[1]}: {len(misses[key])} wrong")
        names = collections.Counter(words_of(case.column)[-1] if case.setting != "a:cdisc" else case.column
                                    for case, _ in misses[key])
        print("     by last word: " + ", ".join(f"{w} {n}" for w, n in names.most_common(30)))
        for case, got in misses[key][:examples]:
            print(f"     {case.column!r} in {case.table!r} ({', '.join(case.columns)}): expected "
                  f"{'health' if case.expected else '-'}, got {got or '-'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None, help="PII config (default config/pii.yaml)")
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="dev")
    parser.add_argument("--quiet", action="store_true", help="figures only, no wrong cases listed")
    parser.add_argument("--examples", type=int, default=6, help="wrong cases listed per setting and kind")
    args = parser.parse_args(argv)
    config = load_pii_config(args.config)
    quiet = args.quiet or args.split != "dev"  # held-out nouns are never read to choose fixes
    report(f"clinical record tables, {args.split} nouns", run(config, split=args.split), quiet=quiet,
           examples=args.examples)


if __name__ == "__main__":
    main()
