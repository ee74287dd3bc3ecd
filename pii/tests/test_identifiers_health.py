"""Concept coverage (issue 12, session 28): national and sector identifiers of many countries, bank accounts,
identity documents, health and biometric data, and the bare person words of a table about people, each read in a
realistic table beside the lookalikes that must stay non-PII (a company's tax number in a table of organisations, a
drug's code in a formulary, a product's weight, a bank's name, a flag, a count per region, a hospital's address).
The names come from general knowledge of the identifiers (their native names, abbreviations and English glosses),
not from any labelled source. No Django, no database."""

from __future__ import annotations

import pytest

from pii.classifier import classify_column
from pii.context import table_context
from pii.vocabulary import default_pii_config


@pytest.fixture(scope="module")
def config():
    return default_pii_config()


# Realistic tables the names are read in: (table name, its other columns)
PEOPLE = ("stg_hr__employees", ["employee_id", "first_name", "last_name", "email", "hire_date"])
CITIZENS = ("citizens", ["citizen_key", "given_name", "family_name", "birth_date", "gender"])
CUSTOMERS = ("dim_customers", ["customer_id", "first_name", "last_name", "email", "phone"])
PATIENTS = ("patients", ["patient_id", "first_name", "last_name", "date_of_birth", "sex"])
ENCOUNTERS = ("patient_encounters", ["encounter_id", "patient_id", "encounter_date", "provider_id"])
SUPPLIERS = ("dim_suppliers", ["supplier_id", "company_name", "country", "website"])
FORMULARY = ("formulary_drugs", ["drug_id", "brand_name", "generic_name", "manufacturer", "unit_price"])
PRODUCTS = ("dim_products", ["product_id", "sku", "product_name", "category", "unit_price"])
BANKS = ("ref_banks", ["bank_id", "bank_code", "country"])
REGIONS = ("diagnoses_by_region", ["region", "year", "population"])
HOSPITALS = ("hospitals", ["hospital_id", "hospital_name", "beds", "city"])


def classify(config, where, name, data_type=None, description=None):
    table, others = where
    columns = [*others, name]
    context = table_context(name=table, description=None, column_names=columns, config=config)
    return classify_column(name=name, data_type=data_type, description=description, meta={}, tags=(), config=config,
                           capsule_name=table, table=context)


def _ids(cases):
    return [f"{c[1]}@{c[0][0]}" for c in cases]


# ------------------------------------------------------------------------------------- national and sector identifiers

