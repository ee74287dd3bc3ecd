"""A generated measure of tables of things, firms and a person's things: columns that would be PII in a table of
people, placed in tables that are not about people.

    python bench/pii_things.py [--split dev|heldout|all] [--quiet] [--examples 6]

bench/pii_contexts.py measures a bare ``name`` or ``phone`` in tables named after things; it does not score a firm's
email (its guide names name, address and phone) nor a table named after a thing of a person (``employee_skills``). This
bench does, with the conventions of bench/data/pii_recall_SOURCES.md ("How the labels were made" and round 5: an
organisation's own mailboxes, numbers and offices are not PII; a CRM account that is a company has no PII in its
name, email, phone and address; a contact person's name is PII wherever it sits):

- ``f:name``: a table named after a firm (``FIRM_NOUNS``: companies, suppliers, departments, clinics..., written as
  ``pii_contexts`` writes things' tables) holding its own ``email``, ``email_address``, ``e_mail`` and ``legal_name``:
  not PII. Stays PII there: ``contact_email``, ``contact_name``, ``owner_email``, ``manager_name``;
- ``f:columns``: a neutral name (``records``, ``t1``) whose columns hold a number or a fact only an organisation has
  (``ogrn``, ``siret``, ``duns``, ``employee_count``, ``industry``) beside the same email columns: not PII;
- ``p:firm-columns`` (control, PII): a table named after people with a column an organisation also has (``users``
  with an ``industry``, ``employees`` with a ``department``, ``customers`` with a ``company_name``): its email and
  legal name stay the person's;
- ``t:name``: a table named after a thing of a person (``THING_NOUNS``: ``employee_skills``, ``hr_member_trainings``,
  ``stg_hr__staff_examinations``): its bare ``name``, ``display_name`` and ``title`` are the thing's, not PII; stays
  PII there: ``{person}_name``, ``first_name``, ``last_name`` (the person's, denormalised onto the row);
- ``s:description``: a table of settings or templates (``mail_template``, ``notification_settings``) whose column
  only its description calls an address or a phone ("Comma separated addresses that get a blind copy"): the
  keeper's own, not PII; ``p:description`` (control, PII): the same columns and descriptions in tables of people;
- ``g:statistics``: a table of statistics per group (``gender_stats``, ``fct_age_distribution``): its given name,
  surname and trait columns are the group's key, not PII; ``p:statistics`` (control, PII): a table of each person's
  statistics (``user_stats``);
- ``p:record`` (control, PII): a table named after a person's own record (``RECORD_NOUNS``: ``customer_profiles``,
  ``user_directory``, ``member_addresses``): its bare ``name`` and ``display_name`` are the person's.

Nouns are split by the sha1 of the noun (about a quarter held out, as bench/pii_contexts.py does): the word lists in
config/pii.yaml hold dev nouns only, so the held-out nouns measure what a mechanism does past the words it was given
(``--split heldout`` prints figures only; the statistics nouns, written with their mechanism, are always dev). It
prints, per setting and column kind, the share read as PII: a false-positive rate for ``f:*``, ``g:*``, ``s:*`` and
``t:*`` (0 is right) and recall for the controls and the columns that stay PII (1 is right).
"""

from __future__ import annotations

import argparse
import collections
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pii_contexts import THING_STYLES, _style, hash_split  # noqa: E402
from bench.pii_contexts import spellings as _spellings  # noqa: E402
from pii.classifier import classify_column  # noqa: E402
from pii.context import table_context  # noqa: E402
from pii.vocabulary import load_pii_config  # noqa: E402

