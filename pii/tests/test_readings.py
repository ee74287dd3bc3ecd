"""Pure tests of how names the vocabulary has never seen are read (pii/tokens.py, pii/lexicon.py, pii/context.py):
abbreviations, glued English words, a table's own column prefix, other languages' words, an owner written after the
value, patterns without their "of", and data types that hold the value. Each reading must also say itself in the
evidence. No Django, no database."""

from __future__ import annotations

import pytest

from pii.classifier import classify_column
from pii.context import table_context
from pii.lexicon import english_log_frequencies, segment_words
from pii.tests.names import classify
from pii.tokens import read_abbreviation, tokenize_column_name


def details(result) -> str:
    return " | ".join(e.detail for e in result.evidence)


# ------------------------------------------------------------------------------------------------ abbreviations


@pytest.mark.parametrize(
    ("word", "target"),
    [
        ("tele", "telephone"),  # a truncation; three times as frequent in English as telegram
        ("emerg", "emergency"),
        ("cntct", "contact"),  # the consonant skeleton
        ("ptnt", "patient"),
        ("pswd", "password"),  # letters in order, first and last kept
        ("mngr", "manager"),
        ("gend", "gender"),
    ],
)
def test_an_unknown_word_is_read_as_the_vocabulary_word_it_abbreviates(config, word, target):
    assert read_abbreviation(word, config) == target


@pytest.mark.parametrize("word", ["sign", "pat", "nick", "bots", "poste", "xq", "add"])
def test_common_words_short_words_and_loose_likenesses_are_not_abbreviations(config, word):
    # sign, pat, nick, add: English words; bots: the plural of one (and biometrics is more than twice its length);
    # poste: a subsequence of postcode, but with vowels it is no abbreviation; xq: too short
    assert read_abbreviation(word, config) is None


def test_an_abbreviated_name_is_classified_and_the_evidence_says_how_it_was_read(config):
    written = classify(config, "home_telephone")
    abbreviated = classify(config, "home_tele")
    assert abbreviated.pii_type == "phone"
    assert "'tele' read as an abbreviation of 'telephone'" in details(abbreviated)
    assert abbreviated.confidence < written.confidence  # a reading is a guess: a little less sure


# ------------------------------------------------------------------------------------------------ glued words


def test_glued_english_words_are_split_by_their_frequencies():
    if not english_log_frequencies():
        pytest.skip("wordsegment's word counts are not installed")
    known = {"passport", "date"}.__contains__
    assert segment_words("passportissueddate", allowed=lambda piece: len(piece) > 2, known=known) == (
        "passport", "issued", "date")
    assert segment_words("passage", allowed=lambda piece: len(piece) > 2, known=known) is None  # a word itself


def test_a_glued_flag_reads_as_a_flag_not_as_the_secret(config):
    result = classify(config, "isnotempty_private_key", table="stg_server_config", columns=["isnotempty_private_key"])
    assert tokenize_column_name("isnotempty_private_key", config=config) == ("is", "not", "empty", "private", "key")
    assert result.pii_type is None
    assert "'is' before 'private key'" in details(result)
    assert "read as the words 'is not empty'" in details(result)


def test_a_glued_date_of_a_document_is_not_the_document_number(config):
    assert classify(config, "passportissueddate").pii_type is None


@pytest.mark.parametrize("name", ["alertmanager", "updateauthor"])
def test_a_role_word_found_inside_glued_words_names_no_person(config, name):
    assert classify(config, name).pii_type is None


# ------------------------------------------------------------------------------------------------ table prefix


def test_a_column_prefix_abbreviating_the_table_name_is_the_tables_own(config):
    columns = ["pat_id", "pat_name", "pat_city", "pat_status"]
    context = table_context(name="patient", description=None, column_names=columns, config=config)
    assert context.prefix == "pat"
    result = classify(config, "pat_name", table="patient", columns=columns)
    assert result.pii_type == "person_name"
    assert "'pat' is the table's column prefix" in details(result)


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("job_profiles", ["job_code", "job_family", "job_level", "job_title"]),  # the table's own word
        ("devices", ["device_id", "device_os", "device_model", "device_vendor"]),  # a word of the vocabulary
        ("customer_orders", ["customer_id", "customer_name", "customer_email"]),  # an owner word
        ("events", ["id", "kind", "at", "source"]),  # no shared first word
    ],
)
def test_a_shared_first_word_that_means_something_is_no_prefix(config, table, columns):
    assert table_context(name=table, description=None, column_names=columns, config=config).prefix == ""


def test_a_prefixed_name_in_a_table_of_organisations_stays_an_organisations(config):
    columns = ["hos_id", "hos_name", "hos_tele", "hos_city"]
    assert classify(config, "hos_tele", table="hospital", columns=columns).pii_type is None