NATIONAL = [
    # the UK: the NHS number, Scotland's CHI, the national insurance number
    (PATIENTS, "nhs_number"), (PATIENTS, "nhs_no"), (PATIENTS, "chi_number"), (PEOPLE, "ni_number"),
    (PEOPLE, "nino"), (PEOPLE, "national_insurance_no"),
    # Canada's SIN, the Netherlands' BSN, Brazil's CPF and RG
    (PEOPLE, "sin"), (PEOPLE, "social_insurance_number"), (CITIZENS, "bsn"), (CITIZENS, "burgerservicenummer"),
    (CUSTOMERS, "cpf"), (CITIZENS, "rg"),
    # India's Aadhaar, the Nordic personal numbers, France's NIR, Spain's DNI and NIE, Poland's PESEL
    (CITIZENS, "aadhaar_number"), (CITIZENS, "personnummer"), (CITIZENS, "cpr_nummer"), (CITIZENS, "hetu"),
    (CITIZENS, "henkilotunnus"), (CITIZENS, "fodselsnummer"), (CITIZENS, "nir"), (CITIZENS, "numero_insee"),
    (CITIZENS, "dni"), (CITIZENS, "nie"), (CITIZENS, "pesel"),
    # Switzerland's AHV, Japan's My Number, Korea's RRN, Singapore's NRIC, Hong Kong's HKID, Mexico's CURP
    (PEOPLE, "ahv_nummer"), (CITIZENS, "my_number"), (CITIZENS, "resident_registration_number"),
    (CITIZENS, "rrn"), (CITIZENS, "nric"), (CITIZENS, "hkid"), (CITIZENS, "curp"),
    # Chile's RUT, Turkey's T.C. Kimlik, Bulgaria's EGN, Croatia's OIB, ex-Yugoslavia's JMBG, Romania's CNP,
    # the Czech and Slovak rodne cislo, Estonia's isikukood, Lithuania's asmens kodas, Latvia's personas kods,
    # Belgium's national register number, Portugal's cartao de cidadao, Italy's carta d'identita
    (CITIZENS, "rut"), (CITIZENS, "tc_kimlik_no"), (CITIZENS, "egn"), (CITIZENS, "oib"), (CITIZENS, "jmbg"),
    (CITIZENS, "cnp"), (CITIZENS, "rodne_cislo"), (CITIZENS, "rodnecislo"), (CITIZENS, "isikukood"),
    (CITIZENS, "asmens_kodas"), (CITIZENS, "personas_kods"), (CITIZENS, "rijksregisternummer"),
    (CITIZENS, "cartao_cidadao"), (CITIZENS, "carta_identita"),
    # Russia's SNILS, Ukraine's RNOKPP is a tax number (below), Kazakhstan's IIN, Israel's teudat zehut,
    # South Africa's ID number, Nigeria's NIN, Kenya's huduma number, Malaysia's MyKad, Thailand's citizen id
    (CITIZENS, "snils"), (CITIZENS, "teudat_zehut"), (CITIZENS, "id_number"), (CITIZENS, "nin"),
    (CITIZENS, "mykad"), (CITIZENS, "thai_citizen_id"),
    # health-service and health-insurance numbers: Australia's Medicare and IHI, Ontario's OHIP, the European health
    # insurance card, Germany's Krankenversichertennummer, France's carte Vitale, Italy's tessera sanitaria, Spain's
    # tarjeta sanitaria, a health card's number, Mexico's and Spain's NSS
    (PATIENTS, "medicare_number"), (PATIENTS, "ihi_number"), (PATIENTS, "ohip_number"), (PATIENTS, "ehic_number"),
    (PATIENTS, "krankenversichertennummer"), (PATIENTS, "carte_vitale"), (PATIENTS, "tessera_sanitaria"),
    (PATIENTS, "tarjeta_sanitaria"), (PATIENTS, "health_card_number"), (PATIENTS, "nss"),
    (PATIENTS, "health_insurance_number"), (PATIENTS, "insurance_member_id"), (PATIENTS, "health_plan_member_id"),
    (PATIENTS, "insurance_card_number"),
    # residence and work permits
    (PEOPLE, "residence_permit_number"), (PEOPLE, "work_permit_no"), (PEOPLE, "aufenthaltstitel"),
    (PEOPLE, "titre_de_sejour"), (PEOPLE, "permesso_di_soggiorno"),
    # more countries' person numbers and social-security and provident-fund numbers of a payroll
    (CITIZENS, "samordningsnummer"), (CITIZENS, "shenfenzheng"), (CITIZENS, "taj_number"), (CITIZENS, "idnp"),
    (CITIZENS, "fin_number"), (CITIZENS, "nuip"), (CITIZENS, "dui"), (CITIZENS, "personalausweisnummer"),
    (PEOPLE, "ssnit_number"), (PEOPLE, "nhif_number"), (PEOPLE, "nssf_no"), (PEOPLE, "epf_number"),
    (PEOPLE, "pf_number"), (PEOPLE, "esic_number"), (PEOPLE, "uan"), (PEOPLE, "insz"), (PEOPLE, "svnr"),
]


@pytest.mark.parametrize(("where", "name"), NATIONAL, ids=_ids(NATIONAL))
def test_national_and_health_service_identifiers_of_many_countries(config, where, name):
    assert classify(config, where, name).pii_type in {"national_id", "tax_id"}


TAX = [
    (PEOPLE, "tax_file_number"), (PEOPLE, "tfn"), (PEOPLE, "steuer_id"), (PEOPLE, "steueridentifikationsnummer"),
    (PEOPLE, "ird_number"), (CUSTOMERS, "rfc"), (CUSTOMERS, "cuit"), (CUSTOMERS, "cuil"),
    (CITIZENS, "permanent_account_number"), (CITIZENS, "pan_card"), (CUSTOMERS, "codice_fiscale"), (CUSTOMERS, "nif"),
    (PEOPLE, "utr"),
    (CITIZENS, "rnokpp"), (CITIZENS, "iin"), (CUSTOMERS, "nip"), (CUSTOMERS, "tin"), (PEOPLE, "itin"),
    (CITIZENS, "afm"), (CUSTOMERS, "rif"), (PEOPLE, "ird"),
]


@pytest.mark.parametrize(("where", "name"), TAX, ids=_ids(TAX))
def test_personal_tax_numbers_of_many_countries(config, where, name):
    assert classify(config, where, name).pii_type in {"tax_id", "national_id"}