# Firms (general knowledge): (singular, plural, their own columns).
FIRM_NOUNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("company", "companies", ("website", "vat")), ("supplier", "suppliers", ("supplier_code", "payment_terms")),
    ("vendor", "vendors", ("vendor_code", "currency")), ("department", "departments", ("cost_center", "parent_id")),
    ("division", "divisions", ("code", "parent_id")), ("agency", "agencies", ("agency_code", "region")),
    ("clinic", "clinics", ("clinic_code", "opening_hours")), ("hospital", "hospitals", ("bed_count", "region")),
    ("pharmacy", "pharmacies", ("license_no", "opening_hours")), ("bank", "banks", ("swift_code", "country_code")),
    ("institution", "institutions", ("institution_type", "website")), ("school", "schools", ("district_code",
                                                                                            "website")),
    ("university", "universities", ("website", "country_code")), ("manufacturer", "manufacturers", ("website",
                                                                                                    "country_code")),
    ("distributor", "distributors", ("territory", "website")), ("carrier", "carriers", ("scac", "website")),
    ("courier", "couriers", ("service_level", "website")), ("shipper", "shippers", ("website", "region")),
    ("merchant", "merchants", ("mcc", "website")), ("retailer", "retailers", ("channel", "website")),
    ("wholesaler", "wholesalers", ("region", "website")), ("store", "stores", ("store_number", "square_feet")),
    ("shop", "shops", ("shop_code", "opening_hours")), ("restaurant", "restaurants", ("cuisine", "website")),
    ("hotel", "hotels", ("star_rating", "website")), ("branch", "branches", ("branch_code", "region")),
    ("office", "offices", ("office_code", "region")), ("firm", "firms", ("website", "practice_area")),
    ("enterprise", "enterprises", ("website", "segment")), ("organisation", "organisations", ("website", "org_type")),
    ("organization", "organizations", ("website", "org_type")), ("insurer", "insurers", ("website", "license_no")),
    ("laboratory", "laboratories", ("accreditation", "website")), ("embassy", "embassies", ("country_code",
                                                                                             "website")),
    ("ministry", "ministries", ("website", "portfolio")), ("charity", "charities", ("charity_number", "website")),
    ("foundation", "foundations", ("website", "endowment")), ("publisher", "publishers", ("website", "imprint")),
    ("airline", "airlines", ("iata_code", "website")), ("brokerage", "brokerages", ("website", "license_no")),
    ("empresa", "empresas", ("sitio_web", "sector")), ("fornecedor", "fornecedores", ("codigo", "site")),
    ("fournisseur", "fournisseurs", ("siret", "site_web")), ("Lieferant", "Lieferanten", ("lieferantennummer",
                                                                                            "webseite")),
    ("azienda", "aziende", ("partita_iva", "sito_web")), ("leverancier", "leveranciers", ("website", "kvk")),
)
FIRM_OWN = ("email", "email_address", "e_mail", "legal_name", "license_no")
FIRM_STAYS = ("contact_email", "contact_name", "owner_email", "manager_name")
NEUTRAL_NAMES = ("records", "t1", "stg_app__records", "raw_data", "tbl_main", "export_rows")
ORGANISATION_FACTS = (("ogrn",), ("siret",), ("duns",), ("employee_count", "website"), ("industry", "website"),
                      ("annual_revenue",), ("kpp", "inn"), ("lei",))
# Tables about people with a column an organisation also has (their own people's employer, department, company).
PEOPLE_WITH_FIRM_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("users", ("industry",)), ("employees", ("department",)), ("customers", ("company_name",)),
    ("dim_contacts", ("company", "industry")), ("stg_crm__leads", ("company_name", "employee_count")),
    ("members", ("organisation",)), ("staff", ("department", "division")), ("patients", ("employer",)),
)
PERSON_OWN = ("email", "email_address", "e_mail", "legal_name")

# Things of a person that whoever keeps the table names (general knowledge): its bare name is the thing's. (Not
# relations: a table of them may list the relatives themselves.)
THING_NOUNS: tuple[tuple[str, str], ...] = (
    ("examination", "examinations"), ("exam", "exams"), ("test", "tests"), ("assessment", "assessments"),
    ("training", "trainings"), ("lesson", "lessons"), ("certification", "certifications"),
    ("qualification", "qualifications"), ("skill", "skills"), ("competency", "competencies"),
    ("language", "languages"), ("trip", "trips"), ("tour", "tours"), ("route", "routes"),
    ("task", "tasks"), ("goal", "goals"), ("objective", "objectives"), ("milestone", "milestones"),
    ("benefit", "benefits"), ("award", "awards"), ("badge", "badges"), ("achievement", "achievements"),
    ("reward", "rewards"), ("tag", "tags"), ("topic", "topics"), ("interest", "interests"), ("hobby", "hobbies"),
    ("position", "positions"), ("job", "jobs"), ("vacancy", "vacancies"), ("shift", "shifts"),
    ("holiday", "holidays"), ("allowance", "allowances"), ("deduction", "deductions"), ("module", "modules"),
    ("workshop", "workshops"), ("seminar", "seminars"), ("playlist", "playlists"), ("collection", "collections"),
)
# A person's own record: its bare name is the person's (general knowledge; the control of ``t:name``).
RECORD_NOUNS: tuple[tuple[str, str], ...] = (
    ("profile", "profiles"), ("detail", "details"), ("info", "info"), ("directory", "directory"),
    ("address", "addresses"), ("identity", "identities"), ("summary", "summary"), ("master", "master"),
    ("list", "list"), ("roster", "roster"), ("register", "register"), ("history", "history"),
    ("snapshot", "snapshots"), ("export", "export"), ("data", "data"), ("record", "records"),
)
# Tables of settings or templates (general knowledge) and columns a description alone calls an address or a phone:
# the keeper's own (``s:description``); the same columns and descriptions in a table of people stay PII
# (``p:description``).
SETTING_TABLES = ("mail_template", "mails_mailtemplate", "notification_settings", "email_config", "sms_settings",
                  "invoice_template", "alert_rules", "report_layout", "letter_format", "smtp_configuration",
                  "stg_app__webhook_config", "reminder_setting", "dim_message_template", "helpdesk_queue_settings",
                  "newsletter_templates", "shipping_label_format")
