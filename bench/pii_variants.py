"""How the PII classifier's verdict holds when a labelled column's name is spelled another way.

    python bench/pii_variants.py [--labels bench/data/pii_recall.csv] [--split dev|heldout] [--quiet]
                                 [--kinds case,nest,abbrev,owner] [--examples 8]

Each labelled row (both label files by default) is respelled by rules that keep what the column holds, and every
respelling is classified in the row's own table (same table context, data type and description as the row):

- ``case:*``: the name's words in snake_case, camelCase, PascalCase, kebab-case, Title-Kebab, UPPER_SNAKE,
  "Title Case With Spaces", dotted (``home.phone``) and glued lower case (``homephone``; not for a name with a
  one-letter word, ``c_first_name``);
- ``nest:*``: the name under a path: ``data.attributes.``, ``payload__``, ``record['...']`` and, on PII rows only
  (an object naming a person makes its fields that person's), ``profile.`` and ``contact['...']``;
- ``abbrev:*``: the name with its words abbreviated as data models write them (``ABBREVIATIONS`` below, from
  general knowledge, the ones in common use: customer cust, number no/num/nbr, address addr, telephone tel...):
  ``abbrev:word`` one word at a time, each of its abbreviations, ``abbrev:all`` every word that has one at once,
  ``abbrev:phrase`` a whole phrase (social security soc_sec, date of birth dob);
- ``owner:*``: whose the value is, before it (``home_``, ``work_``, ``primary_``, ``billing_``,
  ``emergency_contact_``; after a flag's ``is``/``has``: ``has_home_phone``), for names holding a contact or location
  word (``CONTACT_WORDS``: an owner before a bare ``first`` or ``token`` says nothing anyone writes). A non-PII row
  gets an owner only when it has two words or more; ``emergency_contact_`` only on PII rows (it makes a value a
  person's).

Per kind it prints how many respellings keep the row's own verdict (is PII or not) and the is-PII precision and
recall of the respellings against the row's label (the rows' own figures first, for reference). Without
``--quiet`` it also lists, per kind, a few respellings whose verdict differs from their row's (dev split only:
held-out rows are never read to choose fixes, so ``--split heldout`` always prints figures only).
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pii_eval import LABELS, RECALL, _prf, _tables, read_labels  # noqa: E402
from pii.classifier import classify_column  # noqa: E402
from pii.vocabulary import load_pii_config  # noqa: E402

# Common data-modelling abbreviations (general knowledge, not read off any labelled row): word -> its spellings.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "customer": ("cust",), "client": ("clnt", "cli"), "number": ("no", "num", "nbr"), "name": ("nm",),
    "address": ("addr", "adr"), "phone": ("ph",), "telephone": ("tel", "tele"), "license": ("lic",),
    "licence": ("lic",), "driver": ("drv", "drvr"), "drivers": ("drv",), "date": ("dt",), "birth": ("brth",),
    "first": ("fst", "frst"), "last": ("lst",), "middle": ("mid", "mdl"), "employee": ("emp", "empl"),
    "account": ("acct", "acc"), "mobile": ("mob",), "identifier": ("id", "ident"), "email": ("eml",),
    "street": ("st", "str"), "postal": ("pstl",), "code": ("cd",), "gender": ("gndr",),
    "description": ("desc",), "person": ("pers",), "patient": ("pat", "pt"), "member": ("mbr",),
    "contact": ("cntct",), "emergency": ("emerg",), "secondary": ("sec",), "primary": ("pri", "prim"),
    "social": ("soc",), "security": ("sec",), "insurance": ("ins",), "national": ("natl", "nat"),
    "password": ("pwd", "pswd"), "user": ("usr",), "country": ("cntry",), "latitude": ("lat",),
    "longitude": ("lon", "lng"), "location": ("loc",), "reference": ("ref",), "amount": ("amt",),
    "quantity": ("qty",), "count": ("cnt",), "status": ("stat",), "message": ("msg",),
    "department": ("dept",), "organization": ("org",), "organisation": ("org",), "company": ("co",),
    "manager": ("mgr",), "supervisor": ("supv",), "nationality": ("natl",), "religion": ("relig",),
    "height": ("ht",), "weight": ("wt",), "diagnosis": ("dx",), "prescription": ("rx",), "medical": ("med",),
    "record": ("rec",), "transaction": ("txn",), "payment": ("pmt",), "verification": ("verif",),
    "timestamp": ("ts",), "identification": ("ident",), "document": ("doc",), "signature": ("sig",),
    "device": ("dev",), "mailing": ("mail",), "office": ("ofc",), "cellular": ("cell",), "family": ("fam",),
    "beneficiary": ("bene",), "applicant": ("appl",), "student": ("stu", "stdnt"), "subscriber": ("subscr",),
    "expiration": ("exp",), "expiry": ("exp",), "province": ("prov",), "line": ("ln",),
}
# Phrases that data models abbreviate as a whole.
PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("social", "security", "number"): ("soc_sec_no", "ssn"), ("social", "security"): ("soc_sec",),
    ("date", "of", "birth"): ("dob", "birth_dt", "brth_dt"), ("birth", "date"): ("dob", "brth_dt"),
    ("birthdate",): ("dob",), ("first", "name"): ("fname", "fst_nm"), ("last", "name"): ("lname", "lst_nm"),
    ("middle", "name"): ("mname", "mid_nm"), ("phone", "number"): ("ph_no", "phone_no", "phn_num"),
    ("email", "address"): ("eml_addr", "email_addr"), ("drivers", "license"): ("drv_lic", "dl"),
    ("driver", "license"): ("drv_lic", "dl"), ("zip", "code"): ("zip_cd",), ("postal", "code"): ("pstl_cd",),
    ("ip", "address"): ("ip_addr",), ("street", "address"): ("st_addr", "str_addr"),
    ("telephone", "number"): ("tel_no",), ("mobile", "number"): ("mob_no",), ("account", "number"): ("acct_no",),
    ("credit", "card"): ("cc",), ("card", "number"): ("card_no",), ("full", "name"): ("full_nm",),
}
OWNERS = ("home", "work", "primary", "billing", "emergency_contact")
# Objects that name a person (a profile, a contact): a value under them is that person's, so a non-PII row nested
# under one may become PII (a supplier's contact['name'] is its contact person's): PII rows only, as
# emergency_contact_ is. Storage objects (data.attributes, payload, record) say nothing of whose it is: every row.
PERSON_NESTS = frozenset({"profile", "contact"})
# Whose a value is matters for contact and location values: an owner prefix goes only before a name holding one
# of these words (home_phone, billing_email_opt_in_count), never before a bare first or token (home_first).
CONTACT_WORDS = frozenset({"phone", "telephone", "tel", "mobile", "cell", "fax", "email", "mail", "address", "addr",
                           "street", "zip", "zipcode", "postal", "postcode", "latitude", "longitude", "lat", "lng",
                           "lon", "location", "city"})
FLAG_WORDS = frozenset({"is", "has", "was", "can", "should", "allow", "allows"})

_SPLIT_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def words_of(name: str) -> list[str]:
    """The name's words as it writes them apart (snake, camel, kebab, spaces, digits), lower case; glued words
    stay glued. Independent of pii/tokens.py, so the respellings do not test the tokeniser against itself."""
    return [w.lower() for chunk in re.split(r"[^A-Za-z0-9]+", name) for w in _SPLIT_RE.findall(chunk)]


def _style(name: str) -> Callable[[list[str]], str]:
    """How the original name joins its words, to write an abbreviated or owned name the same way."""
    if "_" in name or not re.search(r"[a-z][A-Z]", name):
        return (lambda ws: "_".join(ws).upper()) if name.isupper() else "_".join
    return CASES["pascal"] if name[:1].isupper() else CASES["camel"]


CASES: dict[str, Callable[[list[str]], str]] = {
    "snake": "_".join,
    "camel": lambda ws: ws[0] + "".join(w.capitalize() for w in ws[1:]),
    "pascal": lambda ws: "".join(w.capitalize() for w in ws),
    "kebab": "-".join,
    "title_kebab": lambda ws: "-".join(w.capitalize() for w in ws),
    "upper_snake": lambda ws: "_".join(ws).upper(),
    "title_spaces": lambda ws: " ".join(w.capitalize() for w in ws),
    "dotted": ".".join,
    "glued": "".join,
}
NESTS: dict[str, Callable[[str], str]] = {
    "profile": lambda n: f"profile.{n}",
    "data_attributes": lambda n: f"data.attributes.{n}",
    "payload__": lambda n: f"payload__{n}",
    "contact": lambda n: f"contact['{n}']",
    "record": lambda n: f"record['{n}']",
}


def _abbreviations(ws: list[str]) -> Iterator[tuple[str, list[str]]]:
    for i, word in enumerate(ws):
        for short in ABBREVIATIONS.get(word, ()):
            yield "word", ws[:i] + short.split("_") + ws[i + 1:]
    if sum(word in ABBREVIATIONS for word in ws) > 1:
        yield "all", [part for word in ws for part in (ABBREVIATIONS[word][0].split("_") if word in ABBREVIATIONS
                                                       else [word])]
    for phrase, shorts in PHRASES.items():
        n = len(phrase)
        for i in range(len(ws) - n + 1):
            if tuple(ws[i:i + n]) == phrase:
                for short in shorts:
                    yield "phrase", ws[:i] + short.split("_") + ws[i + n:]


def variants(name: str, pii: bool) -> Iterator[tuple[str, str]]:
    """(kind, respelled name) for one labelled name; the same string is given once per kind, never the name."""
    ws = words_of(name)
    if not ws:
        return
    seen: set[tuple[str, str]] = set()

    def out(kind: str, new: str) -> Iterator[tuple[str, str]]:
        if new != name and (kind, new) not in seen:
            seen.add((kind, new))
            yield kind, new

    nested = bool(re.search(r"[^A-Za-z0-9_ -]", name))  # already a path or punctuated: respelled as nested only
    if not nested:
        for kind, join in CASES.items():
            if kind == "dotted" and len(ws) < 2 or kind == "glued" and any(len(w) == 1 for w in ws):
                continue  # one letter glued to words (c_first_name: cfirstname) is no spelling anyone reads
            yield from out(f"case:{kind}", join(ws))
    for kind, wrap in NESTS.items():
        if pii or kind not in PERSON_NESTS:
            yield from out(f"nest:{kind}", wrap(name))
    if nested:
        return
    style = _style(name)
    for kind, new in _abbreviations(ws):
        yield from out(f"abbrev:{kind}", style(new))
    if any(word in CONTACT_WORDS for word in ws) and (pii or len(ws) > 1):
        flag = 1 if ws[0] in FLAG_WORDS and len(ws) > 1 else 0
        for owner in OWNERS:
            if ws[flag] == owner.split("_")[0] or (owner == "emergency_contact" and not pii):
                continue
            yield from out(f"owner:{owner}", style(ws[:flag] + owner.split("_") + ws[flag:]))


def run(rows: list[dict], config, *, kinds: set[str] | None = None, tables: dict | None = None) -> dict:
    """Classify every row and its respellings; counts per kind (binary tp/fp/fn/tn and kept) and the flips. Each
    table's context is read from its labelled columns (``tables``: all of the file's, as bench/pii_eval.py does)."""
    tables = _tables(rows, config) if tables is None else tables
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    flips: dict[str, list[tuple[dict, str, str | None, str | None]]] = collections.defaultdict(list)

    def verdict(row: dict, name: str) -> str | None:
        return classify_column(name=name, data_type=row["data_type"] or None, description=row["description"] or None,
                               meta={}, tags=(), config=config, capsule_name=row["capsule_name"] or None,
                               table=tables.get(row["source"])).pii_type

    for row in rows:
        label = bool(row["label_pii_type"])
        own = verdict(row, row["column_name"])
        _count(counts["(rows themselves)"], label, own is not None, True)
        for kind, new in variants(row["column_name"], label):
            if kinds and kind.split(":")[0] not in kinds:
                continue
            got = verdict(row, new)
            kept = (got is not None) == (own is not None)
            _count(counts[kind], label, got is not None, kept)
            if not kept:
                flips[kind].append((row, new, own, got))
    return {"counts": counts, "flips": flips}


def _count(c: collections.Counter, label: bool, pred: bool, kept: bool) -> None:
    c["n"] += 1
    c["kept"] += kept
    c["tp" if label and pred else "fp" if pred else "fn" if label else "tn"] += 1


def report(title: str, res: dict, *, quiet: bool, examples: int) -> None:
    counts, flips = res["counts"], res["flips"]
    print(f"\n== {title}")
    print(f"   {'kind':<22} {'variants':>8} {'PII':>6} {'kept':>7}   {'P':>5}  {'R':>5}   (tp/fp/fn)")
    total = collections.Counter()
    for kind in sorted(counts, key=lambda k: (k != "(rows themselves)", k)):
        c = counts[kind]
        if kind != "(rows themselves)":
            total.update(c)
        _line(kind, c)
    _line("all respellings", total)
    if quiet:
        return
    for kind in sorted(flips):
        print(f"\n   {kind}: {len(flips[kind])} respellings change their row's verdict")
        for row, new, own, got in flips[kind][:examples]:
            print(f"     {row['column_name']!r} -> {new!r} in {row['capsule_name']}: label "
                  f"{row['label_pii_type'] or '-'}, row {own or '-'}, respelled {got or '-'}")


def _line(kind: str, c: collections.Counter) -> None:
    p, r, _ = _prf(c["tp"], c["fp"], c["fn"])
    kept = c["kept"] / c["n"] if c["n"] else 1.0
    print(f"   {kind:<22} {c['n']:8} {c['tp'] + c['fn']:6} {kept:7.3f}   {p:.3f}  {r:.3f}   "
          f"({c['tp']}/{c['fp']}/{c['fn']})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None, help="PII config (default config/pii.yaml)")
    parser.add_argument("--labels", default=None, help="one label file (default: pii_labels.csv and pii_recall.csv)")
    parser.add_argument("--split", choices=["dev", "heldout"], default="dev")
    parser.add_argument("--quiet", action="store_true", help="figures only, no respellings listed")
    parser.add_argument("--kinds", default=None, help="only these kinds (comma-separated: case,nest,abbrev,owner)")
    parser.add_argument("--examples", type=int, default=8, help="respellings listed per kind without --quiet")
    args = parser.parse_args(argv)
    config = load_pii_config(args.config)
    kinds = set(args.kinds.split(",")) if args.kinds else None
    quiet = args.quiet or args.split == "heldout"  # held-out respellings are never read to choose fixes
    for path in [Path(args.labels)] if args.labels else [LABELS, RECALL]:
        every = read_labels(path)
        rows = [r for r in every if r["split"] == args.split]
        res = run(rows, config, kinds=kinds, tables=_tables(every, config))
        report(f"{path.name}, {args.split} split: {len(rows)} rows", res, quiet=quiet, examples=args.examples)


if __name__ == "__main__":
    main()