DOCUMENTS = [
    (CITIZENS, "passport_number", "passport"), (CITIZENS, "passport_no", "passport"),
    (CITIZENS, "numero_passaporte", "passport"), (CITIZENS, "reisepassnummer", "passport"),
    (CITIZENS, "paszport", "passport"), (CITIZENS, "visa_number", "passport"),
    (PEOPLE, "driving_licence_number", "drivers_license"), (PEOPLE, "drivers_license_no", "drivers_license"),
    (PEOPLE, "fuhrerscheinnummer", "drivers_license"), (PEOPLE, "permis_de_conduire", "drivers_license"),
    (PEOPLE, "rijbewijsnummer", "drivers_license"), (PEOPLE, "carnet_de_conducir", "drivers_license"),
    (PEOPLE, "patente_di_guida", "drivers_license"), (PEOPLE, "cnh", "drivers_license"),
    (PEOPLE, "korkortsnummer", "drivers_license"),
]


@pytest.mark.parametrize(("where", "name", "pii_type"), DOCUMENTS, ids=_ids(DOCUMENTS))
def test_passports_visas_and_driving_licences_in_several_languages(config, where, name, pii_type):
    assert classify(config, where, name).pii_type == pii_type


BANK = [
    (CUSTOMERS, "iban"), (CUSTOMERS, "iban_number"), (PEOPLE, "bank_account_number"), (PEOPLE, "bank_account_no"),
    (PEOPLE, "sort_code"), (PEOPLE, "kontonummer"), (PEOPLE, "rekeningnummer"), (PEOPLE, "numero_de_cuenta"),
    (PEOPLE, "cuenta_bancaria"), (PEOPLE, "conto_corrente"), (PEOPLE, "compte_bancaire"), (PEOPLE, "bankrekening"),
    (PEOPLE, "clabe"), (PEOPLE, "salary_account_iban"),
]


@pytest.mark.parametrize(("where", "name"), BANK, ids=_ids(BANK))
def test_a_persons_bank_account_in_its_spellings(config, where, name):
    assert classify(config, where, name).pii_type == "bank_account"


# ------------------------------------------------------------------------------------------------------------ health

HEALTH = [
    (PATIENTS, "diagnosis"), (PATIENTS, "diagnosis_code"), (PATIENTS, "primary_diagnosis"), (PATIENTS, "icd10_code"),
    (ENCOUNTERS, "icd_code"), (PATIENTS, "medication"), (PATIENTS, "current_medications"),
    (PATIENTS, "prescription"), (ENCOUNTERS, "dosage"), (PATIENTS, "allergies"), (PATIENTS, "drug_allergies"),
    (PATIENTS, "blood_type"), (PATIENTS, "blood_group"), (PATIENTS, "blood_pressure"), (PATIENTS, "systolic_bp"),
    (PATIENTS, "heart_rate"), (PATIENTS, "bmi"), (PATIENTS, "weight_kg"), (PATIENTS, "height_cm"),
    (PEOPLE, "disability"), (PEOPLE, "disability_status"), (PEOPLE, "disability_degree"),
    (PATIENTS, "pregnancy_status"), (PATIENTS, "vaccination_status"), (PATIENTS, "immunisation_status"),
    (PATIENTS, "immunization_status"), (PATIENTS, "mental_health_status"), (PATIENTS, "psychiatric_history"),
    (ENCOUNTERS, "procedure_code"), (ENCOUNTERS, "symptoms"), (ENCOUNTERS, "chief_complaint"),
    (PATIENTS, "chronic_conditions"), (PATIENTS, "medical_conditions"), (PATIENTS, "lab_result"),
    (PATIENTS, "hba1c"), (PATIENTS, "cholesterol"), (PATIENTS, "smoker"),
    (PATIENTS, "surgical_history"), (PATIENTS, "comorbidities"), (ENCOUNTERS, "discharge_diagnosis"),
    (PATIENTS, "grupo_sanguineo"), (PATIENTS, "diagnostico"), (PATIENTS, "allergie"), (PATIENTS, "medikamente"),
    (PATIENTS, "behinderung"), (PATIENTS, "discapacidad"), (PATIENTS, "handicap"), (PATIENTS, "invalidity_group"),
    (PEOPLE, "medical_examination_result"), (PATIENTS, "genetic_test_result"), (PATIENTS, "hiv_status"),
    (PATIENTS, "vaccinated"), (PEOPLE, "hearing_impaired"), (PATIENTS, "last_menstrual_period"),
    (PATIENTS, "gestational_age"), (PATIENTS, "prescribed_drug"), (PATIENTS, "dosage"), (PATIENTS, "temperature"),
    (ENCOUNTERS, "discharge_summary"), (ENCOUNTERS, "clinical_notes"), (ENCOUNTERS, "progress_note"),
]