PEOPLE_TABLES = ("users", "customers", "members", "employees", "stg_crm__contacts", "patients")
DESCRIBED: tuple[tuple[str, str], ...] = (
    ("reply_to", "Reply-To address of the mails sent"), ("bcc", "Comma separated addresses that get a blind copy"),
    ("sender", "Sender address"), ("destination", "Phone number the text messages are sent to"),
    ("fallback", "Mailing address used when none is given"), ("footer_line", "Street and house number"),
    ("target", "Telephone number to call"), ("copy_to", "Email address to copy"),
)
# Tables of statistics per group (general knowledge): what each row counts, then the statistics word. Their name and
# trait columns are a group's key (``g:statistics``, not PII); in a table of each person's statistics (``user_stats``)
# they stay PII (``p:statistics``). (Not metrics: a table of metrics may hold one row per person.)
GROUPS = ("gender", "name", "age", "daily", "cohort", "survey", "enrollment", "baby_names", "ethnicity", "segment")
STATISTICS_NOUNS = (("stats", "stat"), ("statistics", "statistic"), ("distribution", "distribution"),
                    ("frequencies", "frequency"), ("aggregates", "aggregate"), ("histogram", "histogram"),
                    ("breakdown", "breakdown"), ("tally", "tally"), ("counts", "count"))
GROUP_KEYS = ("given_name", "first_name", "surname", "gender", "age", "ethnicity", "nationality", "marital_status")
PERSON_STATISTICS = ("user_stats", "customer_statistics", "patient_stats", "member_metrics", "employee_stats")
PERSON_MODIFIERS = ("employee", "member", "staff", "customer", "user", "patient", "student", "volunteer")
THING_STYLES_OF_PERSON = ("{o}_{p}", "hr_{o}_{s}", "stg_hr__{o}_{p}", "{O}{S}", "dim_{o}_{s}")
THING_OWN = ("name", "display_name")
THING_STAYS = ("{o}_name", "first_name", "last_name")


@dataclass(frozen=True)
class Case:
    setting: str
    split: str
    table: str
    siblings: tuple[str, ...]
    column: str  # as written
    kind: str  # own (the thing's or the firm's) or stays (a person's wherever it sits)
    expected: bool
    description: str | None = None


# Nouns written together with the mechanism that reads them (table_context.statistics_words was written before this
# bench's nouns): never held out.
TUNED = frozenset({"stat", "statistic", "aggregate", "distribution", "frequency", "histogram", "breakdown", "tally",
                   "count"})


def split_of(noun: str) -> str:
    return hash_split(noun, TUNED)


def _of_person(template: str, o: str, s: str, p: str) -> str:
    return template.format(o=o, s=s, p=p, O=o.capitalize(), S=s[:1].upper() + s[1:])