# ------------------------------------------------------------------------------------------------ other languages


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [
        ("data_nascimento", "date_of_birth"),
        ("fecha_nacimiento", "date_of_birth"),
        ("sexo", "gender"),
        ("geschlecht", "gender"),
        ("endereco", "address"),
        ("telefone", "phone"),
        ("estado_civil", "marital_status"),
        ("passaporte", "passport"),
        ("nacionalidade", "nationality"),
    ],
)
def test_other_languages_words_for_the_vocabulary_are_read(config, name, pii_type):
    assert classify(config, name).pii_type == pii_type


def test_an_owner_written_after_the_value_is_its_owner(config):
    # Portuguese and Spanish put the owner last: nome_mae is the mother's name, telefono_cliente the client's phone
    result = classify(config, "nome_mae", table="cadastro", columns=["nome_mae", "codigo"])
    assert result.pii_type == "person_name"
    assert "owner 'mother' is a person" in details(result)
    assert classify(config, "name_category", table="cadastro", columns=["name_category"]).pii_type is None


# ------------------------------------------------------------------------------------------------ patterns, types


@pytest.mark.parametrize(("name", "pii_type"), [("date_birth", "date_of_birth"), ("next_kin", "person_name")])
def test_a_pattern_without_its_of_still_matches(config, name, pii_type):
    assert classify(config, name, table="stg_employees").pii_type == pii_type


def test_a_data_type_that_holds_addresses_decides_and_rules_out_the_name(config):
    result = classify(config, "client_addr", data_type="inet", table="pg_stat_activity",
                      columns=["client_addr", "datname", "query"])
    assert result.pii_type == "ip_address"
    assert result.detected_by == "type"
    assert any(e.weight == -1.0 and e.pii_type == "address" for e in result.evidence)
    assert classify(config, "hw", data_type="macaddr", table="nics", columns=["hw", "label"]).pii_type == "device_id"


def test_tokenize_reads_column_names_but_not_table_names(config):
    assert tokenize_column_name("emp_tele", config=config) == ("emp", "telephone")
    assert tokenize_column_name("grp_events", config=config, read=False) == ("grp", "events")


# ------------------------------------------------------------------------------------- compounds, round 8 kinds


@pytest.mark.parametrize(
    ("word", "target"),
    [
        ("gbdt", "geboortedatum"),  # geburts|datum and geboorte|datum mean the same: one reading
        ("gbdat", "geboortedatum"),  # SAP HR's spelling
        ("fmna", "familienname"),  # familien|name, not familien|stand: the closest last part wins
        ("vsnr", "versicherungsnummer"),
        ("famst", "familienstand"),
    ],
)
def test_an_abbreviation_taking_letters_from_each_part_of_a_known_compound_is_read_as_it(config, word, target):
    assert read_abbreviation(word, config) == target


@pytest.mark.parametrize("word", ["flsa", "poste", "files", "failed"])
def test_words_that_only_share_scattered_letters_with_a_compound_are_not_read_as_it(config, word):
    # flsa: its first piece is not the compound's opening; poste: ends like a word; files, failed: English words
    assert read_abbreviation(word, config) is None


def test_a_german_register_record_reads_its_abbreviated_fields(config):
    columns = ["VSNR", "DBNA.FMNA", "DBNA.VONA", "DBGB.GBDT", "DBGB.GBOR", "DBAN.PLZ", "DBME.EGBG"]
    found = {name: classify(config, name, table="dsme_meldung", columns=columns).pii_type for name in columns}
    assert found == {"VSNR": "national_id", "DBNA.FMNA": "person_name", "DBNA.VONA": "person_name",
                     "DBGB.GBDT": "date_of_birth", "DBGB.GBOR": "nationality", "DBAN.PLZ": "postal_code",
                     "DBME.EGBG": None}
    assert "'gbdt' read as an abbreviation of 'geboortedatum'" in details(
        classify(config, "DBGB.GBDT", table="dsme_meldung", columns=columns))


def test_call_detail_records_hold_the_caller_and_the_dialled_number(config):
    columns = ["calldate", "clid", "src", "dst", "dcontext", "channel", "duration", "billsec", "disposition"]
    found = {name: classify(config, name, table="cdr", columns=columns).pii_type for name in columns}
    assert found["clid"] == found["src"] == found["dst"] == "phone"
    assert {found[n] for n in ("calldate", "dcontext", "channel", "duration", "disposition")} == {None}
    # outside a table of calls src and dst are just words
    assert classify(config, "src", table="stg_files", columns=["src", "dst", "size"]).pii_type is None


