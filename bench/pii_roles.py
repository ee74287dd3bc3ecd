"""A generated, rule-based measure of people named by their role: is ``witness_name`` a person's name?

    python bench/pii_roles.py [--split dev|heldout|all] [--quiet] [--examples 6]

Many schemas keep a person's data under the role the person plays, not under ``user`` or ``customer``:
``witness_name``, ``signatory_email``, ``invigilator_phone``, ``last_poster_name``, ``consignee_address``. This bench
writes person-role nouns from general knowledge (``ROLES``: occupations, family and legal relations, platform and
workflow roles, education and health roles, in English), joins each to PII parts (``PARTS``: ``_name``,
``_full_name``, ``_email``, ``_phone``, ``_address``, ``_username``, ``_ip``, ``_birth_date``...) in person-neutral
tables (``TABLES``: tickets, posts, invoices, shipments, cases...), and scores the verdicts against labels given by
rule, beside lookalikes that must stay not PII:

- ``role:<part>``: a role noun and a PII part (``witness_email``) in a neutral table: PII, of the part's type;
- ``role:bare``: the role noun alone as a text column in a table about people (``mentor`` in ``employees``): a
  person's name, as the labels write a bare ``supervisor``, ``leader`` or ``receiver`` holding a name;
- ``role:bare_org``: the same in a table about organisations (``leader`` in ``sys_dept``, labelled so: a
  department's head), for roles other than family and legal relations;
- ``thing:<part>``: a thing's noun with a name part (``folder_name``, ``layer_name``, ``parameter_name``,
  ``browser_name``, ``file_full_name``, a qualified name): not PII;
- ``machine:<part>``: a machine's noun with a name, an IP, an address or a login (``server_name``, ``printer_ip``,
  ``container_address``, ``camera_username``): not PII (a network element's address is the operator's, and a
  camera's service account is labelled no person's);
- ``org:<part>``: an organisation's noun with a name, phone, address or fax (``carrier_name``, ``provider_phone``):
  not PII (the labelling guide: an organisation's name, address and phone are not personal data; an organisation's
  email is not scored, the labels disagree on it: ``company_email`` is labelled both ways);
- ``about:<kind>``: columns about a role that hold no value of the person (``witness_count`` and ``num_witnesses``
  integers, ``has_guarantor`` and ``is_approver`` booleans, ``approver_id`` and ``approver_ids`` keys,
  ``approver_type`` and ``approver_role`` codes, a bare role noun as an integer, a key in a table about people):
  not PII. Keys follow the labels' convention (bench/data/pii_recall_SOURCES.md: "ids, foreign keys and the source
  systems' own keys of a person are not PII", as ``creator int`` and ``supervisor bigint`` are labelled).

Conventions, checked against the dev rows of bench/data/pii_recall.csv and pii_labels.csv: a role before a part
makes the part the person's (``caller_name``, ``owner_name``, ``attendee_email``, ``sales_dev_leader_email``,
``technical_evaluator_phone__c`` are labelled PII); a role noun alone holding text is a person's name
(``supervisor`` in employees, ``leader`` in a department table, ``receiver`` of an invoice); an organisation's name
and phone are not (``SupplierName``, ``companyPhone``, ``channel_partner_name``). Nouns that name a person and a
thing or a firm alike are left out of both lists (driver, reader, consumer, worker, listener, operator, host,
executor, scheduler, dealer, contractor, developer, publisher, tenant, partner, parent, principal, courier, lender,
registry: a register of people or an office, and referrer: Matomo's ``referer_name``, the referring site, is
labelled not PII): their verdict is the table's, not the word's. Roles a firm may also play (a seller, an investor,
a receiver of an invoice) are roles: the labels count a party that may be a person or a company as a person (Odoo's
partners, easyVerein's receiver). ``handler`` stays a role: a ticket's or a case's handler is a person. ``provider``
is scored as an organisation in the neutral tables used here; in a clinical data model (OMOP's ``provider`` table,
labelled PII) it is a clinician. Compound roles (``loan_officer``, ``last_poster``) are split by the whole compound,
so a dev compound may share its head word with a held-out noun.

Each noun is split dev/heldout by the sha1 of the noun (``split_of``, a quarter held out); held-out nouns are
never tuned on (``--split heldout`` prints figures only). Column names are written in snake, camel, Pascal and
UPPER_SNAKE case. Printed per setting and part: cases, share called PII, and the share right (recall for PII
settings, kept non-PII for the others), and for PII settings the share with the part's own type.
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
from bench.pii_contexts import spellings as _spellings  # noqa: E402
from pii.classifier import classify_column  # noqa: E402
from pii.context import table_context  # noqa: E402
from pii.vocabulary import load_pii_config  # noqa: E402

# Nouns of a person's role (general knowledge; singular, snake_case for a role of two words).
ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    "occupation": (
        "accountant", "actor", "actress", "architect", "artist", "attorney", "auditor", "baker", "barber",
        "bartender", "bookkeeper", "butcher", "carpenter", "cashier", "chef", "cleaner", "clerk", "coach",
        "consultant", "cook", "dancer", "designer", "detective", "dietitian", "dispatcher", "economist",
        "electrician", "engineer", "farmer", "firefighter", "fisherman", "gardener", "hairdresser", "housekeeper",
        "inspector", "interpreter", "janitor", "journalist", "judge", "labourer", "laborer", "landlord", "landlady",
        "lawyer", "librarian", "lifeguard", "locksmith", "machinist", "mechanic", "musician", "nanny", "notary",
        "optician", "painter", "paralegal", "paramedic", "pharmacist", "photographer", "pilot", "plumber", "poet",
        "policeman", "politician", "porter", "postman", "priest", "programmer", "receptionist", "researcher",
        "sailor", "salesman", "saleswoman", "salesperson", "scientist", "secretary", "senator", "sheriff", "singer",
        "soldier", "solicitor", "surgeon", "surveyor", "tailor", "translator", "veterinarian", "waiter",
        "waitress", "welder", "writer", "pastor", "rabbi", "imam", "chaplain", "bailiff", "constable", "officer",
        "sergeant", "lieutenant", "marshal", "ranger", "steward", "stewardess", "caretaker", "concierge", "doorman",
        "chauffeur", "trucker", "mover", "packer", "storekeeper", "shopkeeper", "underwriter", "actuary", "adjuster",
        "appraiser", "assessor", "auctioneer", "valuer", "estimator", "foreman", "superintendent", "chairman",
        "chairperson", "chairwoman", "president", "treasurer", "founder", "cofounder", "investor", "shareholder",
        "stockholder", "stakeholder", "associate", "freelancer", "staffer", "analyst", "tester", "illustrator",
        "narrator", "transcriber", "proofreader", "videographer", "columnist", "correspondent", "commentator",
        "critic", "loan_officer", "sales_rep", "account_manager", "project_manager", "product_owner",
        "scrum_master", "team_lead", "case_worker", "social_worker", "first_responder", "store_manager",
        "site_supervisor", "field_technician", "claims_adjuster", "property_manager",
    ),
    "family_legal": (
        "son", "daughter", "brother", "sister", "husband", "wife", "fiance", "fiancee", "grandparent",
        "grandmother", "grandfather", "grandchild", "grandson", "granddaughter", "uncle", "aunt", "nephew", "niece",
        "cousin", "stepfather", "stepmother", "stepson", "stepdaughter", "godparent", "godfather", "godmother",
        "heir", "heiress", "widow", "widower", "orphan", "dependant", "testator", "executrix", "trustee", "trustor",
        "settlor", "grantor", "grantee", "assignor", "lessor", "lessee", "lodger", "occupant", "householder",
        "homeowner", "leaseholder", "licensee", "licensor", "mortgagor", "mortgagee", "guarantor", "cosigner",
        "surety", "obligor", "obligee", "remitter", "drawee", "endorser", "signatory", "cosignatory", "witness",
        "counsel", "advocate", "barrister", "appellant", "appellee", "petitioner", "complainant", "accused",
        "suspect", "victim", "offender", "perpetrator", "prisoner", "detainee", "parolee", "probationer", "juror",
        "arbitrator", "mediator", "magistrate", "prosecutor", "litigant", "deponent", "declarant", "affiant",
        "informant", "annuitant", "veteran", "immigrant", "emigrant", "migrant", "refugee", "asylee", "expatriate",
        "foreigner", "nominee", "delegate", "intermediary", "custodian", "conservator", "fiduciary", "adopter",
        "adoptee", "foster_parent", "legal_guardian", "next_of_kin", "emergency_contact", "power_of_attorney",
        "key_holder", "license_holder", "home_owner", "property_owner", "co_borrower", "co_applicant",
    ),
    "platform_workflow": (
        "admin", "moderator", "editor", "commenter", "poster", "assigner", "watcher", "follower", "receiver",
        "maintainer", "uploader", "blogger", "streamer", "influencer", "organizer", "organiser", "presenter",
        "panelist", "invitee", "inviter", "referee", "seller", "bidder", "winner", "gamer", "opponent",
        "teammate", "captain", "umpire", "scorer", "handler", "responder", "collaborator", "colleague", "coworker",
        "boss", "leader", "executive", "officer_in_charge", "interviewee", "hiree", "consignee", "consignor",
        "texter", "tourist", "pilgrim", "camper", "hiker", "diner", "patron", "renter", "viewer", "signee",
        "registrant", "entrant", "contestant", "awardee", "honoree", "laureate", "committer", "verifier",
        "escalation_contact", "last_poster", "original_poster", "last_editor", "last_commenter", "ticket_holder",
        "bill_to_contact", "ship_to_contact", "point_of_contact", "on_call_engineer", "approving_manager",
        "assigned_agent", "requesting_user", "account_owner", "delivery_driver", "recipient_contact",
    ),
    "education": (
        "tutor", "lecturer", "professor", "headteacher", "headmaster", "headmistress", "dean", "counselor",
        "counsellor", "advisor", "adviser", "examiner", "invigilator", "proctor", "grader", "mentor", "mentee",
        "trainer", "graduate", "undergraduate", "postgraduate", "alumnus", "alumna", "scholar", "fellow",
        "registrar", "chaperone", "classmate", "schoolmate", "roommate", "class_teacher", "head_teacher",
        "thesis_supervisor", "homeroom_teacher", "teaching_assistant",
    ),
    "health": (
        "surgeon", "midwife", "psychiatrist", "psychologist", "physiotherapist", "optometrist", "radiologist",
        "anesthetist", "anaesthetist", "anesthesiologist", "pediatrician", "paediatrician", "cardiologist",
        "oncologist", "dermatologist", "neurologist", "obstetrician", "gynecologist", "urologist", "pathologist",
        "nutritionist", "specialist", "hygienist", "chiropractor", "podiatrist", "audiologist", "sonographer",
        "phlebotomist", "medic", "doula", "caseworker", "psychotherapist", "vet", "prescriber", "orthodontist",
        "primary_physician", "referring_physician", "attending_physician", "care_coordinator", "case_manager",
        "home_carer", "surrogate", "organ_donor", "blood_donor",
    ),
}
ROLES: tuple[str, ...] = tuple(dict.fromkeys(n for nouns in ROLES_BY_KIND.values() for n in nouns))

# Things and abstractions whose nouns end as agent nouns do or take a name part (never a person): names only.
THINGS: tuple[str, ...] = (
    "folder", "layer", "parameter", "browser", "filter", "buffer", "header", "footer", "trigger", "counter",
    "timer", "adapter", "connector", "vector", "factor", "color", "colour", "error", "mirror", "motor", "reactor",
    "tractor", "elevator", "indicator", "calculator", "generator", "cylinder", "chapter", "quarter", "corner",
    "letter", "paper", "banner", "cover", "border", "tower", "river", "character", "register", "ledger",
    "compiler", "debugger", "loader", "installer", "launcher", "renderer", "parser", "tokenizer", "encoder",
    "decoder", "converter", "transformer", "formatter", "validator", "crawler", "resolver", "emulator",
    "simulator", "processor", "selector", "iterator", "accumulator", "descriptor", "identifier", "modifier",
    "qualifier", "specifier", "marker", "slider", "spinner", "tracker", "locker", "drawer", "binder", "sticker",
    "template", "dashboard", "report", "queue", "topic", "bucket", "table", "column", "field", "schema", "dataset",
    "file", "document", "widget", "plugin", "module", "package", "volume", "partition", "shard", "pipeline", "job",
    "task", "stage", "directory", "repository", "branch_ref", "class", "method", "function", "variable",
)
# Machines: a name, an address, an IP and a service login of their own (a camera's ONVIF account is labelled no
# person's), never a person's.
MACHINES: tuple[str, ...] = (
    "server", "printer", "router", "container", "scanner", "sensor", "monitor", "controller", "cluster",
    "database", "camera", "modem", "load_balancer", "virtual_machine", "vm", "mail_server", "smtp_server",
    "db_server", "web_server", "access_point", "storage_array", "hypervisor", "appliance", "thermostat",
    "robot", "drone", "vehicle_unit", "plc", "nas_device", "print_server", "file_server", "build_server",
)
# Organisations (an organisation's name, address and phone are not personal data).
ORGANISATIONS: tuple[str, ...] = (
    "carrier", "provider", "supplier", "vendor", "manufacturer", "distributor", "retailer", "wholesaler",
    "insurer", "bank", "company", "employer", "issuer", "acquirer", "exporter", "importer", "shipper", "forwarder",
    "agency", "university", "school", "hospital", "clinic", "pharmacy", "store", "merchant", "subsidiary",
    "affiliate", "advertiser", "brand", "bureau", "authority", "council", "ministry", "firm",
    "charity", "foundation", "institute", "laboratory", "warehouse", "factory", "airline", "hotel", "restaurant",
)

# PII parts after a role: (suffix, data type, expected type).
PARTS: tuple[tuple[str, str, str], ...] = (
    ("name", "varchar", "person_name"), ("full_name", "varchar", "person_name"),
    ("display_name", "varchar", "person_name"), ("first_name", "varchar", "person_name"),
    ("email", "varchar", "email"), ("email_address", "varchar", "email"), ("phone", "varchar", "phone"),
    ("phone_number", "varchar", "phone"), ("mobile", "varchar", "phone"), ("address", "varchar", "address"),
    ("home_address", "varchar", "address"), ("username", "varchar", "username"), ("ip", "varchar", "ip_address"),
    ("ip_address", "varchar", "ip_address"), ("birth_date", "date", "date_of_birth"),
    ("dob", "date", "date_of_birth"), ("age", "integer", "age"), ("gender", "varchar", "gender"),
)
# The same parts after a thing's noun (a thing has a name, a machine an address too; no contact fields).
THING_PARTS: tuple[tuple[str, str], ...] = (("name", "varchar"), ("full_name", "varchar"), ("display_name", "varchar"))
MACHINE_PARTS: tuple[tuple[str, str], ...] = (
    ("name", "varchar"), ("display_name", "varchar"), ("ip", "varchar"), ("ip_address", "varchar"),
    ("address", "varchar"), ("username", "varchar"),
)
ORG_PARTS: tuple[tuple[str, str], ...] = (
    ("name", "varchar"), ("display_name", "varchar"), ("phone", "varchar"), ("phone_number", "varchar"),
    ("address", "varchar"), ("fax", "varchar"),
)
# Columns about a role that hold none of its values: (template, data type).
ABOUT: tuple[tuple[str, str, str], ...] = (
    ("count", "{s}_count", "integer"), ("count", "num_{p}", "integer"), ("flag", "has_{s}", "boolean"),
    ("flag", "is_{s}", "boolean"), ("key", "{s}_id", "integer"), ("key", "{s}_ids", "array"),
    ("code", "{s}_type", "varchar"), ("code", "{s}_role", "varchar"), ("bare_key", "{s}", "integer"),
)

# Person-neutral tables the parts sit in, and tables about people for the bare role nouns.
TABLES = ("tickets", "posts", "invoices", "shipments", "cases", "documents", "claims", "appointments", "bookings",
          "incidents", "tasks", "transactions", "deliveries", "loans", "leases", "reviews", "meetings", "exams",
          "submissions", "requests", "visits", "filings", "stg_app__tickets", "fct_cases", "dim_document")
PEOPLE_TABLES = ("employees", "students", "patients", "members", "customers", "users", "dim_person",
                 "stg_hr__employees", "contacts", "persons")
# Tables about organisations, whose rows have people in roles (a department's leader, a club's treasurer).
ORGANISATION_TABLES = ("departments", "companies", "stores", "clubs", "schools", "branches", "dim_vendor",
                       "sys_dept", "organizations", "stg_erp__suppliers")
NEUTRAL_COLUMNS = ("id", "created_at", "status")


def split_of(noun: str) -> str:
    return hash_split(noun)


def plural(noun: str) -> str:
    """The English plural of a noun's last word (witness -> witnesses, secretary -> secretaries)."""
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith("man"):
        return noun[:-3] + "men"
    return noun + "s"


