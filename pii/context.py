"""What a table (capsule) is about, read once per table: people, organisations, messages, or nothing known.

A bare ``name`` or ``manager`` is a person's only in a table about people. Three things say what a table
is about (config/pii.yaml ``table_context``):

1. its name (``stg_hr__employees``, ``dim_players``): a person or organisation word;
2. its description's opening ("One row per patient", "Each record is a company");
3. its other columns: a table holding a date of birth, a gender or a first name is about people, and so is
   one with two different contact fields (an email and a phone); a table whose name says it holds messages
   (emails, messages, notifications) makes its header fields (sender, recipients, copies) personal.

It also finds the table's own column prefix (``pat_`` in patient): a word most columns start with that only
abbreviates the table's name, dropped when the columns are read.

Pure Python, no Django; memoised per (name, description, column names) on the config.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pii.classifier import _capsule_facts, _is_person_word, _name_hits, _setting_head, _settings_table
from pii.tokens import agent_noun, english_singular, foreign_singulars, match_tokens, singular, tokenize_column_name
from pii.vocabulary import _CACHE_LIMIT, PiiConfig

__all__ = ["TableContext", "table_context"]


@dataclass(frozen=True, slots=True)
class TableContext:
    """What a table is about: ``kind`` person, organisation or neutral; ``entity`` the singular words of its
    name without layer prefixes; ``messages`` when its rows are messages; ``reason`` says why (evidence)."""

    kind: str
    entity: tuple[str, ...]
    messages: bool = False
    reason: str = ""
    health: bool = False  # rows are patients' clinical records (allergies, conditions, medications)
    prefix: str = ""  # the table's own column prefix (pat_ in patient, eec_ in emp_emergency_contacts)
    calls: bool = False  # rows are phone calls or texts: header fields (from, to) hold phone numbers
    activity: bool = False  # about people only because each row is someone's activity (an IP, a device id)
    own_organisation: bool = False  # each row is an organisation (it has a contact person): its own word names one
    place: bool = False  # each row is a place (postal_codes, cities): read as an organisation's row
    logins: bool = False  # a column holds an account's login (user, username): its bare pass is that password
    # words that own a field only a person has in this table (order in order_sex, order_kana01): a person here
    person_owners: frozenset[str] = frozenset()
    # what each row is when the table's name says it: "secrets" (access_tokens, api_keys: its bare token or key
    # is the secret), "devices" (devices: its bare name is the device's own name), "ips" (ip_blocks: its bare
    # address or range start is an IP address), "contacts" (party_contact_mechanism: its bare value is the
    # contact), "documents" (gym_userdocument: its bare name is the document's), "terms" (formulary_drugs with no
    # key to a patient: a reference list of health terms, its names no one's health), "identifiers"
    # (res_partner_id_number: its bare name is the document's number) or "addresses" (party_address: its bare floor
    # is part of the address), "located" (a table of no kind whose rows are keyed by a person, trips with a rider_id:
    # its coordinates are that person's location), "things" (employee_trainings: its bare name is the training's),
    # "statistics" (gender_stats: its given name and gender are a group's), else ""
    rows: str = ""
    # each row is a firm (its name's head noun is one, or a column holds a number or a fact only an organisation has,
    # or a key to its contact person) and no word of its name is a person's: its own email and legal name are the
    # firm's mailbox and name, not a person's
    firm: bool = False
    # its head noun names settings, templates or kinds and no word of its name is a person's (mail_template): a value
    # only a description names is the keeper's
    settings: bool = False


_OPENING_RE = re.compile(r"[a-z]+")
_OWN_ORGANISATION_FIELDS = (("name",), ("legal", "name"), ("url",), ("website",))
_NOT_NEUTRAL = ("person", "organisation")


def table_context(*, name: str | None, description: str | None, column_names: Sequence[str],
                  config: PiiConfig) -> TableContext:
    """The context of one table (see the module docstring). Memoised; a few microseconds per table when warm."""
    key = (name, description, tuple(column_names))
    cache = config._tables
    found = cache.get(key)
    if found is not None:
        return found
    if len(cache) > _CACHE_LIMIT // 20:
        cache.clear()
    cache[key] = found = _table_context(name, description, column_names, config)
    return found


def _table_context(name: str | None, description: str | None, column_names: Sequence[str],
                   config: PiiConfig) -> TableContext:
    return _table_kind(name, description, column_names, config, _column_prefix(name, column_names, config))


def _table_kind(name: str | None, description: str | None, column_names: Sequence[str], config: PiiConfig,
                prefix: str) -> TableContext:
    siblings = _siblings(column_names, config, prefix)
    found = _table_kind_from(name, description, column_names, config, prefix, siblings)
    rows = _rows_are(name, found.entity, config)
    if not rows and found.kind != "person" and not found.health and (
            found.place or _health_terms(found.entity, column_names, config)):
        rows = "terms"  # (diagnosis_counts_by_region: statistics per area name health terms, no one's health)
    if rows in ("", "things") and found.kind == "neutral" and not found.place and siblings.located:
        # trips with a rider_id, checkins with a member_id: each row is where that person was (a trip's own name
        # matters less than its rider's coordinates)
        rows = "located"
    if rows:
        found = replace(found, rows=rows)
    if _firm_rows(name, found, siblings, config):
        found = replace(found, firm=True)
    if found.kind != "person" and _settings_table(found.entity, config):
        found = replace(found, settings=True)
    # a camera's or a mailbox's account (user and pass beside it): whoever it is, the pass is its password
    if siblings.login or siblings.person_owners:
        return replace(found, logins=siblings.login, person_owners=siblings.person_owners)
    return found


def _table_kind_from(name: str | None, description: str | None, column_names: Sequence[str], config: PiiConfig,
                     prefix: str, siblings: _Siblings) -> TableContext:
    kind, entity = _capsule_facts(name, config)
    name_words = {form for t in tokenize_column_name(name or "", config=config, read=False)
                  for form in (t, singular(t, config), english_singular(t))}
    heads = [t for t in entity if t not in config.generic_heads]
    # call_center, mail_server: a place of business named after what it handles holds neither calls nor messages
    head_organisation = bool(heads) and heads[-1] in config.organisation_words
    # mail_template, notification_settings: a message word qualifies a table of settings, whose rows are no messages
    by_name = not head_organisation and not (heads and _setting_head(english_singular(heads[-1]), config))
    calls = by_name and not name_words.isdisjoint(config.table_call_words)
    messages = (calls or (by_name and not name_words.isdisjoint(config.table_message_words))
                or _message_header(column_names, config))
    place, per_area = _place(heads, config)
    if place and (kind == "neutral" or per_area):
        # postal_codes, cities: each row is a place, so its coordinates and postal code are no person's
        return TableContext("organisation", entity, messages, f"the table's name says its rows are places "
                            f"('{place}')", prefix=prefix, place=True)
    health = _clinical(name_words, heads, description, column_names, config) or (
        not name_words.isdisjoint(config.table_body_words) and any(
            match_tokens(tokenize_column_name(column, config=config), config) in config.table_body_keys
            for column in column_names))  # weight_weightentry with a user_id: that user's body weight
    if siblings.mixed:
        # partners, parties: people and companies in one table, told apart by a flag (is_company)
        return TableContext("person", entity, messages, f"'{siblings.mixed}' says some rows are people", health,
                            prefix, calls=calls)
    if heads and english_singular(heads[-1]) in config.table_mixed_words:
        # res_partner, party_party, checkin_partner: each row is a person or a company, as a flag would say
        return TableContext("person", entity, messages, f"the table's name says its rows are people or organisations "
                            f"('{heads[-1]}')", health, prefix, calls=calls)
    if siblings.organisation and not siblings.own_person and not (kind == "person" and siblings.entry):
        # (a table named after people whose rows are address-book entries, a name beside the row's own email, is
        # about people: identities with an organization column name the person's employer)
        # customers that are companies: a company's name column and no person's own field (a first name, a
        # birth date) beside it
        return TableContext("organisation", entity, messages, f"the table names an organisation in "
                            f"'{siblings.organisation}' and holds no person's own field", health, prefix, calls=calls,
                            own_organisation=siblings.contact_person)
    # a name made of structural words only (dim_entity, data_entities) says less than the table's description or a
    # person's own field in its columns
    weak = not heads
    if kind in _NOT_NEUTRAL and not weak:
        return TableContext(kind, entity, messages, f"the table's name says it is about {_about(kind)}", health,
                            prefix, calls=calls)
    opening = _description_kind(description, config)
    if opening:
        return TableContext(opening[0], entity, messages, f"the table's description opens with '{opening[1]}'",
                            health, prefix, calls=calls)
    if kind in _NOT_NEUTRAL and not siblings.own_person:
        return TableContext(kind, entity, messages, f"the table's name says it is about {_about(kind)}", health,
                            prefix, calls=calls)
    if siblings.organisation_field and not siblings.own_person and not siblings.activity:
        # records with an annual_revenue and an employee_count: its email and phone are an organisation's (a row
        # holding a device id or an IP is someone's activity, whatever company facts were joined onto it)
        return TableContext("organisation", entity, messages, f"the table holds '{siblings.organisation_field}', a "
                            "fact only an organisation has, and no person's own field", health, prefix, calls=calls)
    if siblings.people:
        # A row that is someone's activity (a click, a login) is not that person: the table's name is the activity.
        return TableContext("person", entity, messages, f"the table's other columns hold {siblings.people}", health,
                            prefix, calls=calls, activity=siblings.activity)
    return TableContext(kind, entity, messages, "", health, prefix, calls=calls)


def _firm_rows(name: str | None, found: TableContext, siblings: _Siblings, config: PiiConfig) -> bool:
    """Whether each row is a firm: a table about organisations whose name says so by its head noun (sys_dept,
    suppliers; not accounts or projects, ``table_context.not_firms``, which hold people's accounts and things as
    often) or whose columns hold a
    number or a fact only an organisation has, or a key to its contact person, with no person word in its name
    (employees with a department column stay people's rows) and no field only a person has among its columns."""
    if found.kind != "organisation" or found.place or siblings.person_field:
        return False  # (a department's rows joined to its staff's last_name and ssn: the email may be theirs)
    if name and _capsule_facts(name, config)[0] == "person":
        return False
    heads = [t for t in found.entity if t not in config.generic_heads]
    # (Lieferanten: another language's plural read as tokens.foreign_singulars reads it)
    named = bool(heads) and heads[-1] not in config.table_not_firms and (
        heads[-1] in config.organisation_words or any(form in config.organisation_words
                                                      for form in foreign_singulars(heads[-1])))
    return named or siblings.organisation_number or bool(siblings.organisation_field) or siblings.contact_person


def _rows_are(name: str | None, entity: Sequence[str], config: PiiConfig) -> str:
    """"secrets" when the table's name says it holds secrets (access_tokens, refresh_tokens, api_keys: each row is
    one, so its bare token or key column is the secret itself), read first when it names one-time passwords or second
    factors (otp_devices, totp_device), "devices" when its head noun is a device, also glued after a platform's word
    (gcmdevice), or its name holds a push word (push_subscriptions: a bare name there is the device's own name,
    "Jane's iPhone", its registration_id, endpoint or token the device's), "documents" when its head noun is a
    document or a file (its bare name is the document's), "ips" when it names IP addresses or bans of them
    (ip_blocks, banned_ips: its bare address or range bound is an IP address), "contacts" when its last words name
    contact mechanisms (party_contact_mechanism: its bare value is the contact), "identifiers" when they name identity
    documents (res_partner_id_number, identity_documents: its bare number or name is the number), "addresses" when
    they name addresses (party_address: its bare floor or room is part of the address), "things" when its head noun is
    a thing named by whoever keeps the table (hr_employee_medical_examination, employee_trainings: its bare name is the
    examination's or the training's, not the employee's), "statistics" when its head noun names statistics and no word
    of its name is a person's (gender_stats, name_frequencies: its given name or gender is a group's), else ""."""
    if not name:
        return ""
    heads = [t for t in entity if t not in config.generic_heads]
    words = tokenize_column_name(name, config=config, read=False)
    if not config.table_otp_words.isdisjoint(words):
        return "secrets"  # otp_devices, otp_static_statictoken: one-time passwords' seeds and codes, one a row
    # user_devices, and a device word glued after a platform's (gcmdevice, apnsdevice); push_subscriptions
    if heads and (heads[-1] in config.table_device_words or any(
            heads[-1].endswith(w) and len(heads[-1]) - len(w) >= 3 for w in config.table_device_words)):
        return "devices"
    if not config.table_push_words.isdisjoint(words):
        return "devices"
    if heads and heads[-1] in config.table_document_words:
        return "documents"
    for size in (2, 1):  # party_contact_mechanism, party_identifier, res_partner_id_number
        rows = config.table_row_heads.get(tuple(heads[-size:])) if len(heads) >= size else None
        if rows:
            return rows
    if heads and heads[-1] in config.table_thing_words:
        return "things"  # hr_employee_medical_examination: the examination's own name, not the employee's
    if heads and heads[-1] in config.table_statistics_words and config.person_words.isdisjoint(entity):
        return "statistics"  # gender_stats, name_frequencies: counts per group (not user_stats: each user's)
    secret = config.table_secret_words
    # each word, and each two glued (api_keys reads as apikey, as apikeys does)
    glued = [*words, *(a + b for a, b in zip(words, words[1:], strict=False))]
    if any(w in secret or (w[-1:] == "s" and english_singular(w) in secret) for w in glued):
        return "secrets"
    # ip_blocks, banned_ips, ipblocks: each row is an address or a range of them (not a geolocation database's)
    if "ip" in name.lower() and config.table_place_words.isdisjoint((w,) for w in words) and not any(
            w in config.table_ip_place_words for w in words) and any(
            w in ("ip", "ips") or (w.startswith("ip") and english_singular(w[2:]) in config.table_ip_words)
            for w in words):
        return "ips"
    return ""


def _health_terms(entity: Sequence[str], column_names: Sequence[str], config: PiiConfig) -> bool:
    """Whether the table's head noun names health terms (formulary_drugs, icd_codes, vaccines, d_icd_diagnoses) and no
    column is a key to a patient: a reference list, each row a term, not a patient's record."""
    heads = [t for t in entity if t not in config.generic_heads and not t.isdigit()]
    if not heads:
        return False
    if heads[-1] not in config.table_term_words and not (
            len(heads) > 1 and heads[-2] in config.table_term_words
            and (heads[-1] in config.table_list_heads or heads[-1] in config.table_setting_words)):
        return False  # (icd10_codes, drug_catalog, diagnosis_types: a list of the terms too)
    return not any(_health_key(match_tokens(tokenize_column_name(column, config=config), config), config)
                   for column in column_names)


def _place(heads: Sequence[str], config: PiiConfig) -> tuple[str, bool]:
    """(the place word, whether the rows are statistics per area): the place word the table's name ends with
    (postal code, city, country), or that it names after "by"/"per" or before a word of statistics
    (customers_by_zip, zip_stats, county_summary: each row is an area even when it counts people); else ("", False).
    """
    for size in (2, 1):
        if len(heads) >= size and tuple(heads[-size:]) in config.table_place_words:
            grouped = len(heads) > size and heads[-size - 1] in ("by", "per")
            return " ".join(heads[-size:]), grouped
    for i in range(len(heads)):
        after = heads[i + 1] if i + 1 < len(heads) else None
        if (i > 0 and heads[i - 1] in ("by", "per")) or after in config.table_place_statistics:
            for size in (2, 1):
                if i + 1 >= size and tuple(heads[i - size + 1 : i + 1]) in config.table_place_words:
                    return " ".join(heads[i - size + 1 : i + 1]), True
    return "", False


def _message_header(column_names: Sequence[str], config: PiiConfig) -> bool:
    """Whether a column is a header only a stored message has (``in_reply_to``, ``x_mailer``): the table holds
    messages. Substring tests per table on its joined column names; only a table holding every word of a header has
    its columns tokenised."""
    headers = config.table_message_headers
    if not headers:
        return False
    joined = "\n".join(column_names).lower()
    # every word of a header in the joined names (mime and version, not a version column alone)
    present = [header for header in headers if all(word in joined for word in header)]
    if not present:
        return False
    return any(match_tokens(tokenize_column_name(column, config=config), config) in headers for column in column_names
               if any(all(word in column.lower() for word in header) for header in present))


def _clinical(name_words: set[str], heads: Sequence[str], description: str | None, column_names: Sequence[str],
              config: PiiConfig) -> bool:
    """Whether the table holds one person's clinical records:

    1. its name or its description's first sentence names a clinical event (allergies, lab_results, recetas, "One row
       per lab result"), or its head noun is a CDISC domain (ae, vs), and a column is a key to the patient
       (patient_id, usubjid); a clinical code among the columns (diagnosis_code beside a patient_id in a table named
       records) was measured and left out: it made five more held-out false positives and no true one;
    2. or its name is medical (medical_examinations, sick_leave) and a column is a key to any person (employee_id),
       unless its head noun is a person or an organisation (medical_staff, clinical_partners: their own tables)."""
    about = name_words | _opening_words(description)
    clinical = not about.isdisjoint(config.table_health_words) or (
        bool(heads) and heads[-1] in config.table_cdisc_domains)
    medical = not about.isdisjoint(config.table_medical_words) and not (heads and (
        _is_person_word(heads[-1], config) or heads[-1] in config.organisation_words))
    if not clinical and not medical:
        return False
    for column in column_names:
        tokens = match_tokens(tokenize_column_name(column, config=config), config)
        if _health_key(tokens, config) or (medical and _person_key(tokens, config)):
            return True
    return False


def _opening_words(description: str | None) -> set[str]:
    """The singular words of a description's first sentence ("One row per lab result of a patient")."""
    if not description:
        return set()
    first = re.split(r"[.;!?\n]", description[:300].lower(), maxsplit=1)[0]
    return {english_singular(w) for w in _OPENING_RE.findall(first)}


def _person_key(tokens: tuple[str, ...], config: PiiConfig) -> bool:
    """A key to a person of any kind: employee_id, worker_id, student_no (a person word, then a key word)."""
    return (len(tokens) == 2 and tokens[1] in config.semantic["key_words"]
            and (tokens[0] in config.person_words or agent_noun(tokens[0], config)))


def _health_key(tokens: tuple[str, ...], config: PiiConfig) -> bool:
    """A key to the patient: patient_id, or one naming what of the patient it keys between the two words
    (patientunitstayid, patient_encounter_id: a stay or an encounter is one patient's)."""
    keys = config.table_health_keys
    return tokens in keys or (len(tokens) > 2 and (tokens[0], tokens[-1]) in keys)


def _column_prefix(name: str | None, column_names: Sequence[str], config: PiiConfig) -> str:
    """The word most of the table's columns start with when it only abbreviates the table's name (pat_ in patient,
    eec_ in emp_emergency_contacts, wrd_ in ward), else "". Such a prefix says whose value it is no better than
    the table does; a word of the vocabulary (customer_name in customer_orders, device_id in devices) is kept."""
    if not name or len(column_names) < 3:
        return ""
    firsts: dict[str, int] = {}
    read = config._tokens  # tokenize_column_name's memo, read directly: this loop sees every column of a project
    for column in column_names:
        tokens = read.get(column)
        if tokens is None:
            tokens = tokenize_column_name(column, config=config)
        if len(tokens) > 1:
            firsts[tokens[0]] = firsts.get(tokens[0], 0) + 1
    if not firsts:
        return ""
    word, count = max(firsts.items(), key=lambda item: item[1])
    if count < 3 or 2 * count < len(column_names) or len(word) < 2 or not word.isalpha():
        return ""
    if word in config.words or any(w in config.person_words or w in config.organisation_words
                                   for w in match_tokens((word,), config)):
        return ""  # a word of the vocabulary (device_id, event_name, customer_name) keeps its meaning
    table_words = [t for t in tokenize_column_name(name, config=config, read=False) if t.isalpha()]
    if word in table_words or any(english_singular(t) == word for t in table_words):
        return ""  # job_family in job_profiles: the table's own word, not an abbreviation of it
    return word if _abbreviates(word, table_words) else ""


def _abbreviates(word: str, table_words: Sequence[str]) -> bool:
    """pat: patient (a truncation), wrd: ward (its letters in order), eec: emp emergency contacts (initials)."""
    for i, table_word in enumerate(table_words):
        if table_word.startswith(word) or (word[0] == table_word[0] and _in_order(word, table_word)):
            return True
        for j in range(i + 2, len(table_words) + 1):
            if word == "".join(w[0] for w in table_words[i:j]):
                return True
    return False


def _in_order(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _about(kind: str) -> str:
    return "people" if kind == "person" else "organisations"


def _description_kind(description: str | None, config: PiiConfig) -> tuple[str, str] | None:
    """("person" or "organisation", the words) when the description's first sentence says what one row is:
    "one row per customer", "each record represents a company", "a list of all employees"."""
    if not description:
        return None
    first = re.split(r"[.;!?\n]", description[:300].lower(), maxsplit=1)[0]
    words = _OPENING_RE.findall(first)
    for i, word in enumerate(words[:25]):
        if word not in config.table_row_words:
            continue
        for j in range(i + 1, min(i + 5, len(words))):
            noun = singular(words[j], config)
            noun = noun[:-1] if noun.endswith("s") and noun[:-1] in config.person_words else noun
            if (noun in config.person_words or agent_noun(english_singular(noun), config)) and (
                    noun not in config.table_not_people):
                return "person", " ".join(words[i : j + 1])
            if noun in config.organisation_words:
                return "organisation", " ".join(words[i : j + 1])
    return None


@dataclass(frozen=True, slots=True)
class _Siblings:
    people: str | None  # what the columns say about people ("date_of_birth, gender"), or None
    own_person: bool  # a field only a person has: a first name, a birth date, a gender...
    organisation: str | None  # a column naming an organisation (company, company_name), if any
    mixed: str | None = None  # a column telling people from organisations (is_company), if any
    activity: bool = False  # only an IP address or a device id says so: each row is someone's activity
    contact_person: bool = False  # a key to the row's contact person: each row is an organisation
    entry: bool = False  # a bare name beside the row's own email: an address book's entry
    login: bool = False  # a column holds an account's login (user, username, login)
    person_owners: frozenset[str] = frozenset()  # words owning a person's own field (order in order_sex)
    located: bool = False  # a key to the person each row is about (rider_id): its coordinates are where they were
    organisation_field: str | None = None  # a fact only an organisation has (employee_count, annual_revenue)
    organisation_number: bool = False  # a number only an organisation has (OGRN, SIRET, DUNS)
    person_field: bool = False  # a field only a person has, other than one a firm has too (legal_name)


def _plural(column: str, config: PiiConfig) -> bool:
    """The whole name is an organisation word in the plural (companies, accounts): organisations the row is related
    to, not the row's own."""
    word = column.strip().lower()
    return word.endswith("ies") or (word.endswith("s") and word[:-1] in config.organisation_words)


def _siblings(column_names: Sequence[str], config: PiiConfig, prefix: str = "") -> _Siblings:
    """What the columns of a table say: which personal fields they hold (by a strong name match), and whether
    one of them names an organisation (the table is then about organisations unless a person's own field is
    there too). Each column's part is memoised per name and prefix (``_column_says``): most say nothing."""
    personal: list[str] = []
    contact: set[str] = set()
    activity: set[str] = set()
    own_person = False
    organisation = mixed = None
    named = False  # a column that is a person's name when the table is about people (name, display_name)
    own_email = False
    own_name = False
    organisation_field = None
    contact_person = False
    login = False
    located = False
    organisation_number = False
    person_field = False
    owners: set[str] = set()
    memo = config._siblings.get(prefix)
    if memo is None:
        memo = config._siblings[prefix] = {}
    for column in column_names:
        says = memo.get(column)
        if says is None:
            if len(memo) > _CACHE_LIMIT:
                memo.clear()
            says = memo[column] = _column_says(column, config, prefix)
        if says is _NOTHING:
            continue
        named = named or says.named
        login = login or says.login
        located = located or says.located
        owners.update(says.owners)
        own_email = own_email or says.own_email
        own_name = own_name or says.own_name
        organisation_number = organisation_number or says.organisation_number
        person_field = person_field or says.person_field
        if organisation_field is None and says.organisation_field:
            organisation_field = column
        if mixed is None and says.mixed:
            mixed = column
        if says.contact_person:
            contact_person = True  # Sales.Customers with a PrimaryContactPersonID: the customers are companies
            organisation = organisation or column
        if organisation is None and says.organisation:
            organisation = column
        personal.extend(says.personal)
        contact.update(says.contact)
        activity.update(says.activity)
        own_person = own_person or says.own_person
    if personal:
        people = ", ".join(sorted(set(personal)))
    elif len(contact) >= 2:
        people = " and ".join(sorted(contact))
    elif named and own_email and contact == {"email"}:
        people = "a name and an email"  # an address book's entry (collected addresses, identities, recipients)
    elif own_name:
        people = "a part of a person's name"  # first_name, surname: only a person has them
    elif activity:
        people = f"{' and '.join(sorted(activity))} of the people behind each row"
        return _Siblings(people, own_person, organisation, mixed, activity=True, contact_person=contact_person,
                         entry=named and own_email, login=login, person_owners=frozenset(owners), located=located,
                         organisation_field=organisation_field, organisation_number=organisation_number,
                         person_field=person_field)
    else:
        people = None
    return _Siblings(people, own_person, organisation, mixed, contact_person=contact_person,
                     entry=named and own_email, login=login, person_owners=frozenset(owners), located=located,
                     organisation_field=organisation_field, organisation_number=organisation_number,
                     person_field=person_field)


@dataclass(frozen=True, slots=True)
class _ColumnSays:
    """What one column name says of its table (see ``_siblings``)."""

    named: bool  # a person's name when the table is about people (name, billing_details.name)
    own_email: bool  # the row's own email (email, email_address), not someone else's (owner_email)
    mixed: bool  # tells people from organisations (is_company)
    contact_person: bool  # a key to the row's contact person
    organisation: bool  # the row's own organisation (its name or its website)
    personal: tuple[str, ...]  # the PII types of a person's own fields (date_of_birth, gender)
    contact: tuple[str, ...]  # the PII types of contact fields (email, phone)
    activity: tuple[str, ...]  # the PII types of someone's activity (ip_address, device_id)
    own_person: bool  # a field only a person has
    login: bool = False  # an account's login (user, username, login)
    owners: tuple[str, ...] = ()  # a word of unknown kind owning a field only a person has (order in order_sex)
    located: bool = False  # a key to the person a row is about (table_context.located_owners: rider_id)
    own_name: bool = False  # a part of the row's own name (first_name, surname), no owner before it
    organisation_field: bool = False  # a fact only an organisation has (employee_count, annual_revenue)
    organisation_number: bool = False  # a number only an organisation has (OGRN, SIRET, DUNS)
    person_field: bool = False  # own_person, by a name a firm does not have too (not legal_name)


# the whole name of a column holding an account's login
_LOGINS = frozenset({("user",), ("login",), ("username",), ("user", "login"), ("login", "name")})


def _ends_name(tokens: tuple[str, ...], hit, config: PiiConfig) -> bool:
    """The match ends the name, or only words that keep the value follow it (name_cached, name_parts, name_2)."""
    if hit.last:
        return True
    end = hit.start + len(hit.pattern.split())
    return all(t in config.suffix_keep or t.isdigit() for t in tokens[end:])


_NOTHING = _ColumnSays(False, False, False, False, False, (), (), (), False)


def _column_says(column: str, config: PiiConfig, prefix: str) -> _ColumnSays:
    tokens, hits = _name_hits(column, "", config, prefix)
    named = any(hit.pii_type == "person_name" and hit.strength == "person" and not hit.veto
                and hit.owner is None and _ends_name(tokens, hit, config) for hit in hits)
    own_email = any(hit.pii_type == "email" and hit.owner is None and not hit.veto and not hit.unknown_suffix
                    for hit in hits)
    own_name = any(hit.pii_type == "person_name" and hit.strength == "strong" and hit.owner is None and not hit.veto
                   and not hit.unknown_suffix and _ends_name(tokens, hit, config) for hit in hits)
    mixed = tokens in config.table_mixed_flags
    contact_person = bool(tokens) and tokens[-1] in config.table_contact_person_ends and tuple(
        t for t in tokens if t not in config.neutral) in config.table_contact_person_keys
    # the row's own organisation (its name or its website); companies, accounts: the ones it belongs to
    # a number only an organisation has (KPP, OGRN, SIRET, DUNS, LEI): its rows are organisations
    organisation_number = any(t in config.table_organisation_numbers for t in tokens)
    organisation = bool(tokens) and tokens[0] in config.organisation_words and (
        len(tokens) == 1 or tokens[1:] in _OWN_ORGANISATION_FIELDS) and not _plural(column, config) or (
        organisation_number)
    personal: list[str] = []
    contact: list[str] = []
    activity: list[str] = []
    own_person = False
    owners: list[str] = []
    for hit in hits:
        if hit.pii_type is None or hit.veto or hit.unknown_suffix or hit.strength not in ("strong", "medium"):
            continue
        if hit.owner_kind == "organisation":
            continue
        if hit.bare_key:
            continue  # nationality_id: a key to a person's code, or the row's own key in a table of nationalities
        if hit.owner_kind == "unknown" and hit.owner and (hit.pii_type in config.table_person_types or (
                hit.pii_type == "person_name" and hit.strength == "strong")):
            owners.append(hit.owner)  # order_sex, order_kana01: whatever 'order' is elsewhere, here it is a person
        if hit.pii_type in config.table_person_types:
            personal.append(hit.pii_type)
            own_person = True
        elif hit.pii_type in config.table_contact_types:
            contact.append(hit.pii_type)
            own_person = own_person or hit.pii_type == "person_name"
        elif hit.pii_type in config.table_activity_types:
            activity.append(hit.pii_type)
    located = len(tokens) == 2 and tokens[1] in config.semantic["key_words"] and (
        tokens[0] in config.table_located_owners)
    says = _ColumnSays(named, own_email, mixed, contact_person, organisation, tuple(personal), tuple(contact),
                       tuple(activity), own_person, tokens in _LOGINS, tuple(owners), located, own_name,
                       tokens in config.table_organisation_fields, organisation_number,
                       own_person and tokens not in config.table_firm_fields)
    return _NOTHING if says == _NOTHING else says