def test_a_nested_objects_key_names_the_object_before_it(config):
    columns = ["name", "email.value", "phone.value", "org_id.name", "org_id.address", "owner_id.name"]
    found = {name: classify(config, name, table="persons", columns=columns).pii_type for name in columns}
    assert found["org_id.name"] is None and found["org_id.address"] is None  # the organisation's
    assert found["owner_id.name"] == "person_name" and found["name"] == "person_name"


def test_an_object_qualified_by_a_word_the_vocabulary_does_not_know_names_that_thing(config):
    columns = ["event_name", "user_pseudo_id", "device.advertising_id", "traffic_source.name",
               "traffic_source.medium", "geo.city"]
    assert classify(config, "traffic_source.name", table="events", columns=columns).pii_type is None
    # an object of the vocabulary still leaves its fields to the table: the addressee of a shipping address
    people = ["email", "phone", "shipping_address.name"]
    assert classify(config, "shipping_address.name", table="orders", columns=people).pii_type == "person_name"


def test_a_persons_telecom_is_a_phone_and_its_system_and_use_describe_it(config):
    columns = ["name.family", "gender", "birthDate", "telecom.system", "telecom.value", "telecom.use"]
    found = {name: classify(config, name, table="patient", columns=columns).pii_type for name in columns}
    assert found["telecom.value"] == "phone"
    assert found["telecom.system"] is None and found["telecom.use"] is None


def test_a_chronic_condition_flag_of_a_person_is_health_data(config):
    columns = ["bene_birth_dt", "bene_sex_ident_cd", "sp_diabetes", "sp_cncr", "sp_copd", "plan_cvrg_mos_num"]
    found = {name: classify(config, name, table="beneficiary_summary", columns=columns, data_type="integer").pii_type
             for name in ("sp_diabetes", "sp_cncr", "sp_copd", "plan_cvrg_mos_num")}
    assert found == {"sp_diabetes": "health", "sp_cncr": "health", "sp_copd": "health", "plan_cvrg_mos_num": None}


def test_a_vocabulary_word_written_in_camel_case_stays_one_word(config):
    assert tokenize_column_name("linkedIn", config=config) == ("linkedin",)
    assert classify(config, "linkedIn", table="employees", columns=["firstName", "workEmail", "linkedIn"]).pii_type \
        == "username"
    assert tokenize_column_name("firstName", config=config) == ("first", "name")  # not a word of its own


def test_a_dutch_birth_place_description_is_the_place_of_birth(config):
    columns = ["burgerservicenummer", "geboorte.datum", "geboorte.plaats.omschrijving", "naam.geslachtsnaam"]
    found = {name: classify(config, name, table="personen", columns=columns).pii_type for name in columns}
    assert found == {"burgerservicenummer": "national_id", "geboorte.datum": "date_of_birth",
                     "geboorte.plaats.omschrijving": "nationality", "naam.geslachtsnaam": "person_name"}


def test_a_number_pattern_is_also_read_with_no_and_nr(config):
    columns = ["patient_id", "medicare_no", "nhs_nr", "order_no", "bmi"]
    found = {name: classify(config, name, table="dim_patients", columns=columns).pii_type for name in columns}
    assert found == {"patient_id": None, "medicare_no": "national_id", "nhs_nr": "national_id", "order_no": None,
                     "bmi": "health"}


def test_a_word_saying_how_a_name_is_written_does_not_hide_whose_it_is(config):
    columns = ["id", "email", "birth_date", "complete_name", "display_name", "SearchName"]
    found = {name: classify(config, name, table="people", columns=columns).pii_type for name in columns[3:]}
    assert set(found.values()) == {"person_name"}
    assert classify(config, "display_name", table="dim_dashboards",
                    columns=["dashboard_id", "display_name", "created_at"]).pii_type is None


# ------------------------------------------------------------------------------ vocabulary breadth (round 10)


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("macsha1", ("mac", "sha", "1")),  # a hash algorithm glued to the value it hashes
        ("dpidmd5", ("dpid", "md", "5")),
        ("emailSha256", ("email", "sha", "256")),
        ("D.O.B.", ("dob",)),  # an initialism written with dots
        ("S S N", ("ssn",)),
    ],
)
def test_hash_names_and_dotted_initialisms_are_words_of_their_own(config, name, tokens):
    assert tokenize_column_name(name, config=config) == tokens