@pytest.mark.parametrize(("where", "name"), HEALTH, ids=_ids(HEALTH))
def test_health_data_of_a_person(config, where, name):
    assert classify(config, where, name).pii_type == "health"


BIOMETRIC = [
    (PEOPLE, "fingerprint_template"), (PEOPLE, "face_template"), (PEOPLE, "face_encoding"),
    (PEOPLE, "face_embedding"), (PEOPLE, "iris_scan"), (PEOPLE, "iris_template"), (PEOPLE, "voiceprint"),
    (PEOPLE, "voice_print"), (PEOPLE, "palm_print"), (PEOPLE, "retina_scan"), (PEOPLE, "signature_image"),
    (PEOPLE, "handwritten_signature"), (PEOPLE, "facial_geometry"),
]


@pytest.mark.parametrize(("where", "name"), BIOMETRIC, ids=_ids(BIOMETRIC))
def test_biometric_templates_and_signature_images(config, where, name):
    assert classify(config, where, name).pii_type == "biometric"


# -------------------------------------------------------------------------------- bare person words in a people table

PERSON_WORDS = [
    (PEOPLE, "name"), (PEOPLE, "full_name"), (PEOPLE, "person"), (PEOPLE, "manager"), (PEOPLE, "spouse"),
    (PEOPLE, "spouse_name"), (PEOPLE, "guardian"), (PEOPLE, "guardian_name"), (PEOPLE, "next_of_kin"),
    (PEOPLE, "beneficiary"), (PEOPLE, "beneficiary_name"), (PEOPLE, "dependents"), (PEOPLE, "emergency_contact"),
    (PEOPLE, "emergency_contact_name"), (PEOPLE, "supervisor"), (PEOPLE, "mother_maiden_name"),
    (PATIENTS, "primary_care_physician"), (PEOPLE, "account_holder_name"),
]


@pytest.mark.parametrize(("where", "name"), PERSON_WORDS, ids=_ids(PERSON_WORDS))
def test_a_bare_person_word_in_a_table_about_people_holds_a_name(config, where, name):
    assert classify(config, where, name).pii_type == "person_name"


# ------------------------------------------------------------------------------------------- lookalikes: not PII

LOOKALIKES = [
    # an organisation's tax and registration numbers, in a table of organisations
    (SUPPLIERS, "vat_number", None), (SUPPLIERS, "tax_id", None), (SUPPLIERS, "company_registration_number", None),
    (SUPPLIERS, "siret", None), (SUPPLIERS, "ein", None), (SUPPLIERS, "cnpj", None), (SUPPLIERS, "abn", None),
    (SUPPLIERS, "business_number", None), (PEOPLE, "bic", None), (PEOPLE, "routing_number", None),
    (PRODUCTS, "fin_number", None),
    # a drug's codes and names in a formulary, a product's weight and size
    (FORMULARY, "ndc_code", None), (FORMULARY, "atc_code", None), (FORMULARY, "drug_code", None),
    (FORMULARY, "dosage_form", None), (FORMULARY, "medication_name", None), (FORMULARY, "drug_name", None),
    (PRODUCTS, "dosage", None), (PRODUCTS, "temperature", None), (PRODUCTS, "weight", None),
    (("vaccines", ["vaccine_id", "manufacturer", "doses_required"]), "vaccine_name", None),
    (("icd10_codes", ["code", "chapter"]), "diagnosis", None), (PATIENTS, "mrn", None),
    (PRODUCTS, "weight_kg", None), (PRODUCTS, "height_cm", None),
    # a bank's own name and codes, a validation flag
    (BANKS, "bank_name", None), (BANKS, "bic", None), (BANKS, "swift_code", None), (BANKS, "routing_number", None),
    (CUSTOMERS, "iban_validated", "boolean"), (CUSTOMERS, "bank_name", None), (CUSTOMERS, "has_passport", "boolean"),
    (CUSTOMERS, "passport_expiry_date", "date"),
    # counts per region, a hospital's address
    (REGIONS, "diagnosis_count", "integer"), (REGIONS, "vaccination_rate", "numeric"),
    (HOSPITALS, "address", None), (HOSPITALS, "phone", None),
    # a count of a patient's allergies is no allergy; a medication's unit is no dose
    (PATIENTS, "allergy_count", "integer"), (ENCOUNTERS, "dosage_unit", None),
]


