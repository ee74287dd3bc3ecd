"""The PII vocabulary: config/pii.yaml read, validated and compiled once per process.

Pure Python, no Django. ``load_pii_config`` turns the YAML into a ``PiiConfig``: word sets, the name and
description phrase tries and the type rules the classifier (pii/classifier.py) and the tokeniser
(pii/tokens.py) read. The file's header explains the scoring; a bad file raises ``PiiConfigError`` naming
the file and the key at fault.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "PiiConfig",
    "PiiConfigError",
    "PiiType",
    "consonant_skeleton",
    "default_pii_config",
    "load_pii_config",
]

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "pii.yaml"
_CACHE_LIMIT = 400_000  # entries per memo dict; cleared wholesale when full (names repeat, so this is rare)
# Categories of clinical facts: a flag or a verification of one (has_diabetes, diagnosis_confirmed) is the fact.
_CLINICAL_CATEGORIES = frozenset({"health", "biometric"})

@dataclass(frozen=True, slots=True)
class PiiType:
    """One kind of personal data from config/pii.yaml (email, national_id, ...)."""

    key: str
    label: str
    category: str
    risk: str
    kind: str = "value"  # value: the column holds the datum; attribute: a trait (gender, health)



class PiiConfigError(ValueError):
    """config/pii.yaml is unreadable or invalid; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class _TypeRule:
    key: str
    kind: str
    organisation_sensitive: bool | str  # True: owner word or capsule; "owner": owner word only
    data_types: frozenset[str]
    typical_data_types: frozenset[str]
    suffix_keep: frozenset[str]
    prefix_veto: frozenset[str]
    name_words_against: frozenset[str] = frozenset()  # name words that rule out a description-only match
    coded: bool = False  # values drawn from a short list of codes: a key to one (nationality_id) carries the value
    # a number identifies the value (a document, a phone, an account): a number word before it in another language
    # names its number (num_pasaporte, no_telp), not a count
    numbered: bool = False
    # words before the value that say which of a person's values it is, not whose (gps_latitude, pickup_longitude,
    # account_login): the owner is read past them
    owner_neutral: frozenset[str] = frozenset()
    clinical: bool = False  # health or biometric: a fact about it (confirmed, has_) is still the person's


@dataclass(frozen=True, slots=True)
class _Pattern:
    words: tuple[str, ...]
    pii_type: str | None  # None: a known lookalike (not_pii) whose reason is in ``reason``
    strength: str  # strong | medium | person | role | not_pii
    reason: str = ""
    rules_out: str | None = None  # for lookalikes: the type the phrase is mistaken for