def test_a_hashed_device_id_is_a_masked_device_id_and_a_word_ending_in_md_is_not_cut(config):
    hashed = classify(config, "didsha1", table="bid_requests", columns=["didsha1", "ip"])
    assert (hashed.pii_type, hashed.masked) == ("device_id", True)
    # no digits after it: 'cmd' stays a word (a command), nothing to read
    assert tokenize_column_name("lastcmd", config=config)[-1] != "md"


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [
        ("imeisv", "device_id"),  # telecom and ad-tech spellings of device identifiers
        ("ifa", "device_id"),
        ("android_app_set_id", "device_id"),
        ("bluetooth_address", "device_id"),  # a radio's address, not a postal one
        ("CallingStationId", "device_id"),  # RADIUS: the subscriber's MAC address or number
        ("ua", "device_id"),
    ],
)
def test_device_identifiers_in_their_many_spellings(config, name, pii_type):
    assert classify(config, name, table="app_events", columns=[name, "event_time", "ip"]).pii_type == pii_type


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [
        ("NumSeguridadSocial", "national_id"),  # Spanish, the number word first
        ("carte_vitale", "national_id"),
        ("tckn", "national_id"),
        ("hicn", "national_id"),
        ("steueridentifikationsnummer", "tax_id"),
        ("reisepassnummer", "passport"),  # a compound ending in nummer
        ("fuhrerscheinnummer", "drivers_license"),
        ("permis_de_conduire", "drivers_license"),
        ("CuentaBancaria", "bank_account"),
        ("kontonummer", "bank_account"),
        ("nazwisko", "person_name"),  # Polish, Turkish, Finnish, Swedish
        ("soyadi", "person_name"),
        ("sukunimi", "person_name"),
        ("efternamn", "person_name"),
        ("data_urodzenia", "date_of_birth"),
        ("dogum_tarihi", "date_of_birth"),
        ("D.O.B.", "date_of_birth"),
        ("plec", "gender"),
        ("cinsiyet", "gender"),
        ("uyruk", "nationality"),
        ("anschrift", "address"),
        ("handynummer", "phone"),
        ("contact_no", "phone"),
        ("othergivennames", "person_name"),
        ("blood_rhesus", "health"),
        ("iris_code", "biometric"),
        ("nombre_completo", "person_name"),  # Romance languages: the qualifier after the value
        ("apellido_paterno", "person_name"),
        ("primer_nombre", "person_name"),
        ("numero_celular", "phone"),
        ("adresse_postale", "address"),
        ("krankenversicherungsnummer", "national_id"),
        ("lugar_de_nacimiento", "nationality"),
    ],
)
def test_identifiers_and_person_words_of_more_countries_and_languages(config, name, pii_type):
    columns = [name, "email", "date_of_birth"]
    assert classify(config, name, table="stg_people", columns=columns).pii_type == pii_type


def test_an_icd_code_with_its_revision_apart_is_health_of_a_person_not_of_a_code_list(config):
    person = classify(config, "icd10_code", table="patients", columns=["icd10_code", "dob", "gender"])
    assert person.pii_type == "health"
    assert classify(config, "icd10_code", table="d_icd_codes", columns=["icd10_code", "long_title"]).pii_type is None


def test_a_clinical_table_reads_its_allergen_and_reaction_as_health(config):
    columns = ["allergy_id", "patient_id", "allergen", "reaction"]
    for name in ("allergen", "reaction"):
        assert classify(config, name, table="allergies", columns=columns).pii_type == "health"
    # the same words in a table of food products are no one's health
    assert classify(config, "allergen", table="products", columns=["product_id", "allergen"]).pii_type is None


def test_device_ids_in_a_table_of_app_installations_are_the_device_s(config):
    columns = ["installation_id", "idfa", "android_id", "app_version"]
    for name in ("idfa", "android_id"):
        assert classify(config, name, table="app_installations", columns=columns).pii_type == "device_id"


@pytest.mark.parametrize("name", ["gateway_ip", "nas_ip_address", "NASIPAddress", "router_ip"])
def test_a_network_element_s_address_is_not_a_person_s_even_in_an_inet_column(config, name):
    columns = ["username", "framed_ip_address", name]
    for data_type in ("varchar", "inet"):
        assert classify(config, name, table="radius_accounting", columns=columns, data_type=data_type).pii_type is None
    # the subscriber's own address beside it still is
    framed = classify(config, "framed_ip_address", table="radius_accounting", columns=columns, data_type="inet")
    assert framed.pii_type == "ip_address"


@pytest.mark.parametrize(("name", "pii_type"), [("hispanic", "ethnicity"), ("raw_hispanic", "ethnicity"),
                                                ("hispanic_or_latino", "ethnicity"), ("emp_smoker", "health"),
                                                ("tobacco_use", "health"), ("context_device_name", "device_id"),
                                                ("nameInCharacters", "person_name"), ("native_name", "person_name"),
                                                ("foursquare", "username")])
def test_census_ethnicity_smoking_and_a_device_s_own_name_in_a_table_about_people(config, name, pii_type):
    columns = [name, "email", "date_of_birth"]
    assert classify(config, name, table="stg_people", columns=columns).pii_type == pii_type


