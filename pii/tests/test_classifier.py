"""Pure tests of pii/classifier.py: no Django, no database; the config is read from config/pii.yaml."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import yaml

from pii import vocabulary
from pii.classifier import Evidence, classify_column
from pii.context import table_context
from pii.tokens import tokenize_column_name
from pii.vocabulary import PiiConfigError, default_pii_config, load_pii_config

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared"


@pytest.fixture(scope="module")
def config():
    return default_pii_config()


def classify(config, name, data_type=None, description=None, meta=None, tags=(), **kwargs):
    return classify_column(name=name, data_type=data_type, description=description, meta=meta or {}, tags=tags,
                           config=config, **kwargs)


# ------------------------------------------------------------------------------------------------ tokens


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("customer_email", ("customer", "email")),
        ("customerEmail", ("customer", "email")),
        ("CustomerEmail", ("customer", "email")),
        ("CUSTOMER_EMAIL", ("customer", "email")),
        ("HTTPServerName", ("http", "server", "name")),
        ("ssn_last4", ("ssn", "last", "4")),
        ("address_line_2", ("address", "line", "2")),
        ("e_mail", ("e", "mail")),
        ("emailaddress", ("email", "address")),
        ("EmailAddress", ("email", "address")),
        ("firstname", ("first", "name")),
        ("hasoptedoutofemail", ("has", "opted", "out", "of", "email")),
        ("billingpostalcode", ("billing", "postal", "code")),
        ("dateofbirth", ("date", "of", "birth")),
        ("user.email-address", ("user", "email", "address")),
    ],
)
def test_tokenize_column_name_splits_cases_digits_and_compounds(config, name, tokens):
    assert tokenize_column_name(name, config=config) == tokens


@pytest.mark.parametrize("word", ["percentage", "postage", "package", "message", "username", "address", "status"])
def test_tokenize_column_name_keeps_known_words_whole(config, word):
    assert tokenize_column_name(word, config=config) == (word,)


def test_tokenize_column_name_splits_glued_english_words(config):
    # Round 5: glued ordinary English words are split too (they used to stay whole), through pii/lexicon.py.
    assert tokenize_column_name("hierarchynumberofconvertedleads", config=config) == (
        "hierarchy", "number", "of", "converted", "leads")
    assert tokenize_column_name("passportissueddate", config=config) == ("passport", "issued", "date")


@pytest.mark.parametrize("word", ["qzxvbk", "passage", "sextant", "middlesex"])
def test_tokenize_column_name_leaves_non_words_and_plain_words_whole(config, word):
    # not English words, or an ordinary word that is not two (passage is not pass + age; 'sex' never a piece of an
    # English word)
    assert tokenize_column_name(word, config=config) == (word,)


def test_a_glued_word_that_is_no_english_word_may_hold_a_short_word_that_hides_in_others(config):
    # session 28 (issue-piispell): conttel, which stayed whole before, is two words of the vocabulary (cont tel: a
    # contact's telephone, as pc_conttel of a calendar event is labelled); an English word still is not split
    assert tokenize_column_name("conttel", config=config) == ("cont", "tel")


# ------------------------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [
        ("customer_email", "email"),
        ("email_address", "email"),
        ("primary_email", "email"),
        ("cust_email", "email"),
        ("e_mail", "email"),
        ("emailaddress", "email"),
        ("EmailAddress", "email"),
        ("contact_email__c", "email"),
        ("billing_zip", "postal_code"),
        ("dob", "date_of_birth"),
        ("ssn_last4", "national_id"),
        ("first_name", "person_name"),
        ("LastName", "person_name"),
        ("mobile_phone", "phone"),
        ("client_ip_address", "ip_address"),
        ("user_ipaddress", "ip_address"),
        ("street_address_2", "address"),
        ("password_hash", "credential"),
        ("iban", "bank_account"),
        ("card_number", "card_number"),
        ("card_last4", "card_number"),
        ("passport_no", "passport"),
        ("drivers_license_number", "drivers_license"),
        ("gender", "gender"),
        ("ethnicity", "ethnicity"),
        ("nationality", "nationality"),
        ("anonymous_id", "device_id"),
        ("username", "username"),
    ],
)
def test_name_detects_pii(config, name, pii_type):
    result = classify(config, name)
    assert result.pii_type == pii_type
    assert result.detected_by == "name"
    assert 0.8 <= result.confidence <= 0.99


@pytest.mark.parametrize(
    "name",
    [
        "email_verified", "email_opt_in", "phone_count", "is_address_valid", "zip_code_count", "ip_rule_id",
        "academic_year_code", "has_email", "email_domain", "email_sent_at", "num_emails", "email_template_id",
        "address_type", "phone_type", "ip_country", "is_email_bounced", "number_of_emails_sent",
        "hasoptedoutofemail", "receiveemailsaccepted", "email_bounced_reason", "last_login", "input_tokens",
        "license_key", "credit_card_amount", "trace_id", "page_age", "usage_count", "percentage",
        "secret_detection_jobs", "ip_range_first_ip", "website_address", "web_addresses.value",
    ],
)
def test_lookalike_names_are_not_pii(config, name):
    result = classify(config, name)
    assert result.pii_type is None, result.evidence


def test_rejection_keeps_the_reason_in_the_evidence(config):
    result = classify(config, "email_verified")
    assert result.confidence == 0.0
    (evidence,) = [e for e in result.evidence if e.signal == "name"]
    assert evidence.pii_type == "email"
    assert evidence.weight == -1.0
    assert "'verified'" in evidence.detail


def test_email_domain_is_rejected_as_a_documented_lookalike(config):
    result = classify(config, "email_domain")
    assert result.pii_type is None
    assert any("domain part of an email" in e.detail for e in result.evidence)


@pytest.mark.parametrize("name", ["email_hash", "hashed_email", "email_sha256", "ip_address_hash"])
def test_hashed_pii_is_classified_with_a_masked_hint(config, name):
    result = classify(config, name)
    assert result.pii_type in ("email", "ip_address")
    assert result.masked is True
    assert any("masked" in e.detail for e in result.evidence)


def test_unknown_word_after_the_match_weakens_it_below_the_threshold(config):
    result = classify(config, "email_segment")
    assert result.pii_type is None
    assert 0 < result.confidence < config.threshold


def test_bare_name_needs_a_person_context(config):
    assert classify(config, "name").pii_type is None
    assert classify(config, "name", capsule_name="stg_shop__customers").pii_type == "person_name"
    assert classify(config, "name", capsule_name="dim_products").pii_type is None
    assert classify(config, "customer_name").pii_type == "person_name"
    assert classify(config, "product_name", capsule_name="customers").pii_type is None


def test_organisation_owner_or_capsule_weakens_contact_data(config):
    assert classify(config, "company_phone").pii_type is None
    assert classify(config, "contact_phone").pii_type == "phone"
    assert classify(config, "account_full_name").pii_type is None
    assert classify(config, "fax", capsule_name="stg_salesforce__account").pii_type is None
    assert classify(config, "fax", capsule_name="stg_salesforce__contact").pii_type == "phone"
    # A person's first name stays personal whatever the capsule.
    assert classify(config, "first_name", capsule_name="stg_salesforce__account").pii_type == "person_name"


def test_table_abbreviation_is_not_an_owner(config):
    assert classify(config, "c_name", capsule_name="customer").pii_type == "person_name"
    assert classify(config, "ca_zip", capsule_name="customer_address").pii_type == "postal_code"
    assert classify(config, "os_name", capsule_name="stg_users").pii_type is None
    assert classify(config, "s_phone", capsule_name="supplier").pii_type is None


def test_max_of_a_value_is_still_the_value(config):
    assert classify(config, "max_email").pii_type == "email"


def test_role_column_holds_a_person_only_when_it_is_not_a_key(config):
    assert classify(config, "s_manager", "varchar(40)").pii_type == "person_name"
    assert classify(config, "manager_id").pii_type is None
    assert classify(config, "is_manager", "boolean").pii_type is None


# ------------------------------------------------------------------------------------------------ data type


@pytest.mark.parametrize("data_type", ["boolean", "date", "numeric(10,2)", "integer", "TIMESTAMP_NTZ", "uuid"])
def test_type_incompatible_with_email_vetoes_the_name(config, data_type):
    result = classify(config, "email", data_type)
    assert result.pii_type is None
    assert any(e.signal == "type" and e.weight == -1.0 for e in result.evidence)


def test_date_type_supports_date_of_birth(config):
    result = classify(config, "birth_date", "date")
    assert result.pii_type == "date_of_birth"
    assert any(e.signal == "type" and e.weight > 0 for e in result.evidence)
    assert result.confidence > classify(config, "birth_date").confidence
    assert result.semantic_type is None  # a birth date is not an event time


def test_phone_may_be_stored_as_a_number(config):
    assert classify(config, "phone", "bigint").pii_type == "phone"


def test_leading_type_word_in_description_is_read_as_the_type(config):
    result = classify(config, "is_opted_in_for_email", description="bool, whether the user opted in")
    assert result.pii_type is None
    result = classify(config, "email", description="bool, whether an email exists")
    assert any(e.signal == "type" and "from the description" in e.detail for e in result.evidence)


# ------------------------------------------------------------------------------------------------ description


def test_description_alone_detects_with_low_confidence(config):
    result = classify(config, "contact", "varchar", "The customer's email address")
    assert result.pii_type == "email"
    assert result.detected_by == "description"
    assert 0.5 <= result.confidence <= 0.6


@pytest.mark.parametrize(
    "description",
    ["Whether the email was verified", "Number of emails sent to the customer", "The domain of the email address",
     "Timestamp when the email bounced"],
)
def test_description_about_the_value_is_not_pii(config, description):
    assert classify(config, "notes", "varchar", description).pii_type is None


@pytest.mark.parametrize(
    "description",
    ["The tier of the email send.", "The plan name of the user.", "Email template used for the reminder"],
)
def test_description_phrase_owned_or_qualified_by_another_noun_does_not_count(config, description):
    assert classify(config, "label", "varchar", description).pii_type is None


def test_negated_description_does_not_count(config):
    result = classify(config, "label", "varchar", "Display name of the product (not a person's name).")
    assert result.pii_type is None


def test_description_does_not_override_a_key_name(config):
    result = classify(config, "course_user_group_id", description="int, the mailing address of the user")
    assert result.pii_type is None
    assert any(e.signal == "description" and "does not override" in e.detail for e in result.evidence)


def test_description_agreeing_with_the_name_raises_confidence(config):
    alone = classify(config, "user_email").confidence
    agreed = classify(config, "user_email", description="The email address of the user").confidence
    assert agreed > alone


def test_description_about_an_organisation_weakens_contact_data(config):
    assert classify(config, "hq_phone", description="Company location phone number").pii_type is None


# ------------------------------------------------------------------------------------------------ meta and tags


@pytest.mark.parametrize(
    ("meta", "pii_type"),
    [
        ({"pii": True}, "email"),  # a bare yes takes the type from the name
        ({"pii": "yes"}, "email"),
        ({"pii": "phone"}, "phone"),
        ({"pii_type": "ssn"}, "national_id"),
        ({"pii": True, "pii_type": "credit_card"}, "card_number"),
        ({"contains_pii": True}, "email"),
        ({"sensitive": True}, "email"),
        ({"sensitivity": "pii"}, "email"),
    ],
)
def test_meta_declares_pii(config, meta, pii_type):
    result = classify(config, "work_email", meta=meta)
    assert result.pii_type == pii_type
    assert result.detected_by == "meta"
    assert result.confidence == 1.0


def test_meta_yes_without_a_type_falls_back_to_personal_data(config):
    result = classify(config, "comp_band", meta={"pii": True})
    assert result.pii_type == "personal_data"


@pytest.mark.parametrize("meta", [{"pii": False}, {"pii": "false"}, {"sensitivity": "public"}, {"contains_pii": False}])
def test_meta_no_wins_over_the_name(config, meta):
    result = classify(config, "customer_email", meta=meta)
    assert result.pii_type is None
    assert result.detected_by == "meta"
    assert any(e.signal == "name" and e.weight > 0 for e in result.evidence)  # still shown, overridden


def test_meta_sensitivity_confidential_is_context_for_the_name(config):
    assert classify(config, "customer_email", meta={"sensitivity": "confidential"}).pii_type == "email"
    assert classify(config, "comp_band", meta={"sensitivity": "confidential"}).pii_type == "personal_data"


def test_meta_masking_policy_marks_the_column_masked(config):
    result = classify(config, "date_of_birth", meta={"masking_policy": "analyst_people_sensitive"})
    assert result.pii_type == "date_of_birth"
    assert result.masked is True


@pytest.mark.parametrize(
    ("tags", "pii_type"),
    [(["pii"], "email"), (["pii:phone"], "phone"), (["PII_ssn"], "national_id"), (["sensitive"], "email")],
)
def test_tags_declare_pii(config, tags, pii_type):
    result = classify(config, "work_email", tags=tags)
    assert result.pii_type == pii_type
    assert result.detected_by == "tag"
    assert result.confidence == 0.95


def test_negative_tag_wins_over_the_name(config):
    assert classify(config, "customer_email", tags=["no_pii"]).pii_type is None


def test_meta_outranks_tags(config):
    result = classify(config, "customer_email", meta={"pii": False}, tags=["pii"])
    assert result.pii_type is None
    assert result.detected_by == "meta"


def test_meta_evidence_comes_before_name_evidence(config):
    result = classify(config, "customer_email", meta={"pii": True})
    assert [e.signal for e in result.evidence][:2] == ["meta", "name"]


def test_capsule_meta_contains_pii_is_context_not_a_verdict(config):
    base = classify(config, "work_email").confidence
    assert classify(config, "work_email", capsule_meta={"contains_pii": True}).confidence > base
    assert classify(config, "order_total", capsule_meta={"contains_pii": True}).pii_type is None


# ------------------------------------------------------------------------------------------------ switches


def test_auto_detect_off_ignores_names_and_descriptions(config):
    assert classify(config, "customer_email", auto_detect=False).pii_type is None
    assert classify(config, "notes", description="The customer's email", auto_detect=False).pii_type is None


def test_auto_detect_off_still_honours_meta_and_tags(config):
    assert classify(config, "customer_email", meta={"pii": True}, auto_detect=False).pii_type == "email"
    assert classify(config, "x", tags=["pii:phone"], auto_detect=False).pii_type == "phone"


def test_lineage_evidence_carries_the_upstream_type(config):
    upstream = Evidence("lineage", "stg_customers.email -> mart.contact (passthrough)", "email", 0.9,
                        source="urn:dab:column:stg_customers.email")
    result = classify(config, "contact", extra_evidence=[upstream])
    assert result.pii_type == "email"
    assert result.detected_by == "lineage"
    assert upstream in result.evidence


def test_lineage_into_a_boolean_is_vetoed_by_the_type(config):
    upstream = Evidence("lineage", "stg.email -> has_email", "email", 0.9, source="urn:x")
    assert classify(config, "has_email", "boolean", extra_evidence=[upstream]).pii_type is None


def test_steward_decision_beats_meta(config):
    steward = Evidence("steward", "rejected by a steward: test data only", None, -1.0)
    result = classify(config, "customer_email", meta={"pii": True}, extra_evidence=[steward])
    assert result.pii_type is None
    assert result.detected_by == "steward"


# ------------------------------------------------------------------------------------------------ semantic types


@pytest.mark.parametrize(
    ("name", "data_type", "capsule", "tests", "semantic"),
    [
        ("id", None, "customers", (), "primary_key"),
        ("customer_id", None, "stg_shop__customers", (), "primary_key"),
        ("customer_id", None, "orders", (), "foreign_key"),
        ("code", "varchar", "x", ("unique", "not_null"), "primary_key"),
        ("parent", "varchar", "x", ("relationships",), "foreign_key"),
        ("order_number", None, None, (), "business_key"),
        ("country_code", None, None, (), "business_key"),
        ("sku", None, None, (), "business_key"),
        ("created_at", None, None, (), "event_time"),
        ("ordered", "timestamp", None, (), "event_time"),
        ("updated_on", None, None, (), "event_time"),
        ("amount", "numeric(10,2)", None, (), "metric"),
        ("total_revenue", None, None, (), "metric"),
        ("count_orders", "bigint", None, (), "metric"),
        ("amount_label", "varchar", None, (), None),
        ("status", "varchar", None, (), None),
    ],
)
def test_semantic_types(config, name, data_type, capsule, tests, semantic):
    assert classify(config, name, data_type, capsule_name=capsule, tests=tests).semantic_type == semantic


def test_pii_value_is_not_a_business_key(config):
    result = classify(config, "postal_code")
    assert result.pii_type == "postal_code"
    assert result.semantic_type is None


# ------------------------------------------------------------------------------------------------ config


def _write(tmp_path, text):
    path = tmp_path / "pii.yaml"
    path.write_text(text)
    return path


def _minimal(type_block: str = "", top: str = "") -> str:
    return f"""
