"""A generated, rule-based measure of reading a column's description: opaque names, the description says it all.

    python bench/pii_descriptions.py [--split dev|heldout|all] [--quiet] [--examples 6] [--untyped]

dbt projects describe many columns whose names say nothing (``col_17``, ``attr3``, ``field_x``, ``value``, a
vendor's ``ZZFLD004``). This bench gives such names descriptions written from general knowledge of each PII type
and scores the verdict, in a neutral table (``records``: no table context helps):

- ``value:*`` (labelled with the concept's type): a description saying the column holds the value, in the styles
  dbt projects write (``TEMPLATES``: "The customer's email address.", "Email address of the account holder",
  "E-mail (primary)", a bare label, Markdown with bold, code and links, a long description whose second sentence
  says what the column holds, a note after the value), each template over each value phrase of each concept
  (``CONCEPTS``) and an owner (a person noun);
- ``said:*``: concept-specific paraphrases that name the value without its usual phrase ("Date the patient was
  born", "Name of the emergency contact", "Where the customer lives");
- ``lang:*``: the value in German, French, Spanish, Portuguese, Dutch and Italian ("E-Mail-Adresse des Kunden");
- ``about:*`` (labelled not PII): descriptions of a column about the value without holding it: flags, counts,
  statistics, times, kinds and sources, a coarse place of an address (a country or a city is not PII, as the
  labelling guide in bench/data/pii_recall_SOURCES.md has it), the domain of an email, an organisation's or a
  thing's value ("Name of the product as shown to customers", "Phone number of the store");
- ``hash:*`` (labelled with the concept's type, a control): a hash of the value is pseudonymised personal data
  (the guide, and bench/pii_lookalikes.py's ``X_hash``);
- ``clinical:*`` (labelled health): a flag, a date or a medication of one patient's condition is that patient's
  health data (the guide: clinical facts recorded about one patient).

Templates and value phrases are split by the sha1 of their text (``split_of``: about a quarter of each held out);
a case is held out when its template or its phrase is, so the held-out split measures phrasings never tuned on
(``--split heldout`` prints figures only). Each case is classified with a data type fitting what the column holds
(boolean flags, integer counts, timestamps; ``--untyped``: none, as a manifest without its catalog gives them).
Printed per kind: cases, how many the classifier calls PII, and the share it gets right.
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

from bench.pii_contexts import hash_split  # noqa: E402
from pii.classifier import classify_column  # noqa: E402
from pii.context import table_context  # noqa: E402
from pii.vocabulary import load_pii_config  # noqa: E402

# Names that say nothing: the description has to.
OPAQUE_NAMES = ("col_17", "attr3", "field_x", "c12", "value", "data", "text1", "ZZFLD004", "udf_5", "cf_8821",
                "x_custom_01", "F23", "var_03", "attribute_9")
TABLES = ("records", "stg_source__rows", "t_data")
NEIGHBOURS = ("id", "created_at", "updated_at", "status")


@dataclass(frozen=True)
class Concept:
    key: str
    pii_type: str
    data_type: str
    values: tuple[str, ...]  # English noun phrases of the value
    owners: tuple[str, ...] = ("customer", "user", "employee", "patient", "member", "applicant", "student",
                               "account holder", "guest", "subscriber")
    said: tuple[str, ...] = ()  # paraphrases; {o} is the owner
    contact: bool = False  # a contact value (verified, opted in, bounced)


CONCEPTS: tuple[Concept, ...] = (
    Concept("email", "email", "varchar", ("email address", "email", "e-mail address", "e-mail", "contact email",
                                          "personal email address", "email id", "mail address"),
            said=("Where we send the {o}'s receipts and password resets (an email address).",
                  "Address the {o} signed up with, e.g. jane@example.com"), contact=True),
    Concept("phone", "phone", "varchar", ("phone number", "telephone number", "mobile number", "cell phone number",
                                          "contact number", "mobile phone", "home phone number", "fax number"),
            said=("Number to call the {o} on", "Mobile number the {o} receives SMS codes on"), contact=True),
    Concept("name", "person_name", "varchar", ("full name", "first name", "last name", "surname", "given name",
                                               "family name", "middle name", "maiden name", "legal name",
                                               "preferred name", "nickname", "name"),
            said=("Name of the emergency contact", "Name of the person to contact in an emergency",
                  "Who the {o} is, by name", "The {o}'s name as printed on their ID",
                  "Next of kin's name", "Emergency contact's name")),
    Concept("address", "address", "varchar", ("home address", "street address", "mailing address",
                                              "postal address", "residential address", "street", "address line 1",
                                              "billing address"),
            said=("Where the {o} lives (street and house number)", "Street and house number of the {o}'s home"),
            contact=True),
    Concept("postal_code", "postal_code", "varchar", ("postal code", "zip code", "postcode", "post code"),
            said=("ZIP of the {o}'s home address",)),
    Concept("dob", "date_of_birth", "date", ("date of birth", "birth date", "birthday", "year of birth",
                                             "birthdate"),
            said=("Date the {o} was born", "The day the {o} was born", "When the {o} was born")),
    Concept("age", "age", "integer", ("age",),
            said=("How old the {o} is, in years", "The {o}'s age at enrolment")),
    Concept("gender", "gender", "varchar", ("gender", "sex"), said=("Gender the {o} identifies as",)),
    Concept("ethnicity", "ethnicity", "varchar", ("ethnicity", "race", "ethnic group")),
    Concept("nationality", "nationality", "varchar", ("nationality", "citizenship", "country of birth")),
    Concept("marital", "marital_status", "varchar", ("marital status", "civil status")),
    Concept("religion", "religion", "varchar", ("religion", "religious affiliation")),
    Concept("orientation", "sexual_orientation", "varchar", ("sexual orientation",)),
    Concept("national_id", "national_id", "varchar", ("social security number", "national ID number",
                                                      "national insurance number", "SSN", "identity card number")),
    Concept("tax_id", "tax_id", "varchar", ("tax identification number", "taxpayer ID", "tax number", "VAT number")),
    Concept("passport", "passport", "varchar", ("passport number", "passport")),
    Concept("license", "drivers_license", "varchar", ("driver's license number", "driving licence number")),
    Concept("card", "card_number", "varchar", ("credit card number", "card number", "payment card number",
                                               "debit card number")),
    Concept("bank", "bank_account", "varchar", ("bank account number", "IBAN", "bank account")),
    Concept("ip", "ip_address", "varchar", ("IP address", "IPv4 address", "client IP address"),
            owners=("visitor", "user", "customer", "client"),
            said=("Address the {o}'s browser connected from (IPv4 or IPv6)",)),
    Concept("device", "device_id", "varchar", ("device identifier", "device ID", "advertising ID", "IMEI"),
            owners=("user", "customer", "subscriber", "visitor")),
    Concept("username", "username", "varchar", ("username", "login name", "screen name", "user name"),
            owners=("user", "customer", "member", "account holder")),
    Concept("credential", "credential", "varchar", ("password", "API key", "access token", "secret key",
                                                    "password hash"),
            owners=("user", "customer", "member", "account holder")),
    Concept("geo", "geolocation", "float", ("latitude", "longitude", "GPS coordinates"),
            owners=("user", "customer", "driver", "patient")),
    Concept("health", "health", "varchar", ("diagnosis", "medical condition", "allergies", "blood type",
                                            "current medication", "medical history"),
            owners=("patient", "member", "employee", "student"),
            said=("Date the {o} was diagnosed with diabetes", "Date contraceptives initially used by the {o}",
                  "Whether the {o} has asthma", "Drugs the {o} is allergic to")),
    Concept("biometric", "biometric", "varchar", ("fingerprint template", "face embedding", "voiceprint"),
            owners=("employee", "user", "member")),
)
ATTRIBUTES = frozenset({"age", "gender", "ethnicity", "nationality", "marital_status", "religion",
                        "sexual_orientation"})
CLINICAL = frozenset({"health", "biometric"})
DOCUMENTS = frozenset({"national_id", "tax_id", "passport", "drivers_license", "card_number", "bank_account"})

# How a description says the column holds the value: {v} the value, {V} capitalised, {o} the owner, {O} capitalised,
# {slug} the value as an anchor. Each is a style met in dbt projects, written from general knowledge.
TEMPLATES: dict[str, str] = {
    "possessive": "The {o}'s {v}.",
    "of": "{V} of the {o}",
    "of_dot": "{V} of the {o}.",
    "label": "{V}",
    "label_paren": "{V} (primary)",
    "owner_label": "{O} {v}",
    "for": "{V} for the {o}, if provided.",
    "holds": "This column holds the {o}'s {v}.",
    "stores": "Stores the {v} of the {o}.",
    "contains": "Contains the {v} provided by the {o} at sign-up.",
    "as_entered": "{V} as entered by the {o}",
    "on_file": "Primary {v} on file for the {o}",
    "raw": "Raw {v} of the {o} from the source system, not validated.",
    "md_bold": "**{V}** of the {o}. See [the data dictionary](https://example.com/dictionary#{slug}).",
    "md_code": "The {o}'s {v} (`{slug}` in the `crm` source).",
    "md_list": "{V} of the {o}.\n\n- nullable\n- see [docs](https://example.com/{slug})",
    "second": "Sourced from the CRM export and refreshed nightly. Contains the {o}'s {v}.",
    "second_long": "Loaded by the nightly sync job; may be null for records created before 2019. The {v} of the "
                   "{o}, as last reported.",
    "note": "{V} of the {o}. PII: handle according to the data retention policy.",
    "header": "## {V}\nThe {o}'s {v}, as captured by the onboarding form.",
    "dash": "{V} - {o}",
    "colon": "{O} {v}: free text, up to 255 characters.",
}

# About the value, not the value (labelled not PII): {v} the value, {o} the owner. (kind, data type, template)
ABOUT: dict[str, tuple[str, str]] = {
    "verified": ("boolean", "Whether the {o} has verified their {v}"),
    "has": ("boolean", "True if the {o} has provided a {v}"),
    "flag_missing": ("boolean", "Flag: {v} is missing or empty"),
    "is_valid": ("boolean", "Indicates whether the {v} passed validation."),
    "count": ("integer", "Number of {v} changes made by the {o}"),
    "count_distinct": ("integer", "Count of distinct {v} values per account"),
    "pct": ("float", "Percentage of {o}s with a {v} on file"),
    "length": ("integer", "Length of the {v} in characters"),
    "changed_at": ("timestamp", "Timestamp the {v} was last changed"),
    "verified_at": ("timestamp", "Date the {o}'s {v} was verified"),
    "when_updated": ("timestamp", "When the {v} was last updated"),
    "source": ("varchar", "Source system the {v} came from"),
    "status": ("varchar", "Status of the {v} verification (pending, verified, failed)"),
    "type": ("varchar", "Type of {v}"),
    "format": ("varchar", "Format used to display the {o}'s {v}"),
    "id_of": ("integer", "ID of the {o}'s {v} record"),
    "not_the": ("varchar", "Internal reference code; does not contain the {o}'s {v}."),
    "quality": ("float", "Match score of the {v} against the reference data"),
}
CONTACT_ABOUT: dict[str, tuple[str, str]] = {
    "opted_in": ("boolean", "Whether the {o} opted in to being contacted by {v}"),
    "bounced": ("boolean", "Whether messages to the {v} bounced"),
}
# About an address, a coarse place or a thing's value (labelled not PII): free-standing descriptions.
PLACES: tuple[str, ...] = (
    "Country code of the billing address", "Country of the customer's home address",
    "City of the customer's shipping address", "Two-letter ISO country code of the member's address",
    "Region (state or province) of the mailing address", "Time zone of the user's address",
    "Domain part of the user's email address", "Name of the product as shown to customers",
    "Name of the store", "Phone number of the store", "Email address of the support team",
    "Name of the company the customer works for", "Name of the campaign", "Name of the file uploaded by the user",
    "Name of the marketing email template", "Address of the warehouse", "Display name of the product category",
    "Number of emails sent to the customer", "Number of phone calls made this month",
    "Total number of addresses on file", "Average age of the cohort", "Whether the user is an adult",
    "Language the customer prefers", "Currency of the customer's account",
)
HASHES: tuple[str, ...] = ("SHA-256 hash of the {o}'s {v}, used for joins", "Hashed {v} of the {o} (MD5)",
                           "The {o}'s {v}, hashed with a salt")

# The value in other languages: language -> (template with {v}, {concept key: value phrases}).
LANGUAGES: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "de": ("{v} des Kunden", {"email": ("E-Mail-Adresse",), "phone": ("Telefonnummer", "Handynummer"),
                              "name": ("Vorname", "Nachname"), "dob": ("Geburtsdatum",),
                              "address": ("Anschrift", "Strasse und Hausnummer"), "postal_code": ("Postleitzahl",),
                              "gender": ("Geschlecht",), "nationality": ("Staatsangehörigkeit",),
                              "tax_id": ("Steueridentifikationsnummer",), "bank": ("IBAN",)}),
    "fr": ("{v} du client", {"email": ("Adresse e-mail",), "phone": ("Numéro de téléphone",),
                             "name": ("Prénom", "Nom de famille"), "dob": ("Date de naissance",),
                             "address": ("Adresse postale",), "postal_code": ("Code postal",), "gender": ("Sexe",),
                             "nationality": ("Nationalité",), "national_id": ("Numéro de sécurité sociale",)}),
    "es": ("{v} del cliente", {"email": ("Correo electrónico",), "phone": ("Número de teléfono",),
                               "name": ("Nombre", "Apellido"), "dob": ("Fecha de nacimiento",),
                               "address": ("Dirección",), "postal_code": ("Código postal",), "gender": ("Sexo",),
                               "nationality": ("Nacionalidad",)}),
    "pt": ("{v} do cliente", {"email": ("Endereço de e-mail",), "phone": ("Número de telefone", "Celular"),
                              "name": ("Nome completo", "Sobrenome"), "dob": ("Data de nascimento",),
                              "address": ("Endereço",), "postal_code": ("CEP",), "gender": ("Sexo",),
                              "national_id": ("CPF",)}),
    "nl": ("{v} van de klant", {"email": ("E-mailadres",), "phone": ("Telefoonnummer",),
                                "name": ("Voornaam", "Achternaam"), "dob": ("Geboortedatum",), "address": ("Adres",),
                                "postal_code": ("Postcode",), "gender": ("Geslacht",), "national_id": ("BSN",)}),
    "it": ("{v} del cliente", {"email": ("Indirizzo email",), "phone": ("Numero di telefono",),
                               "name": ("Nome", "Cognome"), "dob": ("Data di nascita",), "address": ("Indirizzo",),
                               "postal_code": ("Codice postale",), "gender": ("Sesso",),
                               "tax_id": ("Codice fiscale",)}),
}

# Phrases and templates added with the mechanism that reads them would be listed here (always dev); none so far.
TUNED: frozenset[str] = frozenset()


def split_of(text: str) -> str:
    """Templates and phrases split as the other benches split nouns (``hash_split``)."""
    return hash_split(text, TUNED)


def _split(*parts: str) -> str:
    return "heldout" if any(split_of(p) == "heldout" for p in parts) else "dev"


@dataclass(frozen=True)
class Case:
    kind: str  # value:<template>, said:<concept>, lang:<language>, about:<kind>, place, hash, clinical:<kind>
    split: str
    name: str
    description: str
    data_type: str
    expected: str | None  # the PII type, or None


def _pick(seq: tuple[str, ...], *keys: str) -> str:
    """A deterministic choice (so a run is reproducible and each template meets several owners and names)."""
    return seq[hashlib.sha1("|".join(keys).encode()).digest()[1] % len(seq)]


def _fill(template: str, value: str, owner: str) -> str:
    slug = value.lower().replace(" ", "_").replace("'", "")
    return template.format(v=value, V=value[:1].upper() + value[1:], o=owner, O=owner[:1].upper() + owner[1:],
                           slug=slug)


def cases() -> Iterator[Case]:
    """Every generated (name, description) with its expected verdict."""
    for concept in CONCEPTS:
        for value in concept.values:
            for tid, template in TEMPLATES.items():
                owner = _pick(concept.owners, tid, value)
                yield Case(f"value:{tid}", _split(tid, value), _pick(OPAQUE_NAMES, tid, value, "n"),
                           _fill(template, value, owner), concept.data_type, concept.pii_type)
            if concept.pii_type in CLINICAL:
                continue
            about = dict(ABOUT)
            if concept.contact:
                about.update(CONTACT_ABOUT)
            for kid, (data_type, template) in about.items():
                if concept.pii_type in ATTRIBUTES and kid in ("type", "format", "length", "has"):
                    continue  # "Type of gender", a trait's label: the value
                if concept.pii_type in DOCUMENTS and kid == "type":
                    continue  # "Type of passport" is a document's data
                owner = _pick(concept.owners, kid, value)
                yield Case(f"about:{kid}", _split(template, value), _pick(OPAQUE_NAMES, kid, value, "n"),
                           _fill(template, value, owner), data_type, None)
            if concept.pii_type not in ATTRIBUTES and concept.pii_type != "credential":
                for template in HASHES:
                    owner = _pick(concept.owners, template, value)
                    yield Case("hash", _split(template, value), _pick(OPAQUE_NAMES, template, value, "n"),
                               _fill(template, value, owner), "varchar", concept.pii_type)
        for said in concept.said:
            owner = _pick(concept.owners, said)
            kind = "clinical" if concept.pii_type in CLINICAL else "said"
            yield Case(f"{kind}:{concept.key}", _split(said), _pick(OPAQUE_NAMES, said, "n"),
                       _fill(said, "", owner), "boolean" if said.startswith("Whether") else
                       "date" if said.startswith("Date") else concept.data_type, concept.pii_type)
    for language, (template, values) in LANGUAGES.items():
        for key, phrases in values.items():
            concept = next(c for c in CONCEPTS if c.key == key)
            for value in phrases:
                for description in (template.format(v=value), value):
                    yield Case(f"lang:{language}", _split(value), _pick(OPAQUE_NAMES, description, "n"),
                               description, concept.data_type, concept.pii_type)
    for description in PLACES:
        data_type = ("boolean" if description.startswith("Whether") else "integer"
                     if description.split()[0] in ("Number", "Total", "Average") else "varchar")
        yield Case("about:place_or_thing", _split(description), _pick(OPAQUE_NAMES, description, "n"), description,
                   data_type, None)


def run(config, *, split: str = "all", untyped: bool = False, only: list[Case] | None = None) -> dict:
    """Classify every case of the split (or the ``only`` ones); counts per kind and the wrong ones."""
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    wrong: dict[str, list[tuple[Case, str | None]]] = collections.defaultdict(list)
    for case in cases() if only is None else only:
        if split != "all" and case.split != split:
            continue
        table_name = _pick(TABLES, case.name, case.description)
        table = table_context(name=table_name, description=None, column_names=[*NEIGHBOURS, case.name],
                              config=config)
        got = classify_column(name=case.name, data_type=None if untyped else case.data_type,
                              description=case.description, meta={}, tags=(), config=config,
                              capsule_name=table_name, table=table).pii_type
        c = counts[case.kind]
        c["n"] += 1
        c["pii"] += got is not None
        right = got == case.expected if case.expected else got is None
        c["right"] += right
        c["pii_right"] += bool(case.expected) and got is not None  # is-PII, whatever type
        if not right:
            wrong[case.kind].append((case, got))
    return {"counts": counts, "wrong": wrong}


def _family(kind: str) -> str:
    return kind.split(":")[0]


def report(title: str, res: dict, *, quiet: bool, examples: int) -> None:
    counts, wrong = res["counts"], res["wrong"]
    print(f"\n== {title}")
    print(f"   {'kind':<24} {'cases':>6} {'PII':>6}  {'right':>6}")
    families: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for kind in sorted(counts):
        c = counts[kind]
        families[_family(kind)].update(c)
        _line(kind, c)
    print()
    for family in sorted(families):
        _line(f"{family}:* (all)", families[family])
    pii = sum((families[f] for f in families if f != "about"), collections.Counter())
    about = families.get("about", collections.Counter())
    tp, fn, fp = pii["pii_right"], pii["n"] - pii["pii_right"], about["pii"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\n   is-PII precision {precision:.3f}  recall {recall:.3f}   (tp {tp}, fp {fp}, fn {fn}; "
          f"exact type right {pii['right']} of {pii['n']})")
    if quiet:
        return
    for kind in sorted(wrong):
        print(f"\n   {kind}: {len(wrong[kind])} wrong")
        for case, got in wrong[kind][:examples]:
            print(f"     {case.name!r} {case.data_type} {case.description!r}: expected {case.expected or '-'}, "
                  f"got {got or '-'}")


def _line(kind: str, c: collections.Counter) -> None:
    share = c["right"] / c["n"] if c["n"] else 0.0
    print(f"   {kind:<24} {c['n']:6} {c['pii']:6}  {share:6.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None, help="PII config (default config/pii.yaml)")
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="dev")
    parser.add_argument("--quiet", action="store_true", help="figures only, no wrong cases listed")
    parser.add_argument("--examples", type=int, default=6, help="wrong cases listed per kind")
    parser.add_argument("--untyped", action="store_true", help="classify without a data type")
    args = parser.parse_args(argv)
    config = load_pii_config(args.config)
    quiet = args.quiet or args.split != "dev"  # held-out phrasings are never read to choose fixes
    title = f"descriptions, {args.split} phrasings" + (", untyped" if args.untyped else "")
    report(title, run(config, split=args.split, untyped=args.untyped), quiet=quiet, examples=args.examples)


if __name__ == "__main__":
    main()