def test_a_tax_number_or_birthplace_said_only_by_the_description_is_read(config):
    context = table_context(name="pa_payees", description=None, column_names=["pernr", "stcd1", "gbort"],
                            config=config)
    for name, description, pii_type in (("stcd1", "Tax Number 1", "tax_id"), ("gbort", "Birthplace", "nationality")):
        result = classify_column(name=name, data_type=None, description=description, meta={}, tags=(),
                                 config=config, capsule_name="pa_payees", table=context)
        assert result.pii_type == pii_type, name


@pytest.mark.parametrize(("description", "pii_type"), [("Initials", "person_name"), ("Complete Name", "person_name"),
                                                       ("Name at Birth", "person_name"), ("House Number", "address")])
def test_a_person_s_name_or_house_number_said_only_by_the_description_is_read(config, description, pii_type):
    context = table_context(name="pa_personal", description=None, column_names=["pernr", "xfld"], config=config)
    result = classify_column(name="xfld", data_type=None, description=description, meta={}, tags=(), config=config,
                             capsule_name="pa_personal", table=context)
    assert result.pii_type == pii_type


# ------------------------------------------------------------------------------------------------ round 13


@pytest.mark.parametrize(("name", "pii_type"), [("gender_cv_id", "gender"), ("marital_status_cv_id", "marital_status"),
                                                ("ethnicity_lookup_id", "ethnicity"), ("gender_concept_id", "gender")])
def test_a_key_to_the_value_s_code_carries_the_value(config, name, pii_type):
    result = classify(config, name, table="clients", columns=["id", "firstname", name])
    assert result.pii_type == pii_type


@pytest.mark.parametrize("name", ["gender_id", "client_reln_cv_id"])
def test_a_plain_key_or_a_guessed_word_s_code_key_is_only_a_key(config, name):
    # gender_id is a row key; reln is read as an abbreviation (of religion), too weak to carry a value behind a key
    assert classify(config, name, table="clients", columns=["id", "firstname", name]).pii_type is None


@pytest.mark.parametrize("name", ["name_cached", "name_parts"])
def test_a_name_s_stored_forms_beside_the_row_s_email_are_a_person_s_name(config, name):
    # pretix's waiting list: the name as one string and as its parts (JSON), beside the row's email
    columns = ["id", "event_id", "created", name, "email", "locale", "priority"]
    assert classify(config, name, table="waitinglistentry", columns=columns).pii_type == "person_name"


def test_a_flag_telling_businesses_from_private_buyers_makes_an_address_table_about_people(config):
    columns = ["id", "is_business", "company", "name_cached", "street", "zipcode", "city", "vat_id", "beneficiary"]
    for name, pii_type in (("street", "address"), ("zipcode", "postal_code"), ("vat_id", "tax_id"),
                           ("beneficiary", "person_name"), ("name_cached", "person_name")):
        assert classify(config, name, table="invoiceaddress", columns=columns).pii_type == pii_type, name
    # without the flag, a company column and no person's own field still make it an organisation's table
    plain = ["id", "company", "street", "zipcode", "city"]
    assert classify(config, "street", table="invoiceaddress", columns=plain).pii_type is None


@pytest.mark.parametrize(("name", "pii_type"), [("kana01", "person_name"), ("order_kana02", "person_name"),
                                                ("reminder_answer", "credential"), ("mobile_phone_id", "device_id"),
                                                ("face_image_url", "biometric"), ("photo_id_image_url", "national_id"),
                                                ("hmac_token", "credential"), ("snils", "national_id"),
                                                ("kennitala", "national_id"), ("npwp", "tax_id"),
                                                ("huisnummer", "address"), ("hiv", "health"),
                                                ("private_key_pem", "credential"), ("ip_v6", "ip_address"),
                                                ("rh", "health")])
def test_round_13_vocabulary_kinds(config, name, pii_type):
    assert classify(config, name, table="stg_people", columns=[name, "email", "date_of_birth"]).pii_type == pii_type


@pytest.mark.parametrize("name", ["copy_id_photo_from_id", "photo_id", "nit_count", "hiv_test_count"])
def test_round_13_lookalikes_stay_out(config, name):
    assert classify(config, name, table="stg_people", columns=[name, "email", "date_of_birth"]).pii_type is None


def test_a_bare_pass_beside_an_account_s_login_is_its_password_whoever_the_account_is(config):
    # a camera's stream account: no person in the table, but the pass beside the user is still a password
    columns = ["id", "name", "host", "port", "path", "user", "pass", "width", "height"]
    assert classify(config, "pass", table="monitors", columns=columns).pii_type == "credential"
    # without a login column, a pass is a pass (a ticket, a boarding pass) outside a table about people
    assert classify(config, "pass", table="monitors", columns=["id", "name", "pass", "gate"]).pii_type is None