def _pick(options: tuple[str, ...], key: str) -> str:
    return options[hashlib.sha1(key.encode()).digest()[1] % len(options)]


@dataclass(frozen=True)
class Case:
    setting: str  # role, thing, org, about
    part: str  # the PII part or the kind of column about a role
    noun: str
    split: str
    table: str
    name: str
    data_type: str
    expected: str | None  # the expected PII type, None for not PII


def cases() -> Iterator[Case]:
    """Every generated column with its expected verdict."""
    for noun in ROLES:
        split = split_of(noun)
        for part, data_type, expected in PARTS:
            table = _pick(TABLES, noun + part)
            for spelling in _spellings(f"{noun}_{part}"):
                yield Case("role", part, noun, split, table, spelling, data_type, expected)
        table = _pick(PEOPLE_TABLES, noun)
        for spelling in _spellings(noun):
            yield Case("role", "bare", noun, split, table, spelling, "varchar", "person_name")
        if noun not in ROLES_BY_KIND["family_legal"]:
            table = _pick(ORGANISATION_TABLES, noun)
            for spelling in _spellings(noun):
                yield Case("role", "bare_org", noun, split, table, spelling, "varchar", "person_name")
        for kind, template, data_type in ABOUT:
            name = template.format(s=noun, p=plural(noun))
            table = _pick(PEOPLE_TABLES if kind == "bare_key" else TABLES, noun + template)
            for spelling in _spellings(name):
                yield Case("about", kind, noun, split, table, spelling, data_type, None)
    for setting, nouns, parts in (("thing", THINGS, THING_PARTS), ("machine", MACHINES, MACHINE_PARTS),
                                  ("org", ORGANISATIONS, ORG_PARTS)):
        for noun in nouns:
            split = split_of(noun)
            for part, data_type in parts:
                table = _pick(TABLES, noun + part)
                for spelling in _spellings(f"{noun}_{part}"):
                    yield Case(setting, part, noun, split, table, spelling, data_type, None)