@pytest.mark.parametrize(("where", "name", "data_type"), LOOKALIKES, ids=_ids(LOOKALIKES))
def test_lookalikes_stay_non_pii(config, where, name, data_type):
    assert classify(config, where, name, data_type=data_type).pii_type is None


# ------------------------------------------------------------------------------------------ mechanisms, in pairs


def test_a_table_of_health_terms_with_no_patient_key_is_a_reference_list(config):
    # a formulary's drug names are terms; the same name beside a key to the patient is the patient's medication
    listed = classify(config, FORMULARY, "medication_name")
    assert listed.pii_type is None
    assert "health terms with no key to a patient" in " | ".join(e.detail for e in listed.evidence)
    prescribed = classify(config, ("patient_medications", ["id", "patient_id", "start_date"]), "medication_name")
    assert prescribed.pii_type == "health"


def test_a_number_only_organisations_have_makes_the_rows_organisations(config):
    # a register of clinics (KPP, OGRN: Russian companies' numbers) lists their phones; the same columns without
    # them are a person's contact fields
    columns = ["name", "address", "email", "phone"]
    assert classify(config, ("registry_entries", [*columns, "c_ogrn", "c_kpp"]), "phone").pii_type is None
    assert classify(config, ("registry_entries", columns), "phone").pii_type == "phone"
    # a person's own field beside it keeps the table about people
    assert classify(config, ("registry_entries", [*columns, "siret", "date_of_birth"]), "phone").pii_type == "phone"


def test_a_pattern_naming_the_tables_own_rows_with_a_key_word_is_the_rows_key(config):
    assert classify(config, ("citizens", ["name", "date_of_birth"]), "citizen_id").pii_type is None
    assert classify(config, ("hlt_Citizen", ["NAME", "DATEIN"]), "CitizenID").pii_type is None
    assert classify(config, CUSTOMERS, "citizen_id").pii_type == "national_id"
    assert classify(config, CITIZENS, "thai_citizen_id").pii_type == "national_id"


@pytest.mark.parametrize(("data_type", "pii_type"), [("BooleanField", None), ("CharField", "person_name"),
                                                     ("DateTimeField", None), ("SmallIntegerField", None)])
def test_an_orms_field_class_names_the_values_type(config, data_type, pii_type):
    # Django's BooleanField is a boolean: a Dependent flag holds no dependant's name
    assert classify(config, PEOPLE, "dependent", data_type=data_type).pii_type == pii_type


def test_no_decimal_holds_a_document_number(config):
    described = "Social Security"
    assert classify(config, ("payroll_salary", ["gross", "net"]), "social", "DecimalField", described).pii_type is None
    assert classify(config, PEOPLE, "social_security_number", "varchar").pii_type == "national_id"


@pytest.mark.parametrize("name", ["account_iban", "PmtInf.DbtrAcct.Id.IBAN", "iban_account_number"])
def test_an_accounts_own_words_before_an_iban_name_the_account_not_an_organisation(config, name):
    assert classify(config, ("payment_transactions", ["amount", "debtor_name"]), name).pii_type == "bank_account"


def test_a_table_of_partners_bank_accounts_holds_the_account_in_its_bare_number(config):
    # Odoo's res_partner_bank, an HR system's employee_bank_details: one account a row, its acc_number the account
    assert classify(config, ("res_partner_bank", ["partner_id", "bank_id"]), "acc_number").pii_type == "bank_account"
    assert classify(config, ("employee_bank_details", ["employee_id", "bank_name"]), "account_number").pii_type == (
        "bank_account")
    # a chart of accounts and a table of banks hold no one's account
    assert classify(config, ("account_account", ["code", "name", "company_id"]), "acc_number").pii_type is None
    assert classify(config, ("res_bank", ["name", "bic", "country"]), "number").pii_type is None


@pytest.mark.parametrize("name", ["AddressReg", "AddressLive", "AdresFact", "address_registration"])
def test_the_kind_of_address_written_after_the_word_keeps_the_address(config, name):
    assert classify(config, PEOPLE, name).pii_type == "address"


def test_a_value_stripped_of_its_punctuation_is_still_the_value(config):
    assert classify(config, CUSTOMERS, "cpf_stripped").pii_type == "national_id"
    assert classify(config, CUSTOMERS, "address_type").pii_type is None