def test_a_word_owning_a_person_s_own_field_is_a_person_in_that_table(config):
    # EC-CUBE's orders: 'order' owns the orderer's sex and kana name, so its numbered name fields and birth date are
    # the orderer's too
    columns = ["order_id", "order_name01", "order_name02", "order_kana01", "order_email", "order_sex", "order_birth",
               "subtotal"]
    for name, pii_type in (("order_name01", "person_name"), ("order_name02", "person_name"),
                           ("order_birth", "date_of_birth")):
        result = classify(config, name, table="dtb_order", columns=columns)
        assert result.pii_type == pii_type, name
        assert "owns" in details(result) or "is a person" in details(result)
    # without a person's own field under it, an order's name is the order's (Shopify's "#1001")
    plain = ["order_id", "order_name", "order_total", "order_email"]
    assert classify(config, "order_name", table="orders", columns=plain).pii_type is None


# ------------------------------------------------------------------------------------------------ round 14


def test_a_table_of_secrets_reads_its_bare_token_or_key_as_the_secret(config):
    # a chat server's access_tokens, an API's api_keys: each row is a secret, and its bare token or key is it
    for table, columns, name in (("access_tokens", ["id", "user_id", "device_id", "token", "valid_until_ms"], "token"),
                                 ("refresh_tokens", ["id", "user_id", "token", "expiry_ts"], "token"),
                                 ("api_keys", ["id", "owner_id", "key", "created_at"], "key")):
        result = classify(config, name, table=table, columns=columns)
        assert result.pii_type == "credential", table
        assert "the secret itself" in details(result)
    # the same words in a table that holds no secrets: a token of a crypto ledger, a key of a settings table
    assert classify(config, "token", table="transfers", columns=["id", "token", "amount"]).pii_type is None
    assert classify(config, "key", table="settings", columns=["id", "key", "value"]).pii_type is None
    # a table of tokens keeps its keys and counts for what they are
    for name in ("user_id", "token_count"):
        assert classify(config, name, table="access_tokens", columns=["id", name, "token"]).pii_type is None, name


def test_a_table_of_devices_reads_its_bare_display_name_as_the_device_s_own_name(config):
    columns = ["user_id", "device_id", "display_name", "last_seen", "ip", "user_agent"]
    result = classify(config, "display_name", table="devices", columns=columns)
    assert result.pii_type == "device_id"
    assert "device's own name" in details(result)
    # in a table of people the same name is the person's
    assert classify(config, "display_name", table="users", columns=["id", "display_name", "email"]).pii_type == (
        "person_name")


@pytest.mark.parametrize(("name", "pii_type"), [("pushkey", "device_id"), ("push_endpoint", "device_id"),
                                                ("device_display_name", "device_id"),
                                                ("user_email_token", "credential"), ("unlock_token", "credential"),
                                                ("voter_title", "national_id"), ("creservist", "national_id"),
                                                ("ctps_series", "national_id"), ("account_holder", "person_name"),
                                                ("heart_rate", "health"), ("cholesterol", "health"),
                                                ("alcohol_use", "health")])
def test_round_14_vocabulary_kinds(config, name, pii_type):
    assert classify(config, name, table="stg_people", columns=[name, "email", "date_of_birth"]).pii_type == pii_type


@pytest.mark.parametrize("name", ["push_count", "has_pushkey", "heart_rate_zone_count", "zona_tit_eleitor",
                                  "sigla_uf_cart_trabalho"])
def test_round_14_lookalikes_stay_out(config, name):
    assert classify(config, name, table="stg_people", columns=[name, "email", "date_of_birth"]).pii_type is None


def test_vital_signs_are_a_person_s_only_in_a_table_about_people(config):
    assert classify(config, "heart_rate", table="stg_people", columns=["id", "heart_rate", "email", "dob"]).pii_type \
        == "health"
    # a machine's or a product's pulse and glucose readings are no one's health
    assert classify(config, "pulse", table="pumps", columns=["id", "pulse", "pressure"]).pii_type is None
    assert classify(config, "glucose", table="products", columns=["id", "name", "glucose"]).pii_type is None