def classify(config, case: Case) -> str | None:
    columns = [*NEUTRAL_COLUMNS, case.name]
    table = table_context(name=case.table, description=None, column_names=columns, config=config)
    return classify_column(name=case.name, data_type=case.data_type, description=None, meta={}, tags=(),
                           config=config, capsule_name=case.table, table=table).pii_type


def run(config, *, split: str = "all", only: list[Case] | None = None) -> dict:
    """Classify every case of the split (or the ``only`` ones): counts per (setting, part) and the wrong cases."""
    counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    wrong: dict[tuple[str, str], list[tuple[Case, str | None]]] = collections.defaultdict(list)
    for case in cases() if only is None else only:
        if split != "all" and case.split != split:
            continue
        got = classify(config, case)
        c = counts[(case.setting, case.part)]
        c["n"] += 1
        c["pii"] += got is not None
        c["right"] += (got is not None) == (case.expected is not None)
        c["typed"] += case.expected is not None and got == case.expected
        if (got is not None) != (case.expected is not None):
            wrong[(case.setting, case.part)].append((case, got))
    return {"counts": counts, "wrong": wrong}


def report(title: str, res: dict, *, quiet: bool, examples: int) -> None:
    counts, wrong = res["counts"], res["wrong"]
    print(f"\n== {title}")
    print(f"   {'setting':<8} {'part':<14} {'cases':>6}  {'PII':>6}  {'right':>6}  {'typed':>6}")
    totals: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for key in sorted(counts):
        totals[key[0]].update(counts[key])
        _line(*key, counts[key])
    for setting in sorted(totals):
        _line(setting, "(all)", totals[setting])
    if quiet:
        return
    for key in sorted(wrong):
        print(f"\n   {key[0]} / {key[1]}: {len(wrong[key])} wrong")
        for case, got in wrong[key][:examples]:
            print(f"     {case.name!r} ({case.data_type}) in {case.table!r}: expected {case.expected or '-'}, "
                  f"got {got or '-'}")


def _line(setting: str, part: str, c: collections.Counter) -> None:
    typed = f"{c['typed'] / c['n']:6.3f}" if setting == "role" else "     -"
    print(f"   {setting:<8} {part:<14} {c['n']:6}  {c['pii'] / c['n']:6.3f}  {c['right'] / c['n']:6.3f}  {typed}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None, help="PII config (default config/pii.yaml)")
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="dev")
    parser.add_argument("--quiet", action="store_true", help="figures only, no wrong cases listed")
    parser.add_argument("--examples", type=int, default=6, help="wrong cases listed per setting and part")
    args = parser.parse_args(argv)
    config = load_pii_config(args.config)
    quiet = args.quiet or args.split != "dev"  # held-out nouns are never read to choose fixes
    report(f"people by their role, {args.split} nouns", run(config, split=args.split), quiet=quiet,
           examples=args.examples)


if __name__ == "__main__":
    main()