def cases() -> Iterator[Case]:
    """Every generated (table, column) with its expected verdict."""
    for s, p, own in FIRM_NOUNS:
        split = split_of(s)
        for template in THING_STYLES:
            table = _style(template, s, p)
            for column, kind in [*((c, "own") for c in FIRM_OWN), *((c, "stays") for c in FIRM_STAYS)]:
                for spelling in _spellings(column):
                    yield Case("f:name", split, table, ("id", "name", *own), spelling, kind, kind == "stays")
    for facts in ORGANISATION_FACTS:
        split = split_of("+".join(facts))
        for table in NEUTRAL_NAMES:
            for column in FIRM_OWN:
                for spelling in _spellings(column):
                    yield Case("f:columns", split, table, ("id", "name", *facts), spelling, "own", False)
    for table, firm_columns in PEOPLE_WITH_FIRM_COLUMNS:
        split = split_of(table)
        for column in PERSON_OWN:
            for spelling in _spellings(column):
                yield Case("p:firm-columns", split, table, ("id", "created_at", *firm_columns), spelling, "own", True)
    for p, s in STATISTICS_NOUNS:
        split = split_of(s)
        for group in GROUPS:
            for table in (f"{group}_{p}", f"fct_{group}_{s}"):
                for column in GROUP_KEYS:
                    for spelling in _spellings(column):
                        yield Case("g:statistics", split, table, ("id", "total", "share"), spelling, "own", False)
    for table in PERSON_STATISTICS:
        split = split_of(table)
        for column in GROUP_KEYS:
            for spelling in _spellings(column):
                yield Case("p:statistics", split, table, ("id", "total", "share"), spelling, "own", True)
    for table in SETTING_TABLES:
        split = split_of(table)
        for column, description in DESCRIBED:
            yield Case("s:description", split, table, ("id", "name", "subject", "created_at"), column, "own", False,
                       description)
    for table in PEOPLE_TABLES:
        split = split_of(table)
        for column, description in DESCRIBED:
            yield Case("p:description", split, table, ("id", "created_at"), column, "own", True, description)
    for nouns, setting, columns in ((THING_NOUNS, "t:name", THING_OWN), (RECORD_NOUNS, "p:record", THING_OWN)):
        for s, p in nouns:
            split = split_of(s)
            for o in PERSON_MODIFIERS:
                for template in THING_STYLES_OF_PERSON:
                    table = _of_person(template, o, s, p)
                    siblings = ("id", f"{o}_id", "created_at")
                    for column in columns:
                        for spelling in _spellings(column):
                            yield Case(setting, split, table, siblings, spelling, "own", setting == "p:record")
                    if setting == "t:name":
                        for column in THING_STAYS:
                            for spelling in _spellings(column.format(o=o)):
                                yield Case(setting, split, table, siblings, spelling, "stays", True)


def run(config, *, split: str = "all") -> dict:
    """Classify every case of the split; counts per (setting, kind) and the wrong cases."""
    counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    wrong: dict[tuple[str, str], list[tuple[Case, str | None]]] = collections.defaultdict(list)
    for case in cases():
        if split != "all" and case.split != split:
            continue
        columns = [*case.siblings, case.column]
        table = table_context(name=case.table, description=None, column_names=columns, config=config)
        got = classify_column(name=case.column, data_type="varchar", description=case.description, meta={}, tags=(),
                              config=config, capsule_name=case.table, table=table).pii_type
        key = (case.setting, case.kind)
        counts[key]["n"] += 1
        counts[key]["pii"] += got is not None
        if (got is not None) != case.expected:
            wrong[key].append((case, got))
    return {"counts": counts, "wrong": wrong}


def report(title: str, res: dict, *, quiet: bool, examples: int) -> None:
    counts, wrong = res["counts"], res["wrong"]
    print(f"\n== {title}")
    print(f"   {'setting':<16} {'kind':<6} {'cases':>6}  {'measure':<9} {'value':>6}")
    for key in sorted(counts):
        setting, kind = key
        c = counts[key]
        rate = c["pii"] / c["n"] if c["n"] else 0.0
        fp = setting[0] in "fgst" and kind == "own"
        print(f"   {setting:<16} {kind:<6} {c['n']:6}  {'FP rate' if fp else 'recall':<9} {rate:6.3f}")
    if quiet:
        return
    for key in sorted(wrong):
        print(f"\n   {key[0]} / {key[1]}: {len(wrong[key])} wrong")
        for case, got in wrong[key][:examples]:
            print(f"     {case.column!r} in {case.table!r} (siblings {', '.join(case.siblings)}; description "
                  f"{case.description!r}): expected "
                  f"{'PII' if case.expected else '-'}, got {got or '-'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None, help="PII config (default config/pii.yaml)")
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="dev")
    parser.add_argument("--quiet", action="store_true", help="figures only, no wrong cases listed")
    parser.add_argument("--examples", type=int, default=6, help="wrong cases listed per setting and kind")
    args = parser.parse_args(argv)
    config = load_pii_config(args.config)
    quiet = args.quiet or args.split != "dev"  # held-out nouns are never read to choose fixes
    report(f"tables of things and firms, {args.split} nouns", run(config, split=args.split), quiet=quiet,
           examples=args.examples)


if __name__ == "__main__":
    main()