@dataclass(frozen=True, slots=True)
class PiiConfig:
    """Validated and compiled config/pii.yaml. Build it with ``load_pii_config``; it is immutable and shareable.

    The memo dicts at the end are the only mutable parts: they cache pure functions of their keys.
    """

    path: str
    threshold: float
    weights: Mapping[str, float]
    types: Mapping[str, PiiType]
    rules: Mapping[str, _TypeRule]
    type_aliases: Mapping[str, str]
    meta_flag_keys: tuple[tuple[str, ...], ...]
    meta_type_keys: tuple[tuple[str, ...], ...]
    meta_level_keys: tuple[tuple[str, ...], ...]
    meta_levels: Mapping[str, str]
    meta_masking_keys: tuple[tuple[str, ...], ...]
    tag_flags: frozenset[str]
    tag_negative: frozenset[str]
    tag_type_prefixes: tuple[str, ...]
    data_type_families: Mapping[str, str]
    aliases: Mapping[str, tuple[str, ...]]
    words: frozenset[str]
    short_words: frozenset[str]
    hidden_words: frozenset[str]
    prefix_veto: frozenset[str]
    aggregate: frozenset[str]
    suffix_keep: frozenset[str]
    suffix_veto: frozenset[str]
    attribute_suffix_veto: frozenset[str]  # tokens.aggregate and tokens.record_suffix: what ends an attribute's value
    # tokens.record_suffix_last: the last word of a name, after an attribute, naming the record's origin (dx_source)
    record_suffix_last: frozenset[str]
    # ... and, for an attribute that is no clinical fact (gender, ethnicity), tokens.attribute_about after it and
    # tokens.attribute_about_prefix before it: the column says whether the trait was recorded, verified or consented
    # to (has_gender, gender_verified, ethnicity_consent), not the trait
    trait_suffix_veto: frozenset[str]
    trait_prefix_veto: frozenset[str]
    code_value: frozenset[str]  # tokens.code_value: before a key, the key is to the value's code (gender_cv_id)
    suffix_stop: frozenset[str]
    masking: frozenset[str]
    neutral: frozenset[str]
    ignore_trailing: frozenset[str]
    number_first: frozenset[str]  # tokens.number_first: number words that other languages write before the thing
    not_agents: frozenset[str]  # tokens.not_agents: words ending as an agent noun that name no one (committee)
    person_words: frozenset[str]
    organisation_words: frozenset[str]
    capsule_prefixes: frozenset[str]
    generic_heads: frozenset[str]
    trie: Mapping[str, Any]
    semantic: Mapping[str, frozenset[str]]
    desc_trie: Mapping[str, Any]
    desc_words: frozenset[str]
    desc_first_words: frozenset[str]  # first words of phrases and their plurals: a sentence without one is skipped
    desc_type_hint: re.Pattern[str] | None
    desc_leading_against: re.Pattern[str] | None
    desc_near_against: frozenset[str]
    desc_masking: frozenset[str]
    desc_organisation: frozenset[str]
    desc_person: frozenset[str]
    desc_message_words: frozenset[str] = frozenset()
    table_row_words: frozenset[str] = frozenset()
    table_not_people: frozenset[str] = frozenset()
    table_person_types: frozenset[str] = frozenset()
    table_contact_types: frozenset[str] = frozenset()
    table_activity_types: frozenset[str] = frozenset()
    table_mixed_flags: frozenset[tuple[str, ...]] = frozenset()
    table_contact_person_keys: frozenset[tuple[str, ...]] = frozenset()  # rows that have a contact person
    table_contact_person_ends: frozenset[str] = frozenset()  # their last words: a cheap first test per column
    table_activity_words: frozenset[str] = frozenset()  # a table named after an activity: its own word is no person
    table_health_words: frozenset[str] = frozenset()
    table_health_keys: frozenset[tuple[str, ...]] = frozenset()
    table_health_fields: frozenset[str] = frozenset()
    table_health_skip: frozenset[str] = frozenset()
    # a table named with one of these (medical_examinations, sick_leave) keyed by any person (employee_id) holds that
    # person's clinical records
    table_medical_words: frozenset[str] = frozenset()
    table_cdisc_domains: frozenset[str] = frozenset()  # SDTM-like domain codes (ae, vs): clinical with a person key
    table_cdisc_fields: frozenset[str] = frozenset()  # their variables' clinical words after the code (AETERM: term)
    table_record_states: frozenset[str] = frozenset()  # a clinical record's own state (cancelled, deleted): no fact
    table_test_words: frozenset[str] = frozenset()  # the test a result answers (test_code, lab_name): not the result
    table_test_fields: frozenset[str] = frozenset()  # ... the clinical fields that name the test beside them
    table_message_words: frozenset[str] = frozenset()
    table_call_words: frozenset[str] = frozenset()  # a table of calls or texts: its header fields hold phone numbers
    table_message_headers: frozenset[tuple[str, ...]] = frozenset()  # a column only a stored message has (in_reply_to)
    table_place_words: frozenset[tuple[str, ...]] = frozenset()  # a table of places: its coordinates are no person's
    table_place_statistics: frozenset[str] = frozenset()  # zip_stats: statistics per area are a place's too
    table_secret_words: frozenset[str] = frozenset()  # a table of secrets (access_tokens): its bare token is one
    table_secret_fields: frozenset[tuple[str, ...]] = frozenset()  # the whole names holding the secret there
    table_mixed_words: frozenset[str] = frozenset()  # a table of these holds people and organisations (partners)
    # a table named after contact mechanisms, identity documents or addresses (its last words: "contacts",
    # "identifiers", "addresses") and the whole names that hold the value there
    table_row_heads: dict[tuple[str, ...], str] = field(default_factory=dict)
    table_row_fields: dict[str, frozenset[tuple[str, ...]]] = field(default_factory=dict)
    table_device_words: frozenset[str] = frozenset()  # a table of devices: its bare name is the device's own name
    table_term_words: frozenset[str] = frozenset()  # a table of these with no patient key lists health terms
    table_list_heads: frozenset[str] = frozenset()  # ... and so does one whose head follows one of them (icd_codes)
    table_organisation_numbers: frozenset[str] = frozenset()  # a column of these: the rows are organisations
    # a column whose whole name is one of these (employee count): a neutral table's rows are organisations
    table_organisation_fields: frozenset[tuple[str, ...]] = frozenset()
    # a table about organisations whose head noun is an organisation word but none of these (accounts, projects) ...
    table_not_firms: frozenset[str] = frozenset()
    # ... and a column whose whole name is one of these (email, legal_name) is the firm's own, not a person's
    table_firm_fields: frozenset[tuple[str, ...]] = frozenset()
    # a table whose head noun is one of these (employee_trainings) holds things its keeper names: its bare name is
    # theirs
    table_thing_words: frozenset[str] = frozenset()
    # a table whose head noun is one of these, with no person word in its name, counts groups (gender_stats): its
    # name and trait columns are a group's key
    table_statistics_words: frozenset[str] = frozenset()
    table_body_words: frozenset[str] = frozenset()  # a table of body measurements (weight entries) ...
    table_body_keys: frozenset[tuple[str, ...]] = frozenset()  # ... with a key to its user: the user's health data
    table_document_words: frozenset[str] = frozenset()  # a table of documents: its bare name is the document's
    # a table whose head noun is one of these (membership_type, mail_template) holds kinds or settings of what its
    # other words name: no people, no messages
    table_setting_words: frozenset[str] = frozenset()
    # a table whose name holds one of these holds devices' push registrations (push_subscriptions): its rows are devices
    table_push_words: frozenset[str] = frozenset()
    # a table whose name holds one of these holds one-time passwords or second factors (otp_devices, totp_device):
    # its rows are secrets, even when they are called devices
    table_otp_words: frozenset[str] = frozenset()
    # a key to one of these (rider_id) in a table of no kind: its rows' coordinates are that person's location
    table_located_owners: frozenset[str] = frozenset()
    table_ip_words: frozenset[str] = frozenset()  # ipblocks, ipbans: a table of IP addresses glued to 'ip'
    table_ip_fields: frozenset[tuple[str, ...]] = frozenset()  # the whole names holding an IP address there
    table_ip_place_words: frozenset[str] = frozenset()  # geoip_blocks: a geolocation database's ranges, not people's
    machine_words: frozenset[str] = frozenset()  # network elements: their addresses are no person's
    # people named by their role (witness, signatory; context.roles and person_name's single-word role patterns):
    # they own a person's values, and a bare one holds a name in a table about people
    role_words: frozenset[str] = frozenset()
    thing_words: frozenset[str] = frozenset()  # things and machines (folder, printer): their values are no person's
    ambiguous_owners: frozenset[str] = frozenset()  # parent, partner: a person's in a table about people
    message_fields: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    held_in: Mapping[str, str] = field(default_factory=dict)  # data type name -> the type its values are (inet)
    # Words a short or truncated token may stand for (tele: telephone), and their consonant skeletons (phn: phone).
    reading_targets: frozenset[str] = frozenset()
    skeletons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Words the vocabulary knows as a compound of two or more words (geburtsdatum: date of birth): their
    # abbreviations take letters from each part (gbdat, FMNA).
    compounds: frozenset[str] = frozenset()
    # the vocabulary's phrases of two words or more by their words' first letters (e c: estado civil), to read a
    # name whose words abbreviate one (est_civ); and the longest such phrase's length
    # (each phrase as the matcher sees a name's words, aliases read, and as the vocabulary writes it)
    phrase_index: Mapping[tuple[str, ...], tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = field(
        default_factory=dict)
    phrase_longest: int = 0
    phrase_prefixes: frozenset[str] = frozenset()  # their words' three- and four-letter openings: a cheap first test
    # Objects of a nested or flattened path that only store their fields (payload, attributes, properties): whose
    # a field is, the table says (context.storage_objects)
    storage_objects: frozenset[str] = frozenset()
    _tokens: dict = field(default_factory=dict, repr=False, compare=False)
    _plain_tokens: dict = field(default_factory=dict, repr=False, compare=False)  # without readings (table names)
    _plain_words: dict = field(default_factory=dict, repr=False, compare=False)  # word -> its known words (no readings)
    _words: dict = field(default_factory=dict, repr=False, compare=False)
    _abbreviations: dict = field(default_factory=dict, repr=False, compare=False)  # word -> read_abbreviation(word)
    _names: dict = field(default_factory=dict, repr=False, compare=False)
    _hits: dict = field(default_factory=dict, repr=False, compare=False)  # name, (name, prefix[, abbreviation]) -> hits
    _descriptions: dict = field(default_factory=dict, repr=False, compare=False)
    _families: dict = field(default_factory=dict, repr=False, compare=False)
    _capsules: dict = field(default_factory=dict, repr=False, compare=False)
    _semantics: dict = field(default_factory=dict, repr=False, compare=False)
    _tables: dict = field(default_factory=dict, repr=False, compare=False)
    _readings: dict = field(default_factory=dict, repr=False, compare=False)  # word -> how the tokeniser read it
    _name_readings: dict = field(default_factory=dict, repr=False, compare=False)  # column name -> its readings
    _held: dict = field(default_factory=dict, repr=False, compare=False)  # data type -> the PII type it holds
    _siblings: dict = field(default_factory=dict, repr=False, compare=False)  # prefix -> column name -> what it says
    _roles: dict = field(default_factory=dict, repr=False, compare=False)  # column name -> whether it is a bare role
    # a description's openings: (name, noun phrase) -> its reading; "ends", "heads" -> the pattern words they test
    _openings: dict = field(default_factory=dict, repr=False, compare=False)
    _verdicts: dict = field(default_factory=dict, repr=False, compare=False)  # a weighed column's facts -> its verdict


# --------------------------------------------------------------------------------------------- loading


# libyaml's safe loader when PyYAML was built with it: the same documents, ten times faster (0.34 -> 0.03 s of CPU for
# config/pii.yaml, read by every ingestion that classifies columns)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_pii_config(path: str | Path | None = None) -> PiiConfig:
    """Read, validate and compile a PII config (default: config/pii.yaml).

    Raises ``PiiConfigError`` whose message starts with the file and the dotted key at fault. Costs a few
    milliseconds; call it once per process (``default_pii_config`` does).
    """
    file = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        raw = yaml.load(file.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except OSError as exc:
        raise PiiConfigError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise PiiConfigError(f"{file}: not valid YAML: {exc}") from exc
    return _compile(_Reader(str(file)), raw)


@functools.cache
def default_pii_config() -> PiiConfig:
    """The config in config/pii.yaml, loaded once per process."""
    return load_pii_config()


class _Reader:
    """Typed access to the raw YAML with errors that name the file and the key."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, problem: str) -> PiiConfigError:
        return PiiConfigError(f"{self.file}: {key}: {problem}")

    def mapping(self, value: Any, key: str, *, allowed: Iterable[str] | None = None) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a mapping, got {type(value).__name__}")
        if allowed is not None:
            allowed = set(allowed)
            for name in value:
                if name not in allowed:
                    raise self.fail(f"{key}.{name}" if key else str(name),
                                    f"unknown key (expected one of: {', '.join(sorted(allowed))})")
        return value

    def words(self, value: Any, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {type(value).__name__}")
        out = []
        for i, item in enumerate(value):
            if isinstance(item, bool):
                word = "on" if item else "no"
                raise self.fail(f"{key}[{i}]", f'YAML read this word as {item}; quote it ("{word}")')
            if isinstance(item, int):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{key}[{i}]", f"expected a word, got {item!r}")
            out.append(item.strip().lower())
        return tuple(out)

    def number(self, value: Any, key: str, *, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {value!r}")
        if not low <= value <= high:
            raise self.fail(key, f"{value} is outside {low}..{high}")
        return float(value)

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty string, got {value!r}")
        return value.strip()

    def regex(self, value: Any, key: str) -> str:
        text = self.text(value, key)
        try:
            re.compile(text)
        except re.error as exc:
            raise self.fail(key, f"invalid regular expression: {exc}") from exc
        return text


_TOP_KEYS = ("version", "threshold", "weights", "categories", "risks", "meta", "tags", "data_types", "tokens",
             "context", "table_context", "semantic", "description", "not_pii", "types")
_WEIGHT_DEFAULTS = {
    "meta": 1.0, "tag": 0.95, "strong": 0.85, "medium": 0.72, "person": 0.6, "person_owner": 0.2,
    "person_capsule": 0.1, "person_bonus": 0.05, "description": 0.55, "agree": 0.1, "type_support": 0.05,
    "role": 0.55, "unknown_suffix": 0.5, "organisation": 0.5, "description_against": 0.5, "capsule_contains_pii": 0.05,
    "capsule_no_pii": -0.3, "read_as": 0.9,
}
_TYPE_KEYS = ("label", "category", "risk", "kind", "organisation_sensitive", "aliases", "data_types",
              "typical_data_types", "names", "description", "suffix_keep", "prefix_veto", "name_words_against",
              "held_in_data_types", "coded", "owner_neutral", "numbered")
_ROMANCE_OF = frozenset({"de", "di", "da", "do", "du", "des", "del", "della", "dos", "das"})
_NUMBER_WORDS_FIRST = frozenset({"numero", "numer", "nomor", "nomer", "cislo"})
_STRENGTHS = ("strong", "medium", "person", "role", "bare")


def _key_path(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split(".") if part)


def _norm_type_name(value: str) -> str:
    return re.sub(r"[\s\-./]+", "_", value.strip().lower())


def _compile(r: _Reader, raw: Any) -> PiiConfig:
    top = r.mapping(raw, "", allowed=_TOP_KEYS)
    if top.get("version", 1) != 1:
        raise r.fail("version", f"unsupported version {top.get('version')!r} (expected 1)")
    threshold = r.number(top.get("threshold", 0.5), "threshold", low=0.0, high=1.0)
    weights_raw = r.mapping(top.get("weights"), "weights", allowed=_WEIGHT_DEFAULTS)
    weights = dict(_WEIGHT_DEFAULTS)
    for name, value in weights_raw.items():
        weights[name] = r.number(value, f"weights.{name}", low=-1.0, high=1.0)
    categories = set(r.words(top.get("categories"), "categories")) or {
        "direct_identifier", "contact", "financial", "health", "demographic", "online_identifier", "location",
        "biometric", "credentials", "other"}
    risks = set(r.words(top.get("risks"), "risks")) or {"critical", "high", "medium", "low"}

    meta = r.mapping(top.get("meta"), "meta",
                     allowed=("flag_keys", "type_keys", "level_keys", "levels", "masking_keys"))
    levels: dict[str, str] = {}
    for name, value in r.mapping(meta.get("levels"), "meta.levels").items():
        if value not in ("yes", "no", "context"):
            raise r.fail(f"meta.levels.{name}", f"expected yes, no or context (quoted), got {value!r}")
        levels[_norm_type_name(str(name))] = value
    tags = r.mapping(top.get("tags"), "tags", allowed=("flags", "negative", "type_prefixes"))

    families: dict[str, str] = {}
    for family, names in r.mapping(top.get("data_types"), "data_types").items():
        for word in r.words(names, f"data_types.{family}"):
            if word in families and families[word] != family:
                raise r.fail(f"data_types.{family}", f"'{word}' is already in data_types.{families[word]}")
            families[word] = str(family)
    known_families = set(families.values()) | {"unknown"}

    tok = r.mapping(top.get("tokens"), "tokens",
                    allowed=("aliases", "split_words", "short_words", "hidden_words", "prefix_veto", "aggregate",
                             "suffix_keep", "suffix_veto", "record_suffix", "record_suffix_last", "code_value",
                             "suffix_stop", "masking",
                             "neutral", "ignore_trailing", "attribute_about", "attribute_about_prefix",
                             "whole_words", "not_agents", "number_first"))
    aliases: dict[str, tuple[str, ...]] = {}
    for name, value in r.mapping(tok.get("aliases"), "tokens.aliases").items():
        aliases[str(name).lower()] = tuple(r.text(value, f"tokens.aliases.{name}").lower().split())
    lists = {name: frozenset(r.words(tok.get(name), f"tokens.{name}"))
             for name in ("split_words", "short_words", "hidden_words", "prefix_veto", "aggregate", "suffix_keep",
                          "suffix_veto", "record_suffix", "record_suffix_last", "code_value", "attribute_about",
                          "attribute_about_prefix", "suffix_stop", "masking", "neutral", "ignore_trailing",
                          "whole_words", "not_agents", "number_first")}

    ctx = r.mapping(top.get("context"), "context",
                    allowed=("person", "organisation", "capsule_prefixes", "generic_heads", "machines",
                             "ambiguous_owners", "storage_objects", "roles", "things"))
    person_words = frozenset(r.words(ctx.get("person"), "context.person"))
    listed_roles = frozenset(r.words(ctx.get("roles"), "context.roles"))
    thing_words = frozenset(r.words(ctx.get("things"), "context.things"))
    organisation_words = frozenset(r.words(ctx.get("organisation"), "context.organisation"))
    capsule_prefixes = frozenset(r.words(ctx.get("capsule_prefixes"), "context.capsule_prefixes"))
    generic_heads = frozenset(r.words(ctx.get("generic_heads"), "context.generic_heads"))
    storage_objects = frozenset(r.words(ctx.get("storage_objects"), "context.storage_objects"))

    sem = r.mapping(top.get("semantic"), "semantic",
                    allowed=("key_words", "business_key_words", "event_time_words", "metric_words",
                             "metric_leading_words"))
    semantic = {name: frozenset(r.words(sem.get(name), f"semantic.{name}"))
                for name in ("key_words", "business_key_words", "event_time_words", "metric_words",
                             "metric_leading_words")}

    desc = r.mapping(top.get("description"), "description",
                     allowed=("type_hint", "leading_against", "near_against", "masking", "organisation", "person",
                              "message_words"))
    type_hint = r.regex(desc["type_hint"], "description.type_hint") if desc.get("type_hint") else None
    person_desc = r.words(desc.get("person"), "description.person")
    leading = [r.regex(v, f"description.leading_against[{i}]")
               for i, v in enumerate(desc.get("leading_against") or [])]

    # Types
    types: dict[str, PiiType] = {}
    rules: dict[str, _TypeRule] = {}
    type_aliases: dict[str, str] = {}
    patterns: dict[tuple[str, ...], tuple[_Pattern, str]] = {}
    held_in: dict[str, str] = {}
    desc_phrases: dict[tuple[str, ...], tuple[str, str]] = {}  # words -> (type, where)
    raw_types = r.mapping(top.get("types"), "types")
    if not raw_types:
        raise r.fail("types", "at least one PII type is required")
    for key, spec in raw_types.items():
        key = str(key)
        at = f"types.{key}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            raise r.fail(at, "type keys are lower_snake_case")
        spec = r.mapping(spec, at, allowed=_TYPE_KEYS)
        for required in ("label", "category", "risk"):
            if required not in spec:
                raise r.fail(f"{at}.{required}", "is required")
        category = r.text(spec["category"], f"{at}.category")
        if category not in categories:
            raise r.fail(f"{at}.category", f"'{category}' is not one of: {', '.join(sorted(categories))}")
        risk = r.text(spec["risk"], f"{at}.risk")
        if risk not in risks:
            raise r.fail(f"{at}.risk", f"'{risk}' is not one of: {', '.join(sorted(risks))}")
        kind = spec.get("kind", "value")
        if kind not in ("value", "attribute"):
            raise r.fail(f"{at}.kind", f"expected value or attribute, got {kind!r}")
        org_sensitive = spec.get("organisation_sensitive", False)
        if org_sensitive not in (True, False, "owner"):
            raise r.fail(f"{at}.organisation_sensitive", f"expected true, false or owner, got {org_sensitive!r}")
        coded = spec.get("coded", False)
        if coded not in (True, False) or (coded and kind != "attribute"):
            raise r.fail(f"{at}.coded", f"expected true or false (true only for an attribute type), got {coded!r}")
        numbered = spec.get("numbered", False)
        if numbered not in (True, False) or (numbered and kind != "value"):
            raise r.fail(f"{at}.numbered", f"expected true or false (true only for a value type), got {numbered!r}")
        dts = r.words(spec.get("data_types"), f"{at}.data_types")
        typical = r.words(spec.get("typical_data_types"), f"{at}.typical_data_types")
        for i, family in enumerate(dts + typical):
            if family not in known_families:
                where = f"{at}.data_types[{i}]" if i < len(dts) else f"{at}.typical_data_types[{i - len(dts)}]"
                defined = ", ".join(sorted(known_families))
                raise r.fail(where, f"unknown data-type family '{family}' (defined: {defined})")
        types[key] = PiiType(key=key, label=r.text(spec["label"], f"{at}.label"), category=category, risk=risk,
                             kind=kind)
        rules[key] = _TypeRule(key=key, kind=kind, organisation_sensitive=org_sensitive, data_types=frozenset(dts),
                               typical_data_types=frozenset(typical),
                               suffix_keep=frozenset(r.words(spec.get("suffix_keep"), f"{at}.suffix_keep")),
                               prefix_veto=frozenset(r.words(spec.get("prefix_veto"), f"{at}.prefix_veto")),
                               name_words_against=frozenset(r.words(spec.get("name_words_against"),
                                                                    f"{at}.name_words_against")),
                               coded=coded, numbered=numbered, clinical=category in _CLINICAL_CATEGORIES,
                               owner_neutral=frozenset(r.words(spec.get("owner_neutral"), f"{at}.owner_neutral")))
        for i, type_name in enumerate(r.words(spec.get("held_in_data_types"), f"{at}.held_in_data_types")):
            type_name = type_name.lower()
            if held_in.get(type_name, key) != key:
                raise r.fail(f"{at}.held_in_data_types[{i}]", f"'{type_name}' already holds {held_in[type_name]}")
            held_in[type_name] = key
        for name in (key, *r.words(spec.get("aliases"), f"{at}.aliases")):
            name = _norm_type_name(name)
            if type_aliases.get(name, key) != key:
                raise r.fail(f"{at}.aliases", f"'{name}' already names type '{type_aliases[name]}'")
            type_aliases[name] = key
        names = r.mapping(spec.get("names"), f"{at}.names", allowed=_STRENGTHS)
        for strength, phrases in names.items():
            for i, phrase in enumerate(r.words(phrases, f"{at}.names.{strength}")):
                words = tuple(phrase.split())
                where = f"{at}.names.{strength}[{i}]"
                if words in patterns:
                    raise r.fail(where, f"pattern '{phrase}' is already used by {patterns[words][1]}")
                patterns[words] = (_Pattern(words=words, pii_type=key, strength=strength), where)
        for i, phrase in enumerate(r.words(spec.get("description"), f"{at}.description")):
            where = f"{at}.description[{i}]"
            for words in _expand_phrase(phrase, person_desc, r, where):
                other = desc_phrases.get(words)
                if other and other[0] != key:
                    raise r.fail(where, f"phrase '{' '.join(words)}' is already used by {other[1]}")
                desc_phrases[words] = (key, where)

    if not isinstance(top.get("not_pii") or [], list):
        raise r.fail("not_pii", "expected a list")
    for i, item in enumerate(top.get("not_pii") or []):
        item = r.mapping(item, f"not_pii[{i}]", allowed=("pattern", "reason", "rules_out"))
        rules_out = item.get("rules_out")
        if rules_out is not None and rules_out not in raw_types:
            raise r.fail(f"not_pii[{i}].rules_out", f"unknown type '{rules_out}'")
        words = tuple(r.text(item.get("pattern"), f"not_pii[{i}].pattern").lower().split())
        if words in patterns:
            phrase = " ".join(words)
            raise r.fail(f"not_pii[{i}].pattern", f"pattern '{phrase}' is already used by {patterns[words][1]}")
        patterns[words] = (_Pattern(words=words, pii_type=None, strength="not_pii", rules_out=rules_out,
                                    reason=r.text(item.get("reason"), f"not_pii[{i}].reason")),
                           f"not_pii[{i}]")

    tc = r.mapping(top.get("table_context"), "table_context",
                   allowed=("row_words", "not_people", "person_types", "contact_types", "activity_types", "mixed_flags",
                            "mixed_words",
                            "contact_person_keys", "activity_words",
                            "message_words", "call_words", "message_fields", "message_headers", "health_words",
                            "health_keys", "health_fields", "health_skip", "record_states", "test_words", "test_fields",
                            "medical_words",
                            "cdisc_domains", "cdisc_fields", "place_words", "place_statistics",
                            "secret_words", "secret_fields", "device_words", "ip_words", "ip_fields",
                            "device_row_fields", "push_words", "otp_words", "located_owners",
                            "contact_row_words", "contact_row_fields", "identifier_row_words", "identifier_row_fields",
                            "address_row_words", "address_row_fields", "bank_row_words", "bank_row_fields",
                            "document_words", "body_words", "body_keys",
                            "ip_place_words", "setting_words", "term_words", "list_heads", "organisation_numbers",
                            "organisation_fields", "not_firms", "firm_fields", "thing_words", "statistics_words"))
    table_types = {}
    for group in ("person_types", "contact_types", "activity_types"):
        table_types[group] = frozenset(r.words(tc.get(group), f"table_context.{group}"))
        for word in table_types[group]:
            if word not in raw_types:
                raise r.fail(f"table_context.{group}", f"unknown type '{word}'")
    message_fields: dict[tuple[str, ...], str] = {}
    for phrase, pii_type in r.mapping(tc.get("message_fields"), "table_context.message_fields").items():
        if pii_type not in raw_types:
            raise r.fail(f"table_context.message_fields.{phrase}", f"unknown type '{pii_type}'")
        message_fields[tuple(str(phrase).lower().split())] = pii_type

    # Flag and type values in meta and tags are resolved through type_aliases.
    for i, prefix in enumerate(r.words(tags.get("type_prefixes"), "tags.type_prefixes")):
        if not prefix:
            raise r.fail(f"tags.type_prefixes[{i}]", "empty prefix")

    # "date of birth" is also written "date_birth", "next of kin" "next_kin", "nombre de usuario" "nombre_usuario":
    # the pattern without its "of" or "the", in English or between two words of a Romance language; not when the
    # Romance words are an English pattern reversed (nom de famille: "name family" would read name.family_name
    # as it and a stray name).
    for words, (pattern, where) in list(patterns.items()):
        short = tuple(w for i, w in enumerate(words) if w not in ("of", "the") and not (
            w in _ROMANCE_OF and 0 < i < len(words) - 1 and len(words[i - 1]) > 2 and len(words[i + 1]) > 2))
        if short[::-1] in patterns and short != tuple(w for w in words if w not in ("of", "the")):
            continue
        if pattern.pii_type is not None and len(short) >= 2 and short != words and short not in patterns:
            patterns[short] = (_Pattern(words=short, pii_type=pattern.pii_type, strength=pattern.strength), where)
    # "medicare number" is also written "medicare_no", "nhs_nr": a number pattern with the abbreviations of number
    # that are words of their own (num and nbr are aliases of number already).
    for words, (pattern, where) in list(patterns.items()):
        if pattern.pii_type is not None and len(words) >= 2 and words[-1] == "number":
            for short in ("no", "nr"):
                variant = (*words[:-1], short)
                if variant not in patterns:
                    patterns[variant] = (_Pattern(words=variant, pii_type=pattern.pii_type,
                                                  strength=pattern.strength), where)
    # "numero exterior" is also written "nr_exterior": a pattern opening with a number word written first (Romance
    # numero, Polish numer, Indonesian nomor, Russian nomer, Czech cislo) with the abbreviation that is no English
    # word (no is also a flag's, no_identity; num a count's, read only in a column that is no number: the
    # classifier's _number_first); written whole only (nr int is no numero interior).
    number_first: set[tuple[str, ...]] = set()
    for words, (pattern, where) in list(patterns.items()):
        if pattern.pii_type is not None and len(words) >= 2 and words[0] in _NUMBER_WORDS_FIRST:
            for short in ("nr",):
                variant = (short, *words[1:])
                if variant not in patterns:
                    number_first.add(variant)
                    patterns[variant] = (_Pattern(words=variant, pii_type=pattern.pii_type,
                                                  strength=pattern.strength), where)

    phrase_index: dict[tuple[str, ...], list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for words, (pattern, _where) in patterns.items():
        if pattern.pii_type is not None and len(words) >= 2 and all(w.isalpha() for w in words) and (
                words not in number_first):
            # as the matcher sees a name's words: eleitor is read as voter (titulo eleitor: titulo voter)
            for form in {words, tuple(x for w in words for x in aliases.get(w, (w,)))}:
                phrase_index.setdefault(tuple(w[0] for w in form), []).append((form, words))

    trie: dict[str, Any] = {}
    for words, (pattern, _where) in patterns.items():
        node = trie
        for word in words:
            node = node.setdefault(word, {})
        node[""] = pattern

    words = set(lists["split_words"])
    for phrase in patterns:
        words.update(phrase)
    for group in ("prefix_veto", "suffix_keep", "suffix_veto", "suffix_stop", "masking", "neutral", "aggregate"):
        words.update(w for w in lists[group] if w.isalpha())
    words.update(person_words, organisation_words, listed_roles, thing_words)
    words.update(w for phrase in message_fields for w in phrase)
    for group in ("health_words", "health_fields", "message_words", "call_words"):
        words.update(r.words(tc.get(group), f"table_context.{group}"))
    for alias, expansion in aliases.items():
        words.update(expansion)
        if len(alias) > 2 and alias != "".join(expansion):
            words.add(alias)  # abbreviations glued to other words split too (contname: cont name)
    for value in semantic.values():
        words.update(value)

    # What an unknown token may abbreviate: the words of the PII patterns and of the person context, four
    # letters or more (shorter ones are written out as aliases).
    targets = {word for phrase, (pattern, _where) in patterns.items() if pattern.pii_type is not None
               for word in phrase}
    targets.update(person_words)
    targets.update(w for phrase in message_fields for w in phrase)
    targets.update(alias for alias in aliases if alias.isalpha())  # telephone, then read as phone
    # words of other languages read only as written: never what an unknown token abbreviates (saas is no
    # szamlaszam, bkont no bankkonto), nor a compound whose parts an abbreviation takes letters from
    targets = {w for w in targets if len(w) >= 4 and w.isalpha() and w not in lists["whole_words"]}
    skeletons: dict[str, list[str]] = {}
    for word in sorted(targets):
        skeletons.setdefault(consonant_skeleton(word), []).append(word)

    desc_trie: dict[str, Any] = {}
    for phrase_words, (key, _where) in desc_phrases.items():
        node = desc_trie
        for word in phrase_words:
            node = node.setdefault(word, {})
        node[""] = key

    record_states = frozenset(r.words(tc.get("record_states"), "table_context.record_states"))
    return PiiConfig(
        path=r.file,
        threshold=threshold,
        weights=weights,
        types=types,
        rules=rules,
        type_aliases=type_aliases,
        meta_flag_keys=tuple(_key_path(k) for k in r.words(meta.get("flag_keys"), "meta.flag_keys")),
        meta_type_keys=tuple(_key_path(k) for k in r.words(meta.get("type_keys"), "meta.type_keys")),
        meta_level_keys=tuple(_key_path(k) for k in r.words(meta.get("level_keys"), "meta.level_keys")),
        meta_levels=levels,
        meta_masking_keys=tuple(_key_path(k) for k in r.words(meta.get("masking_keys"), "meta.masking_keys")),
        tag_flags=frozenset(r.words(tags.get("flags"), "tags.flags")),
        tag_negative=frozenset(r.words(tags.get("negative"), "tags.negative")),
        tag_type_prefixes=r.words(tags.get("type_prefixes"), "tags.type_prefixes"),
        data_type_families=families,
        aliases=aliases,
        words=frozenset(words),
        # two-letter abbreviations glue to words too (firstnm: first nm)
        short_words=lists["short_words"] | {a for a in aliases if len(a) == 2 and a.isalpha()},
        hidden_words=lists["hidden_words"],
        prefix_veto=lists["prefix_veto"],
        aggregate=lists["aggregate"],
        suffix_keep=lists["suffix_keep"],
        suffix_veto=lists["suffix_veto"],
        attribute_suffix_veto=lists["aggregate"] | lists["record_suffix"],
        record_suffix_last=lists["record_suffix_last"],
        trait_suffix_veto=lists["aggregate"] | lists["record_suffix"] | lists["attribute_about"],
        trait_prefix_veto=lists["aggregate"] | lists["attribute_about_prefix"],
        code_value=lists["code_value"],
        suffix_stop=lists["suffix_stop"],
        masking=lists["masking"],
        neutral=lists["neutral"],
        ignore_trailing=lists["ignore_trailing"],
        not_agents=lists["not_agents"],
        number_first=lists["number_first"],
        person_words=person_words,
        organisation_words=organisation_words,
        capsule_prefixes=capsule_prefixes,
        generic_heads=generic_heads,
        storage_objects=storage_objects,
        trie=trie,
        phrase_index={key: tuple(found) for key, found in phrase_index.items()},
        phrase_longest=max((len(key) for key in phrase_index), default=0),
        phrase_prefixes=frozenset(w[:size] for found in phrase_index.values() for form, _ in found for w in form
                                  for size in (3, 4) if len(w) > size),
        semantic=semantic,
        desc_trie=desc_trie,
        desc_words=frozenset(w for words in desc_phrases for w in words),
        desc_first_words=frozenset(form for words in desc_phrases for form in (words[0], words[0] + "s",
                                                                              words[0] + "es")),
        desc_type_hint=re.compile(type_hint) if type_hint else None,
        desc_leading_against=re.compile("(?:" + "|".join(leading) + ")") if leading else None,
        desc_near_against=frozenset(r.words(desc.get("near_against"), "description.near_against")),
        desc_masking=frozenset(r.words(desc.get("masking"), "description.masking")),
        desc_organisation=frozenset(r.words(desc.get("organisation"), "description.organisation")),
        desc_person=frozenset(person_desc),
        desc_message_words=frozenset(r.words(desc.get("message_words"), "description.message_words")),
        table_row_words=frozenset(r.words(tc.get("row_words"), "table_context.row_words")),
        table_not_people=frozenset(r.words(tc.get("not_people"), "table_context.not_people")),
        table_person_types=table_types["person_types"],
        table_contact_types=table_types["contact_types"],
        table_activity_types=table_types["activity_types"],
        table_mixed_flags=frozenset(tuple(w.split()) for w in r.words(tc.get("mixed_flags"),
                                                                     "table_context.mixed_flags")),
        table_mixed_words=frozenset(r.words(tc.get("mixed_words"), "table_context.mixed_words")),
        table_contact_person_keys=frozenset(tuple(w.split()) for w in r.words(tc.get("contact_person_keys"),
                                                                             "table_context.contact_person_keys")),
        table_contact_person_ends=frozenset(w.split()[-1] for w in r.words(tc.get("contact_person_keys"),
                                                                          "table_context.contact_person_keys")),
        table_activity_words=frozenset(r.words(tc.get("activity_words"), "table_context.activity_words")),
        table_health_words=frozenset(r.words(tc.get("health_words"), "table_context.health_words")),
        table_health_keys=frozenset(tuple(w.split()) for w in r.words(tc.get("health_keys"),
                                                                     "table_context.health_keys")),
        table_body_words=frozenset(r.words(tc.get("body_words"), "table_context.body_words")),
        table_term_words=frozenset(r.words(tc.get("term_words"), "table_context.term_words")),
        table_list_heads=frozenset(r.words(tc.get("list_heads"), "table_context.list_heads")),
        table_organisation_numbers=frozenset(r.words(tc.get("organisation_numbers"),
                                                     "table_context.organisation_numbers")),
        table_organisation_fields=frozenset(tuple(w.split()) for w in r.words(tc.get("organisation_fields"),
                                                                              "table_context.organisation_fields")),
        table_body_keys=frozenset(tuple(w.split()) for w in r.words(tc.get("body_keys"), "table_context.body_keys")),
        table_not_firms=frozenset(r.words(tc.get("not_firms"), "table_context.not_firms")),
        table_firm_fields=frozenset(tuple(w.split()) for w in r.words(tc.get("firm_fields"),
                                                                      "table_context.firm_fields")),
        table_thing_words=frozenset(r.words(tc.get("thing_words"), "table_context.thing_words")),
        table_statistics_words=frozenset(r.words(tc.get("statistics_words"), "table_context.statistics_words")),
        table_health_fields=frozenset(r.words(tc.get("health_fields"), "table_context.health_fields")),
        table_health_skip=frozenset(r.words(tc.get("health_skip"), "table_context.health_skip")) | record_states,
        table_record_states=record_states,
        table_test_words=frozenset(r.words(tc.get("test_words"), "table_context.test_words")),
        table_test_fields=frozenset(r.words(tc.get("test_fields"), "table_context.test_fields")),
        table_medical_words=frozenset(r.words(tc.get("medical_words"), "table_context.medical_words")),
        table_cdisc_domains=frozenset(r.words(tc.get("cdisc_domains"), "table_context.cdisc_domains")),
        table_cdisc_fields=frozenset(r.words(tc.get("cdisc_fields"), "table_context.cdisc_fields")),
        table_message_words=frozenset(r.words(tc.get("message_words"), "table_context.message_words")),
        table_call_words=frozenset(r.words(tc.get("call_words"), "table_context.call_words")),
        table_message_headers=frozenset(tuple(w.split()) for w in r.words(tc.get("message_headers"),
                                                                          "table_context.message_headers")),
        table_place_words=frozenset(tuple(w.split()) for w in r.words(tc.get("place_words"),
                                                                      "table_context.place_words")),
        table_place_statistics=frozenset(r.words(tc.get("place_statistics"), "table_context.place_statistics")),
        table_secret_words=frozenset(r.words(tc.get("secret_words"), "table_context.secret_words")),
        table_secret_fields=frozenset(tuple(w.split()) for w in r.words(tc.get("secret_fields"),
                                                                        "table_context.secret_fields")),
        table_device_words=frozenset(r.words(tc.get("device_words"), "table_context.device_words")),
        table_document_words=frozenset(r.words(tc.get("document_words"), "table_context.document_words")),
        table_setting_words=frozenset(r.words(tc.get("setting_words"), "table_context.setting_words")),
        table_push_words=frozenset(r.words(tc.get("push_words"), "table_context.push_words")),
        table_otp_words=frozenset(r.words(tc.get("otp_words"), "table_context.otp_words")),
        table_located_owners=frozenset(r.words(tc.get("located_owners"), "table_context.located_owners")),
        table_row_heads={
            tuple(w.split()): rows for rows, key in (("contacts", "contact_row_words"),
                                                     ("identifiers", "identifier_row_words"),
                                                     ("addresses", "address_row_words"),
                                                     ("banks", "bank_row_words"))
            for w in r.words(tc.get(key), f"table_context.{key}")},
        table_row_fields={
            rows: frozenset(tuple(w.split()) for w in r.words(tc.get(key), f"table_context.{key}"))
            for rows, key in (("contacts", "contact_row_fields"), ("identifiers", "identifier_row_fields"),
                              ("addresses", "address_row_fields"), ("banks", "bank_row_fields"),
                              ("devices", "device_row_fields"))},
        table_ip_words=frozenset(r.words(tc.get("ip_words"), "table_context.ip_words")),
        table_ip_fields=frozenset(tuple(w.split()) for w in r.words(tc.get("ip_fields"), "table_context.ip_fields")),
        table_ip_place_words=frozenset(r.words(tc.get("ip_place_words"), "table_context.ip_place_words")),
        machine_words=frozenset(r.words(ctx.get("machines"), "context.machines")),
        role_words=listed_roles | {phrase[0] for phrase, (pattern, _where) in patterns.items()
                                   if len(phrase) == 1 and pattern.strength == "role"
                                   and pattern.pii_type == "person_name"},
        thing_words=thing_words,
        ambiguous_owners=frozenset(r.words(ctx.get("ambiguous_owners"), "context.ambiguous_owners")),
        message_fields=message_fields,
        held_in=held_in,
        reading_targets=frozenset(targets),
        skeletons={key: tuple(words) for key, words in skeletons.items()},
        compounds=frozenset(alias for alias, expansion in aliases.items()
                            if len(expansion) > 1 and len(alias) >= 7 and alias.isalpha()
                            and alias not in lists["whole_words"]),
    )


def consonant_skeleton(word: str) -> str:
    """The first letter and the consonants after it, doubled letters once: phone -> phn, address -> adrs."""
    out = word[:1]
    for ch in word[1:]:
        if ch in "aeiou" or ch == out[-1:]:
            continue
        out += ch
    return out


def _expand_phrase(phrase: str, person: Sequence[str], r: _Reader, where: str) -> list[tuple[str, ...]]:
    """"credit|debit card number?" -> every word sequence it stands for."""
    sequences: list[tuple[str, ...]] = [()]
    for slot in phrase.split():
        optional = slot.endswith("?") and len(slot) > 1
        slot = slot.rstrip("?") if optional else slot
        choices: list[str] = []
        for choice in slot.split("|"):
            if choice == "{person}":
                if not person:
                    raise r.fail(where, "{person} needs description.person")
                choices.extend(person)
            elif choice.startswith("{"):
                raise r.fail(where, f"unknown placeholder '{choice}' (only {{person}})")
            elif choice:
                choices.append(choice)
        grown = [(*seq, choice) for seq in sequences for choice in choices]
        sequences = grown + sequences if optional else grown
    return [seq for seq in sequences if seq]