@pytest.mark.parametrize(("name", "pii_type", "read"), [
    ("est_civ", "marital_status", "'est civ' read as an abbreviation of 'estado civil'"),
    ("num_tit_eleitor", None, "'tit voter' read as an abbreviation of 'titulo eleitor'"),
    ("cart_trabalho", "national_id", "'cart trabalho' read as an abbreviation of 'carteira trabalho'"),
    ("nat_id", "national_id", "'nat id' read as an abbreviation of 'national id'"),
])
def test_a_run_of_words_abbreviating_a_phrase_word_by_word_is_read_as_it(config, name, pii_type, read):
    result = classify(config, name, table="stg_people", columns=[name, "email", "date_of_birth"])
    assert result.pii_type == pii_type
    assert read in details(result)  # num_ stays a count's prefix: the reading is shown with the veto


@pytest.mark.parametrize("name", ["visit_id", "track_id", "nat_count", "est_total"])
def test_whole_words_and_runs_that_abbreviate_no_phrase_are_not_read(config, name):
    # visit is a word of its own, not an abbreviation of visitor; track is no tracking
    assert classify(config, name, table="stg_people", columns=[name, "email", "date_of_birth"]).pii_type is None


def test_a_description_naming_a_condition_makes_a_patient_s_flag_health(config):
    context = table_context(name="patients", description=None, column_names=["id", "crit_dbt", "crit_social"],
                            config=config)
    dbt = classify_column(name="crit_dbt", data_type="boolean", description="Diabetes", meta={}, tags=(),
                          config=config, capsule_name="patients", table=context)
    assert dbt.pii_type == "health"
    social = classify_column(name="crit_social", data_type="boolean", description="There are serious socio-familiar "
                             "issues", meta={}, tags=(), config=config, capsule_name="patients", table=context)
    assert social.pii_type is None
    # a count of patients with it is no one's health
    count = classify_column(name="n_dbt", data_type="integer", description="Number of patients with diabetes",
                            meta={}, tags=(), config=config, capsule_name="clinic_stats", table=None)
    assert count.pii_type is None


def test_a_table_of_ip_addresses_reads_its_bare_address_and_range_as_ip_addresses(config):
    columns = ["ipb_id", "ipb_address", "ipb_user", "ipb_reason", "ipb_expiry", "ipb_range_start", "ipb_range_end"]
    for name in ("ipb_address", "ipb_range_start", "ipb_range_end"):
        assert classify(config, name, table="ipblocks", columns=columns).pii_type == "ip_address", name
    assert classify(config, "start", table="banned_ips", columns=["id", "start", "end", "reason"]).pii_type == (
        "ip_address")
    # a geolocation database's ranges are places', and a postal address elsewhere stays one
    assert classify(config, "range_start", table="geoip_blocks",
                    columns=["range_start", "range_end", "country"]).pii_type is None
    assert classify(config, "address", table="ip_geo_location", columns=["id", "address", "city"]).pii_type != (
        "ip_address")


# ------------------------------------------------------------------------------------------------ round 15


def test_an_orm_key_to_a_coded_value_carries_it_unless_the_table_lists_those_values(config):
    columns = ["id", "first_name", "gender_id", "religion_fk", "country_id", "address_id"]
    assert classify(config, "gender_id", table="members", columns=columns, data_type="Many2one").pii_type == "gender"
    assert classify(config, "religion_fk", table="members", columns=columns,
                    data_type="ForeignKey").pii_type == "religion"
    # a plain integer key stays a key (round 13), and a key to a record (an address row) or a coarse place is none
    assert classify(config, "gender_id", table="members", columns=columns, data_type="integer").pii_type is None
    assert classify(config, "address_id", table="members", columns=columns, data_type="Many2one").pii_type is None
    assert classify(config, "country_id", table="members", columns=columns, data_type="Many2one").pii_type is None
    # a table of nationalities: its key is the row's own, and its rows say nothing of people
    listing = ["nationality_id", "name", "code"]
    assert classify(config, "nationality_id", table="nationalities", columns=listing,
                    data_type="OneToOneField").pii_type is None
    assert classify(config, "name", table="nationalities", columns=listing).pii_type is None


def test_a_unit_after_a_measure_is_the_unit_not_the_measure(config):
    columns = ["id", "email", "date_of_birth", "height", "height_uom", "weight_unit"]
    assert classify(config, "height", table="athletes", columns=columns).pii_type == "health"
    for name in ("height_uom", "weight_unit"):
        assert classify(config, name, table="athletes", columns=columns).pii_type is None, name


def test_a_table_of_partners_or_parties_is_about_people(config):
    columns = ["id", "name", "mobile", "street", "zip", "company_registry"]
    for table in ("res_partner", "party_party", "hotel_checkin_partner"):
        assert table_context(name=table, description=None, column_names=columns, config=config).kind == "person"
        assert classify(config, "mobile", table=table, columns=columns).pii_type == "phone", table
    # a partner's name in another table still names a business partner (a reseller), not a person
    assert classify(config, "channel_partner_name", table="campaign_interactions",
                    columns=["id", "channel_partner_name", "campaign_id"]).pii_type is None