version: 1
{top}
types:
  email:
    label: Email
    category: contact
    risk: high
    names:
      strong: [email]
{type_block}
"""


def test_config_loads_and_knows_the_vocabulary(config):
    assert {"email", "phone", "national_id", "card_number", "health", "person_name", "credential"} <= set(config.types)
    assert config.types["national_id"].risk == "critical"
    assert config.types["email"].category == "contact"
    assert config.type_aliases["ssn"] == "national_id"


def test_config_minimal_file_works(tmp_path):
    cfg = load_pii_config(_write(tmp_path, _minimal()))
    assert classify(cfg, "email").pii_type == "email"


def test_config_error_names_file_and_key_for_a_bad_category(tmp_path):
    path = _write(tmp_path, _minimal().replace("category: contact", "category: contactt"))
    with pytest.raises(PiiConfigError) as exc:
        load_pii_config(path)
    assert str(exc.value).startswith(f"{path}: types.email.category: 'contactt' is not one of")


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (_minimal(top="colour: blue"), "colour", "unknown key"),
        (_minimal(top="threshold: 2"), "threshold", "outside"),
        (_minimal(top="weights: {strong: high}"), "weights.strong", "expected a number"),
        (_minimal(top="tokens: {prefix_veto: [is, no]}"), "tokens.prefix_veto[1]", 'quote it ("no")'),
        (_minimal(top="tokens: {not_agents: [committee, no]}"), "tokens.not_agents[1]", 'quote it ("no")'),
        (_minimal(top="tokens: {number_first: [num, no]}"), "tokens.number_first[1]", 'quote it ("no")'),
        (_minimal("    numbered: yes please"), "types.email.numbered", "true only for a value type"),
        (_minimal(top="table_context: {list_heads: lookup}"), "table_context.list_heads", "expected a list"),
        (_minimal(top="description: {leading_against: ['(unclosed']}"), "description.leading_against[0]",
         "invalid regular expression"),
        (_minimal("    data_types: [strng]"), "types.email.data_types[0]", "unknown data-type family 'strng'"),
        (_minimal("    risk: extreme").replace("    risk: high\n", "", 1), "types.email.risk", "'extreme'"),
        (_minimal("    names: {strong: [email], weak: [mail]}").replace("    names:\n      strong: [email]\n", ""),
         "types.email.names.weak", "unknown key"),
        (_minimal().replace("    label: Email\n", ""), "types.email.label", "is required"),
        (_minimal() + "  work_email:\n    label: W\n    category: contact\n    risk: high\n"
         "    names: {strong: [email]}\n", "types.work_email.names.strong[0]", "already used by types.email"),
    ],
)
def test_config_errors_are_precise(tmp_path, text, key, problem):
    path = _write(tmp_path, text)
    with pytest.raises(PiiConfigError) as exc:
        load_pii_config(path)
    message = str(exc.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert problem in message


def test_config_error_for_a_missing_file(tmp_path):
    with pytest.raises(PiiConfigError, match="cannot read"):
        load_pii_config(tmp_path / "absent.yaml")


def test_config_error_for_invalid_yaml(tmp_path):
    with pytest.raises(PiiConfigError, match="not valid YAML"):
        load_pii_config(_write(tmp_path, "types: [unclosed"))


def test_config_read_by_libyaml_is_the_pure_python_reading():
    """The config is read with libyaml's loader for speed; the document must be the one PyYAML's own loader reads."""
    text = (REPO / "config" / "pii.yaml").read_text(encoding="utf-8")
    fast = yaml.load(text, Loader=vocabulary._YAML_LOADER)
    assert fast == yaml.safe_load(text)
    assert json.dumps(fast, default=str) == json.dumps(yaml.safe_load(text), default=str)  # key order too


def test_config_meta_keys_may_be_dotted_paths(tmp_path):
    cfg = load_pii_config(_write(tmp_path, _minimal(top="meta: {flag_keys: [privacy.pii]}")))
    assert classify(cfg, "notes", meta={"privacy": {"pii": "email"}}).pii_type == "email"


# ------------------------------------------------------------------------------------------------ real artifacts


@pytest.mark.shared
def test_mattermost_columns_tagged_pii_are_found_without_the_tags(config):
    """The Mattermost project tags its own PII columns; names and descriptions alone should find them."""
    path = SHARED / "dbt" / "mattermost-analytics" / "manifest.json"
    if not path.exists():
        pytest.skip("../shared/dbt is not available")
    manifest = json.loads(path.read_text())
    tagged = found = 0
    for node in manifest["nodes"].values():
        for col in (node.get("columns") or {}).values():
            if "pii" not in (col.get("tags") or []):
                continue
            tagged += 1
            result = classify(config, col["name"], col.get("data_type"), col.get("description"),
                              capsule_name=node["name"])
            found += result.pii_type is not None
    assert tagged >= 30
    # country_name is tagged too; the vocabulary treats a country as coarse location, not PII.
    assert found >= tagged - 2


def _forget(config) -> None:
    """Empty every memo the classifier keeps on the config, as if the process had just started."""
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if field.name.startswith("_") and isinstance(value, dict):
            value.clear()


@pytest.mark.shared
def test_memoised_verdicts_are_those_of_a_cold_classifier():
    """Classifying a whole real project with one config shares memo entries between columns and tables (a name's
    hits, a table's column facts, a weighed verdict); each column classified from empty memos, with its table's
    context built from empty memos too, must get the same verdict, evidence included."""
    path = SHARED / "dbt" / "mattermost-analytics" / "manifest.json"
    if not path.exists():
        pytest.skip("../shared/dbt is not available")
    manifest = json.loads(path.read_text())
    tables = []
    for node in manifest["nodes"].values():
        columns = list((node.get("columns") or {}).values())
        if node.get("resource_type") in ("model", "seed", "snapshot") and columns:
            tables.append((node["name"], node.get("description") or None, node.get("meta") or None, columns))
    config = load_pii_config()

    def verdicts(*, cold: bool) -> list:
        out = []
        for name, description, meta, columns in tables:
            if cold:
                _forget(config)
            table = table_context(name=name, description=description, column_names=[c["name"] for c in columns],
                                  config=config)
            for col in columns:
                # the manifests seldom declare a type: each name is also read as text, a number and a flag
                for data_type in (col.get("data_type"), "varchar", "integer", "boolean"):
                    if cold:
                        _forget(config)
                    out.append(classify(config, col["name"], data_type, col.get("description"), col.get("meta") or {},
                                        tuple(col.get("tags") or ()), capsule_name=name, capsule_meta=meta,
                                        table=table))
        return out

    warm = verdicts(cold=False)
    shared_verdicts = len(config._verdicts)
    cold = verdicts(cold=True)
    assert len(warm) > 4 * 3000 and sum(v.is_pii for v in warm) > 100
    assert shared_verdicts < sum(bool(v.evidence) for v in warm)  # weighed columns did share verdicts
    assert [(v.pii_type, v.confidence, v.evidence, v.detected_by, v.semantic_type, v.masked) for v in warm] == [
        (v.pii_type, v.confidence, v.evidence, v.detected_by, v.semantic_type, v.masked) for v in cold]


# ------------------------------------------------------------------------------------------------ lineage and paths


def lineage(pii_type, weight, *, transformation="direct", masked=False, source="urn:up:email"):
    return Evidence("lineage", f"{transformation} from {source}", pii_type, weight, source=source, masked=masked,
                    path=(source,), transformation=transformation)


def test_evidence_round_trips_through_its_json_form():
    e = lineage("email", 0.85, transformation="hashed", masked=True)
    assert Evidence.from_dict(json.loads(json.dumps(e.as_dict()))) == e
    assert "path" not in Evidence("name", "x", "email", 0.85).as_dict()


def test_hashed_lineage_makes_masked_pii(config):
    c = classify(config, "contact_digest", "varchar", extra_evidence=(lineage("email", 0.95, transformation="hashed",
                                                                              masked=True),))
    assert (c.pii_type, c.masked, c.detected_by) == ("email", True, "lineage")


def test_one_raw_copy_among_hashed_ones_leaves_the_value_unmasked(config):
    c = classify(config, "contact", "varchar", extra_evidence=(
        lineage("email", 0.95, transformation="hashed", masked=True, source="urn:a"),
        lineage("email", 0.9, transformation="derived", source="urn:b")))
    assert (c.pii_type, c.masked) == ("email", False)


def test_masked_by_its_own_name_stays_masked_whatever_the_lineage(config):
    c = classify(config, "phone_masked", "varchar", extra_evidence=(lineage("phone", 0.85, transformation="derived"),))
    assert (c.pii_type, c.masked) == ("phone", True)


def test_a_copy_sets_aside_a_lookalike_name_but_a_derivation_does_not(config):
    copied = classify(config, "email_send_email", "text",
                      extra_evidence=(lineage("email", 0.95, transformation="renamed"),))
    derived = classify(config, "has_phone", "varchar",
                       extra_evidence=(lineage("phone", 0.85, transformation="derived"),))
    assert copied.pii_type == "email"
    assert any("set aside" in e.detail for e in copied.evidence)
    assert derived.pii_type is None


def test_a_copy_still_cannot_put_an_email_in_a_boolean(config):
    c = classify(config, "email_verified", "boolean", extra_evidence=(lineage("email", 0.95),))
    assert c.pii_type is None


def test_lineage_never_overrides_the_columns_own_type(config):
    c = classify(config, "customer_age", "integer", extra_evidence=(lineage("date_of_birth", 0.9,
                                                                            transformation="derived"),))
    assert c.pii_type == "age"
    assert any(e.signal == "lineage" for e in c.evidence)


def test_weak_lineage_alone_stays_below_the_threshold(config):
    c = classify(config, "col_17", "varchar", extra_evidence=(lineage("email", 0.44, transformation="derived"),))
    assert c.pii_type is None and c.confidence == pytest.approx(0.44)


# ------------------------------------------------------------------------------------------------ descriptions, more


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("channel", "email, chat or phone."),
        ("payment_method", "credit_card, paypal, gift_card or bank_transfer."),
        ("contact_method", "Email or chat"),
    ],
)
def test_a_description_listing_alternative_values_names_kinds_not_a_value(config, name, description):
    c = classify(config, name, "varchar", description=description)
    assert c.pii_type is None
    assert any("lists the values" in e.detail for e in c.evidence)


def test_alternatives_that_are_all_personal_values_still_count(config):
    assert classify(config, "contact", "varchar", description="Email or phone number.").pii_type in ("email", "phone")


def test_a_list_joined_by_and_is_a_composite_value(config):
    assert classify(config, "location_text", "varchar", description="street, city and zip code").pii_type is not None


def test_a_coarse_location_named_column_is_not_the_address_its_description_mentions(config):
    c = classify(config, "country_code", "varchar", description="ISO 3166-1 alpha-2 country of the delivery address.")
    assert c.pii_type is None
    assert any("holds a country" in e.detail for e in c.evidence)


def test_a_noun_before_name_of_the_person_makes_it_that_things_name(config):
    assert classify(config, "os_name", "varchar", description="The os name of the contact.").pii_type is None
    assert classify(config, "label", "varchar", description="The name of the contact.").pii_type == "person_name"


@pytest.mark.parametrize(
    ("name", "pii_type"),
    [("Staatsangehörigkeit", "nationality"), ("kjønn", "gender"), ("fødselsdato", "date_of_birth"),
     ("kunde.telefonnummer", "phone"), ("Fødselsnummer", "national_id"), ("número_pasaporte", "passport")],
)
def test_accented_letters_are_read_as_their_ascii_spelling(config, name, pii_type):
    assert classify(config, name).pii_type == pii_type
