"""A generated, rule-based measure of the table's context: is a bare column read by what its table is about?

    python bench/pii_contexts.py [--split dev|heldout|all] [--quiet] [--examples 6]

A bare ``name``, ``manager`` or ``phone`` is a person's only in a table about people (issue 12). This bench places
columns whose verdict depends on the table (``COLUMNS``: names, name parts, people's roles, contact fields, birth
dates, each in several spellings) in generated tables of three settings and scores each column's verdict:

- ``a:name``: a table about people by its name: a person noun (``PERSON_NOUNS``, English and other languages)
  written in several styles (``customers``, ``dim_customer``, ``stg_app__customers``, ``CustomerMaster``,
  ``tbl_customers``, ``customer_details``...), beside neutral columns (id, created_at, status);
- ``b:columns``: a neutral table name (``NEUTRAL_NAMES``: records, dim_entity, raw_data, t1) whose other columns are a
  person's (``PERSON_SIBLINGS``: an email and a birth date, a gender and a national id...);
- ``b:description``: a neutral table name and neutral columns, with a model description saying what a row is
  ("One row per customer", ``DESCRIPTIONS`` x ``PERSON_NOUNS``' English forms);
- ``c:name``: a table about things (``THING_NOUNS``: products, companies as firms, stores, categories, projects,
  teams, campaigns, datasets) beside its own columns (a product's sku and price, a company's website and industry);
- ``c:columns``: a neutral name, an organisation's own columns (its website, industry, tax number) and its email and
  phone;
- ``c:description``: a neutral name and the thing's columns with a description ("Each row is a supplier").

The expected verdict follows bench/data/pii_recall_SOURCES.md "How the labels were made": a person's field in a
table about people is PII; an organisation's name, address, phone (and email: Odoo's ``accounts_account.email`` is
labelled so) are not, nor is a thing's name; a contact person's name and a manager of a store are PII wherever they
sit (``COLUMNS``' ``org`` flag: ``None`` where a thing's table is not scored, True where it stays PII).

Nouns are split by the sha1 of the noun (``split_of``: about a quarter held out): the held-out nouns are never
tuned on (``--split heldout`` prints figures only). Per setting and per column kind, it prints recall on (a)/(b)
(the share of person fields read as PII) and the false-positive rate on (c) (the share of things' fields read as
PII), plus the recall of the fields that stay PII in (c). Classification reuses bench/pii_variants.py's helpers and
the pipeline's own ``table_context``.
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

from bench.pii_variants import CASES, words_of  # noqa: E402
from pii.classifier import classify_column  # noqa: E402
from pii.context import table_context  # noqa: E402
from pii.vocabulary import load_pii_config  # noqa: E402


@dataclass(frozen=True)
class Column:
    name: str  # snake_case; respelled by CASES
    kind: str  # name, name_part, role, contact, birth, location
    data_type: str = "varchar"
    org: bool | None = False  # its verdict in a thing's table: False not PII, True PII, None not scored


# Columns whose verdict depends on the table (general knowledge of how data models name a person's fields).
COLUMNS: tuple[Column, ...] = (
    # (full_name in a table named after an organisation is not scored: labelled tables hold people's full names in
    # a table named after an organisation's unit, a division's staff list)
    Column("name", "name"), Column("full_name", "name", org=None), Column("display_name", "name"),
    Column("fullname", "name", org=None), Column("name_full", "name", org=None),
    Column("legal_name", "name", org=None),
    Column("first", "name_part", org=None), Column("last", "name_part", org=None),
    Column("given", "name_part", org=None), Column("nickname", "name_part", org=None),
    Column("person", "role", org=None), Column("contact", "role", org=None),
    Column("contact_name", "role", org=True), Column("manager", "role", org=None),
    Column("owner", "role", org=None), Column("spouse", "role", org=None), Column("guardian", "role", org=None),
    Column("dependents", "role", org=None), Column("emergency_contact", "role", org=None),
    Column("next_of_kin", "role", org=None), Column("mother_name", "role", org=None),
    Column("phone", "contact"), Column("phone_number", "contact"), Column("mobile", "contact", org=None),
    Column("email", "contact", org=None), Column("email_address", "contact", org=None), Column("address", "contact"),
    Column("street", "contact"), Column("address_line_1", "contact"), Column("fax", "contact", org=None),
    Column("dob", "birth", "date", org=None), Column("birth_date", "birth", "date", org=None),
    Column("birthday", "birth", "date", org=None),
    Column("latitude", "location", "float", org=False), Column("longitude", "location", "float", org=False),
)
# Styles of a column name (bench/pii_variants.py CASES); glued only for names of two words or more.
COLUMN_STYLES = ("snake", "camel", "pascal", "upper_snake")

# Nouns of people: English (also in descriptions), then other languages (general knowledge, not read off any
# labelled table).
PERSON_NOUNS: tuple[tuple[str, str], ...] = (  # (singular, plural)
    ("customer", "customers"), ("client", "clients"), ("patient", "patients"), ("member", "members"),
    ("employee", "employees"), ("staff", "staff"), ("player", "players"), ("student", "students"),
    ("user", "users"), ("subscriber", "subscribers"), ("guest", "guests"), ("passenger", "passengers"),
    ("applicant", "applicants"), ("candidate", "candidates"), ("donor", "donors"),
    ("volunteer", "volunteers"), ("borrower", "borrowers"), ("policyholder", "policyholders"),
    ("beneficiary", "beneficiaries"), ("driver", "drivers"), ("rider", "riders"), ("author", "authors"),
    ("contributor", "contributors"), ("person", "people"), ("contact", "contacts"), ("athlete", "athletes"),
    ("teacher", "teachers"), ("learner", "learners"), ("attendee", "attendees"), ("participant", "participants"),
    ("visitor", "visitors"), ("resident", "residents"), ("citizen", "citizens"), ("voter", "voters"),
    ("worker", "workers"), ("physician", "physicians"), ("nurse", "nurses"),
    ("doctor", "doctors"), ("traveler", "travelers"), ("buyer", "buyers"), ("shopper", "shoppers"),
    ("lead", "leads"), ("alumnus", "alumni"), ("recipient", "recipients"),
    ("insured", "insureds"), ("claimant", "claimants"), ("instructor", "instructors"),
    ("agent", "agents"), ("owner", "owners"), ("pupil", "pupils"), ("hire", "hires"), ("user", "accounts_users"),
    # agent nouns, written with the -ist, -ee, -ician reading (so always dev: ``TUNED``)
    ("dentist", "dentists"), ("therapist", "therapists"), ("technician", "technicians"), ("trainee", "trainees"),
    ("licensee", "licensees"), ("pharmacist", "pharmacists"), ("electrician", "electricians"), ("nominee", "nominees"),
)
OTHER_PERSON_NOUNS: tuple[tuple[str, str], ...] = (
    # Spanish, Portuguese, German, French, Italian, Dutch
    ("cliente", "clientes"), ("paciente", "pacientes"), ("empleado", "empleados"), ("usuario", "usuarios"),
    ("alumno", "alumnos"), ("socio", "socios"), ("funcionario", "funcionarios"), ("aluno", "alunos"),
    ("Kunde", "Kunden"), ("Mitarbeiter", "Mitarbeiter"), ("Patient", "Patienten"), ("Benutzer", "Benutzer"),
    ("Mitglied", "Mitglieder"), ("Schueler", "Schueler"), ("employe", "employes"), ("utilisateur", "utilisateurs"),
    ("adherent", "adherents"), ("eleve", "eleves"), ("cliente", "clienti"), ("dipendente", "dipendenti"),
    ("utente", "utenti"), ("paziente", "pazienti"), ("klant", "klanten"), ("medewerker", "medewerkers"),
      ("gebruiker", "gebruikers"), ("lid", "leden"),
)
ALL_PERSON_NOUNS = PERSON_NOUNS + OTHER_PERSON_NOUNS
# How a table is named after its noun.
TABLE_STYLES: tuple[str, ...] = ("{p}", "dim_{s}", "stg_crm__{p}", "{S}Master", "tbl_{p}", "{P}", "{s}_details",
                                 "raw_{p}", "{s}_profiles", "int_{p}_enriched")

NEUTRAL_NAMES = ("records", "dim_entity", "raw_data", "t1", "stg_app__records", "master_data", "tbl_main",
                 "import_2023", "entries", "export_rows", "src_table_a", "fct_entity_snapshot")
NEUTRAL_COLUMNS = ("id", "created_at", "updated_at", "status")
# Other columns that make a neutral table about people.
PERSON_SIBLINGS: tuple[tuple[str, ...], ...] = (
    ("email", "birth_date"), ("gender", "national_id"), ("date_of_birth", "phone"), ("sex", "ssn"),
    ("first_name", "last_name"), ("email", "phone"), ("gender", "email"), ("marital_status", "nationality"),
    ("birthdate", "mobile_phone"), ("passport_number", "citizenship"), ("date_of_birth", "gender"),
    ("email_address", "home_phone"),
)
DESCRIPTIONS = ("One row per {s}.", "Each row is a {s}.", "Each record represents a {s}.", "A list of all {p}.",
                "This table contains one record for each {s}")

# Things: (singular, plural, its own columns).
THING_NOUNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("product", "products", ("sku", "price", "category_id")), ("sku", "skus", ("barcode", "unit_price", "weight")),
    ("item", "items", ("item_code", "unit_cost", "stock_qty")), ("article", "articles", ("ean", "price", "brand_id")),
    ("company", "companies", ("industry", "website", "employee_count")),
    ("organisation", "organisations", ("org_type", "website", "founded_year")),
    ("organization", "organizations", ("industry", "domain", "annual_revenue")),
    ("vendor", "vendors", ("vendor_code", "payment_terms", "tax_number")),
    ("supplier", "suppliers", ("supplier_code", "payment_terms", "currency")),
    ("account", "accounts", ("industry", "account_tier", "annual_revenue", "website")),
    ("merchant", "merchants", ("mcc", "website", "onboarded_at")), ("brand", "brands", ("slug", "logo_url", "tier")),
    ("store", "stores", ("store_number", "square_feet", "opened_on")),
    ("warehouse", "warehouses", ("capacity", "region", "warehouse_code")),
    ("location", "locations", ("location_type", "region", "timezone")), ("site", "sites", ("site_code", "region")),
    ("branch", "branches", ("branch_code", "region", "opened_on")),
    ("category", "categories", ("parent_id", "sort_order", "slug")), ("project", "projects", ("budget", "start_date",
                                                                                              "end_date")),
    ("team", "teams", ("league", "founded_year", "stadium")), ("campaign", "campaigns", ("budget", "channel",
                                                                                         "start_date")),
    ("dataset", "datasets", ("row_count", "license", "source_url")),
    ("manufacturer", "manufacturers", ("country_code", "website")), ("carrier", "carriers", ("scac", "mode")),
    ("distributor", "distributors", ("territory", "website")), ("hotel", "hotels", ("star_rating", "room_count")),
    ("restaurant", "restaurants", ("cuisine", "seating_capacity")), ("school", "schools", ("district_code",
                                                                                           "grade_levels")),
    ("hospital", "hospitals", ("bed_count", "trauma_level")), ("bank", "banks", ("swift_code", "routing_number")),
    ("facility", "facilities", ("facility_type", "capacity")), ("department", "departments", ("cost_center",
                                                                                              "budget")),
    ("producto", "productos", ("sku", "precio")), ("empresa", "empresas", ("sector", "sitio_web")),
    ("Lieferant", "Lieferanten", ("lieferantennummer", "zahlungsbedingungen")),
    ("Artikel", "Artikel", ("artikelnummer", "preis")), ("fournisseur", "fournisseurs", ("siret", "site_web")),
    ("produit", "produits", ("reference", "prix")), ("azienda", "aziende", ("settore", "partita_iva")),
    # lookalikes of agent nouns (-ist, -ee): a list, a group, a promise (always dev: ``TUNED``)
    ("playlist", "playlists", ("track_count", "is_public")), ("checklist", "checklists", ("item_count", "due_date")),
    ("committee", "committees", ("chair_id", "charter_url")), ("guarantee", "guarantees", ("amount", "expires_on")),
)
# Things that have no contact fields of their own (a product's phone is no field anyone writes): names only.
NO_CONTACTS = frozenset({"product", "sku", "item", "article", "category", "project", "campaign", "dataset",
                         "producto", "Artikel", "produit", "playlist", "checklist", "committee", "guarantee"})
THING_STYLES: tuple[str, ...] = ("{p}", "dim_{s}", "stg_erp__{p}", "{S}Master", "tbl_{p}", "{P}", "{s}_details")
THING_DESCRIPTIONS = ("One row per {s}.", "Each row is a {s}.")


# Nouns added together with the mechanism that reads them: never held out.
TUNED = frozenset({"dentist", "therapist", "technician", "trainee", "licensee", "pharmacist", "electrician", "nominee",
                   "playlist", "checklist", "committee", "guarantee"})


def hash_split(key: str, tuned: frozenset[str] = frozenset()) -> str:
    """"heldout" for about a quarter of the keys (by the sha1 of the lower-cased key), else "dev"; keys in ``tuned``
    (written with their mechanism) are always dev. Every generated PII bench splits its nouns or phrases so."""
    if key.lower() in tuned:
        return "dev"
    return "heldout" if hashlib.sha1(key.lower().encode()).digest()[0] % 4 == 0 else "dev"


def split_of(noun: str) -> str:
    return hash_split(noun, TUNED)


def _style(template: str, s: str, p: str) -> str:
    return template.format(s=s, p=p, S=s[:1].upper() + s[1:], P=p[:1].upper() + p[1:])


def spellings(name: str) -> Iterator[str]:
    """The column name in each of ``COLUMN_STYLES``, each spelling once."""
    ws = words_of(name)
    seen = set()
    for style in COLUMN_STYLES:
        new = CASES[style](ws)
        if new not in seen:
            seen.add(new)
            yield new


@dataclass(frozen=True)
class Case:
    setting: str  # a:name, b:columns, b:description, c:name, c:description
    split: str
    table: str
    description: str | None
    siblings: tuple[str, ...]
    column: Column
    spelling: str
    expected: bool


def cases() -> Iterator[Case]:
    """Every generated (table, column) with its expected verdict."""
    person_columns = list(COLUMNS)
    for s, p in ALL_PERSON_NOUNS:
        split = split_of(s)
        for template in TABLE_STYLES:
            table = _style(template, s, p)
            for column in person_columns:
                for spelling in spellings(column.name):
                    yield Case("a:name", split, table, None, NEUTRAL_COLUMNS, column, spelling, True)
        if (s, p) in PERSON_NOUNS:  # English nouns: descriptions
            for i, template in enumerate(DESCRIPTIONS):
                table = NEUTRAL_NAMES[i % len(NEUTRAL_NAMES)]
                description = template.format(s=s, p=p)
                for column in person_columns:
                    yield Case("b:description", split, table, description, NEUTRAL_COLUMNS, column, column.name, True)
    for siblings in PERSON_SIBLINGS:
        split = split_of("+".join(siblings))
        for table in NEUTRAL_NAMES:
            for column in person_columns:
                if column.name in siblings:
                    continue
                for spelling in spellings(column.name):
                    yield Case("b:columns", split, table, None, (*NEUTRAL_COLUMNS, *siblings), column, spelling, True)
    for s, p, own in THING_NOUNS:
        split = split_of(s)
        scored = [c for c in COLUMNS if c.org is not None and c.name not in own
                  and not (s in NO_CONTACTS and c.kind in ("contact", "location"))]
        for template in THING_STYLES:
            table = _style(template, s, p)
            for column in scored:
                for spelling in spellings(column.name):
                    yield Case("c:name", split, table, None, (*NEUTRAL_COLUMNS[:2], *own), column, spelling,
                               bool(column.org))
        if s not in NO_CONTACTS:
            # a neutral name, the organisation's own columns and its email and phone (two contact fields)
            for table in NEUTRAL_NAMES[::3]:
                for column in scored:
                    if column.name in ("email", "phone"):
                        continue
                    yield Case("c:columns", split, table, None, (*NEUTRAL_COLUMNS[:2], *own, "email", "phone"),
                               column, column.name, bool(column.org))
        if s.isascii() and s.islower():
            for i, template in enumerate(THING_DESCRIPTIONS):
                table = NEUTRAL_NAMES[(i + len(s)) % len(NEUTRAL_NAMES)]
                for column in scored:
                    yield Case("c:description", split, table, template.format(s=s, p=p), (*NEUTRAL_COLUMNS[:2], *own),
                               column, column.name, bool(column.org))


def run(config, *, split: str = "all", only: list[Case] | None = None) -> dict:
    """Classify every case of the split (or the ``only`` ones); counts per (setting, kind) and the misses."""
    counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    misses: dict[tuple[str, str], list[tuple[Case, str | None]]] = collections.defaultdict(list)
    for case in cases() if only is None else only:
        if split != "all" and case.split != split:
            continue
        columns = [*case.siblings, case.spelling]
        table = table_context(name=case.table, description=case.description, column_names=columns, config=config)
        got = classify_column(name=case.spelling, data_type=case.column.data_type, description=None, meta={}, tags=(),
                              config=config, capsule_name=case.table, table=table).pii_type
        stays = " (stays PII)" if case.setting[0] == "c" and case.expected else ""
        key = (case.setting + stays, case.column.kind)
        c = counts[key]
        c["n"] += 1
        c["pii"] += got is not None
        if (got is not None) != case.expected:
            misses[key].append((case, got))
    return {"counts": counts, "misses": misses}


def report(title: str, res: dict, *, quiet: bool, examples: int) -> None:
    counts, misses = res["counts"], res["misses"]
    print(f"\n== {title}")
    print(f"   {'setting':<26} {'kind':<10} {'cases':>6}  {'measure':<9} {'value':>6}")
    totals: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for key in sorted(counts):
        setting, kind = key
        c = counts[key]
        fpr = setting.startswith("c") and "stays" not in setting
        totals[setting].update(c)
        _line(setting, kind, c, fpr)
    for setting in sorted(totals):
        _line(setting, "(all)", totals[setting], setting.startswith("c") and "stays" not in setting)
    if quiet:
        return
    for key in sorted(misses):
        print(f"\n   {key[0]} / {key[1]}: {len(misses[key])} wrong")
        for case, got in misses[key][:examples]:
            print(f"     {case.spelling!r} in {case.table!r} (siblings {', '.join(case.siblings)}; "
                  f"description {case.description!r}): expected {'PII' if case.expected else '-'}, got {got or '-'}")


def _line(setting: str, kind: str, c: collections.Counter, fpr: bool) -> None:
    value = c["pii"] / c["n"] if c["n"] else 0.0
    print(f"   {setting:<26} {kind:<10} {c['n']:6}  {'FP rate' if fpr else 'recall':<9} {value:6.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None, help="PII config (default config/pii.yaml)")
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="dev")
    parser.add_argument("--quiet", action="store_true", help="figures only, no wrong cases listed")
    parser.add_argument("--examples", type=int, default=6, help="wrong cases listed per setting and kind")
    args = parser.parse_args(argv)
    config = load_pii_config(args.config)
    quiet = args.quiet or args.split != "dev"  # held-out nouns are never read to choose fixes
    report(f"table contexts, {args.split} nouns", run(config, split=args.split), quiet=quiet, examples=args.examples)


if __name__ == "__main__":
    main()