def test_a_table_of_contact_mechanisms_reads_its_bare_value_as_the_contact(config):
    columns = ["id", "party", "type", "value", "value_compact", "comment"]
    for name in ("value", "value_compact"):
        result = classify(config, name, table="party_contact_mechanism", columns=columns)
        assert result.pii_type == "phone", name
        assert "contact mechanism" in details(result)
    # a value elsewhere is nobody's
    assert classify(config, "value", table="settings", columns=["id", "key", "value"]).pii_type is None


def test_a_table_of_identity_documents_reads_its_bare_number_as_the_document_s(config):
    columns = ["id", "partner_id", "category_id", "name", "valid_from"]
    assert classify(config, "name", table="res_partner_id_number", columns=columns).pii_type == "national_id"
    # an identifier table may hold a hospital's record numbers: not read so
    assert classify(config, "identifier", table="patient_identifier",
                    columns=["patient_id", "identifier", "identifier_type"]).pii_type is None


def test_a_table_of_documents_reads_its_bare_name_as_the_document_s(config):
    columns = ["id", "user_id", "member_id", "document", "original_name", "name", "note"]
    for name in ("name", "original_name"):
        assert classify(config, name, table="gym_userdocument", columns=columns).pii_type is None, name
    # the same names in a table of members are the members'
    assert classify(config, "name", table="gym_member", columns=columns).pii_type == "person_name"


def test_an_orm_key_to_a_record_is_no_value(config):
    columns = ["id", "name", "gender", "current_address", "family", "nationality_id"]
    assert classify(config, "current_address", table="patients", columns=columns,
                    data_type="Many2one").pii_type is None
    assert classify(config, "family", table="patients", columns=columns, data_type="ForeignKey").pii_type is None
    # a key to a code carries it whatever the ORM calls it
    assert classify(config, "nationality_id", table="patients", columns=columns,
                    data_type="Many2one").pii_type == "nationality"
    # and text is still the address
    assert classify(config, "current_address", table="patients", columns=columns,
                    data_type="varchar").pii_type == "address"


def test_an_object_named_as_a_list_of_the_values_holds_them(config):
    columns = ["handle", "primary_name.surname_list.surname", "address_list.street", "address_list.city"]
    assert classify(config, "primary_name.surname_list.surname", table="person", columns=columns).pii_type == (
        "person_name")
    assert classify(config, "address_list.street", table="person", columns=columns).pii_type == "address"
    # the list's other fields keep their own reading, and a list word after a value still describes it
    assert classify(config, "address_list.city", table="person", columns=columns).pii_type is None
    assert classify(config, "email_list", table="person", columns=["email_list", "name"]).pii_type is None


@pytest.mark.parametrize(("name", "pii_type"), [
    ("primary_name.call", "person_name"), ("rufname", "person_name"), ("attn", "person_name"),
    ("post_box", "address"), ("po_box", "address"), ("private_bag", "address"),
    ("document_number", "national_id"), ("signed_by", "person_name"),
])
def test_round_15_vocabulary_kinds(config, name, pii_type):
    result = classify(config, name, table="stg_people", columns=[name, "email", "date_of_birth"])
    assert result.pii_type == pii_type


def test_round_15_lookalikes_stay_out(config):
    # an invoice's document number, a place of business's phone, a signer's key
    assert classify(config, "document_number", table="invoices",
                    columns=["id", "document_number", "amount"]).pii_type is None
    assert classify(config, "phone", table="gym", columns=["id", "name", "phone"]).pii_type is None
    assert classify(config, "signed_by_id", table="stg_people",
                    columns=["signed_by_id", "email", "date_of_birth"]).pii_type is None


def test_a_table_of_a_user_s_body_measurements_holds_health_data(config):
    assert classify(config, "weight", table="weight_weightentry",
                    columns=["id", "date", "weight", "user_id"]).pii_type == "health"
    # a parcel's weight is no one's
    assert classify(config, "weight", table="parcel_weights", columns=["id", "weight", "parcel_id"]).pii_type is None


def test_a_table_of_addresses_reads_a_floor_or_a_room_as_part_of_the_address(config):
    columns = ["id", "party", "street_name", "floor_number", "room_number", "postal_code"]
    for name in ("floor_number", "room_number"):
        assert classify(config, name, table="party_address", columns=columns).pii_type == "address", name
    # a hotel room or a building's floor elsewhere is no address, nor is an organisation's floor
    assert classify(config, "room_number", table="reservations",
                    columns=["id", "guest_name", "room_number"]).pii_type is None
    assert classify(config, "floor", table="company_address", columns=["id", "company_id", "floor"]).pii_type is None
