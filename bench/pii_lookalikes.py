"""Columns ABOUT a PII value that do not hold it: how many the classifier leaves non-PII.

    python bench/pii_lookalikes.py [--labels bench/data/pii_recall.csv] [--split dev|heldout] [--quiet]
                                   [--examples 6] [--no-respelled] [--untyped]

From every labelled PII row (both label files by default, one split at a time), names are derived that talk about
the row's value without holding it, each labelled non-PII and classified in the row's own table (same table
context and source; no description, the data type the derivation has). The row's own name words are used, joined
the way the row joins them (snake, UPPER_SNAKE, camel, Pascal):

- ``flag:*`` (boolean): ``has_X``, ``is_X_verified``, ``X_verified``, ``X_is_valid``, ``X_consent``, ``no_X``;
  ``X_opt_in`` and ``X_bounced`` for contact values only (email, phone, address);
- ``count:*`` (integer, float): ``X_count``, ``num_X``, ``n_X``, ``count_distinct_X``, ``pct_X_missing``,
  ``X_fill_rate``; ``avg_X`` and ``median_X`` only for a row whose data type is numeric (an average of names is
  nobody's name, but no schema writes one);
- ``time:*`` (timestamp): ``X_verified_at``, ``X_updated_at``, ``X_changed_on``; ``X_valid_until`` for values that
  are no document (an identity document's or a card's expiry date is part of the document's data);
- ``meta:*`` (varchar, integer): ``X_status``, ``X_type``, ``X_kind``, ``X_source``, ``X_format``, ``X_label``,
  ``X_length``;
- ``quality:*`` (data-quality columns, boolean, varchar, float): ``X_is_null``, ``X_present``, ``X_populated``,
  ``X_error``, ``X_match_score``;
- ``value:*``, a control labelled PII (the row's value itself, which a precision fix must not lose): ``X_hash``
  (pseudonymised data is personal data), ``X_encrypted``, ``X_normalized``, ``X_2`` (a second value), for value
  types and gender.

Left out, because they are personal data or arguably so (the guide in bench/data/pii_recall_SOURCES.md): a card's
last four digits, an email's domain (the config calls it no PII; a company's own domain may name a one-person
firm); a hash of the value is personal data (pseudonymised) and is derived only as a ``value:*`` control. Rows of
attribute types (gender, ethnicity, religion...: ``kind: attribute`` in config/pii.yaml) get no ``meta:*`` kind and
no ``no_X`` (a ``religion_label`` or a ``no_religion`` flag is the value), and of ``value:*`` only gender's; health
and biometric rows get none at all (a flag or a count of a condition per patient is that patient's health data).
Rows whose name is already a flag (``is_``, ``has_``...) or a nested path are skipped; a derived name that is itself
a labelled PII name is dropped.

With respellings (default): each derivation is also made from the row's respellings by bench/pii_variants.py
(camel, Pascal and UPPER_SNAKE cases and the abbreviations), reported as ``<kind> respelled``.

With ``--untyped``, the derived rows are classified without a data type, as a dbt manifest without its catalog
gives them (a flag's boolean type then no longer rules a value out).

Printed per kind: derived rows, how many the classifier calls PII, and the share it gets right (kept non-PII;
for ``value:*``, called PII).
Without ``--quiet``, on the dev split only, a few false positives per kind are listed (held-out rows are never read
to choose fixes: ``--split heldout`` prints figures only).
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pii_eval import LABELS, RECALL, _tables, read_labels  # noqa: E402
from bench.pii_variants import FLAG_WORDS, _style, variants, words_of  # noqa: E402
from pii.classifier import classify_column  # noqa: E402
from pii.vocabulary import load_pii_config  # noqa: E402

CONTACT_TYPES = frozenset({"email", "phone", "address"})
DOCUMENT_TYPES = frozenset({"national_id", "passport", "drivers_license", "card_number", "bank_account", "tax_id"})
SKIPPED_TYPES = frozenset({"health", "biometric"})
NUMERIC_RE = re.compile(r"int|float|double|decimal|numeric|number|real|money", re.I)

# kind -> (family, data type, words before X, words after X)
DERIVATIONS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "has_X": ("flag", "boolean", ("has",), ()),
    "is_X_verified": ("flag", "boolean", ("is",), ("verified",)),
    "X_verified": ("flag", "boolean", (), ("verified",)),
    "X_is_valid": ("flag", "boolean", (), ("is", "valid")),
    "X_consent": ("flag", "boolean", (), ("consent",)),
    "no_X": ("flag", "boolean", ("no",), ()),
    "X_opt_in": ("flag", "boolean", (), ("opt", "in")),
    "X_bounced": ("flag", "boolean", (), ("bounced",)),
    "X_count": ("count", "integer", (), ("count",)),
    "num_X": ("count", "integer", ("num",), ()),
    "n_X": ("count", "integer", ("n",), ()),
    "count_distinct_X": ("count", "integer", ("count", "distinct"), ()),
    "avg_X": ("count", "float", ("avg",), ()),
    "median_X": ("count", "float", ("median",), ()),
    "pct_X_missing": ("count", "float", ("pct",), ("missing",)),
    "X_fill_rate": ("count", "float", (), ("fill", "rate")),
    "X_verified_at": ("time", "timestamp", (), ("verified", "at")),
    "X_updated_at": ("time", "timestamp", (), ("updated", "at")),
    "X_changed_on": ("time", "timestamp", (), ("changed", "on")),
    "X_valid_until": ("time", "timestamp", (), ("valid", "until")),
    "X_status": ("meta", "varchar", (), ("status",)),
    "X_type": ("meta", "varchar", (), ("type",)),
    "X_kind": ("meta", "varchar", (), ("kind",)),
    "X_source": ("meta", "varchar", (), ("source",)),
    "X_format": ("meta", "varchar", (), ("format",)),
    "X_label": ("meta", "varchar", (), ("label",)),
    "X_length": ("meta", "integer", (), ("length",)),
    "X_is_null": ("quality", "boolean", (), ("is", "null")),
    "X_present": ("quality", "boolean", (), ("present",)),
    "X_populated": ("quality", "boolean", (), ("populated",)),
    "X_error": ("quality", "varchar", (), ("error",)),
    "X_match_score": ("quality", "float", (), ("match", "score")),
    # the value itself, kept as a control (labelled PII): a fix must not lose these
    "X_hash": ("value", "varchar", (), ("hash",)),
    "X_encrypted": ("value", "varchar", (), ("encrypted",)),
    "X_normalized": ("value", "varchar", (), ("normalized",)),
    "X_2": ("value", "varchar", (), ("2",)),
}
PII_FAMILIES = frozenset({"value"})  # derived rows of these families are labelled PII (the row's own type)
RESPELLINGS = ("case:camel", "case:pascal", "case:upper_snake")  # and every abbrev:*


def applies(kind: str, pii_type: str, attribute: bool, data_type: str) -> bool:
    """Whether a derivation of this kind from a row of this type is surely not personal data (module doc)."""
    family = DERIVATIONS[kind][0]
    if pii_type in SKIPPED_TYPES:
        return False
    if family in PII_FAMILIES:
        return not attribute or pii_type == "gender"  # a trait's hash or second value is rare; gender's is kept
    if attribute and (family == "meta" or kind == "no_X"):
        return False
    if kind in ("X_opt_in", "X_bounced"):
        return pii_type in CONTACT_TYPES
    if kind == "X_valid_until":
        return pii_type not in DOCUMENT_TYPES
    if kind in ("avg_X", "median_X"):
        return bool(NUMERIC_RE.search(data_type or ""))
    return True


def derive(name: str, pii_type: str, attribute: bool, data_type: str) -> Iterator[tuple[str, str, str]]:
    """(kind, derived name, data type) for one PII row's name, in the name's own spelling style."""
    ws = words_of(name)
    if not ws or ws[0] in FLAG_WORDS or re.search(r"[^A-Za-z0-9_ -]", name):
        return
    style = _style(name)
    for kind, (_family, dtype, before, after) in DERIVATIONS.items():
        if applies(kind, pii_type, attribute, data_type):
            yield kind, style([*before, *ws, *after]), dtype


def derived_rows(rows: list[dict], config, *, respelled: bool = True, pii_names: set[str] | None = None
                 ) -> Iterator[tuple[str, dict, str, str]]:
    """(kind, source row, derived name, data type) for every labelled PII row; ``pii_names``: labelled PII names
    (lower case) that a derivation must not be (a derived name that someone labelled PII is not a lookalike)."""
    pii_names = pii_names or set()
    for row in rows:
        pii_type = row["label_pii_type"]
        if not pii_type:
            continue
        spec = config.types.get(pii_type)
        attribute = spec is not None and spec.kind == "attribute"
        names = [("", row["column_name"])]
        if respelled:
            names += [(" respelled", new) for vkind, new in variants(row["column_name"], True)
                      if vkind in RESPELLINGS or vkind.startswith("abbrev:")]
        seen: set[str] = set()
        for suffix, name in names:
            for kind, new, dtype in derive(name, pii_type, attribute, row["data_type"]):
                if new in seen or new.lower() in pii_names:
                    continue
                seen.add(new)
                yield kind + suffix, row, new, dtype


def run(rows: list[dict], config, *, tables: dict | None = None, respelled: bool = True,
        pii_names: set[str] | None = None, typed: bool = True) -> dict:
    """Classify every derived row in its source row's table; per kind: n and fp, and the false positives."""
    tables = _tables(rows, config) if tables is None else tables
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    flagged: dict[str, list[tuple[dict, str, str]]] = collections.defaultdict(list)
    for kind, row, new, dtype in derived_rows(rows, config, respelled=respelled, pii_names=pii_names):
        got = classify_column(name=new, data_type=dtype if typed else None, description=None, meta={}, tags=(),
                              config=config, capsule_name=row["capsule_name"] or None,
                              table=tables.get(row["source"])).pii_type
        counts[kind]["n"] += 1
        label = DERIVATIONS[kind.split()[0]][0] in PII_FAMILIES
        counts[kind]["pii"] += got is not None
        counts[kind]["right"] += (got is not None) == label
        if (got is not None) != label:
            flagged[kind].append((row, new, got))
    return {"counts": counts, "flagged": flagged}


def report(title: str, res: dict, *, quiet: bool, examples: int) -> None:
    counts, flagged = res["counts"], res["flagged"]
    print(f"\n== {title}")
    print(f"   {'kind':<36} {'derived':>7} {'PII':>5} {'right':>7}   (right: kept non-PII; value:* called PII)")
    families: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for kind in sorted(counts, key=lambda k: (k.endswith("respelled"), list(DERIVATIONS).index(k.split()[0]))):
        c = counts[kind]
        family = f"{DERIVATIONS[kind.split()[0]][0]}:*" + (" respelled" if kind.endswith("respelled") else "")
        families[family].update(c)
        _line(f"{DERIVATIONS[kind.split()[0]][0]}:{kind}", c)
    for family in sorted(families):
        _line(family, families[family])
    _line("all derived non-PII", sum((families[f] for f in families if not f.startswith(tuple(PII_FAMILIES))),
                                     collections.Counter()))
    if quiet:
        return
    for kind in sorted(flagged):
        print(f"\n   {kind}: {len(flagged[kind])} derived names with the wrong verdict")
        for row, new, got in flagged[kind][:examples]:
            print(f"     {row['column_name']!r} -> {new!r} in {row['capsule_name']}: {got or '-'}")


def _line(kind: str, c: collections.Counter) -> None:
    right = c["right"] / c["n"] if c["n"] else 1.0
    print(f"   {kind:<36} {c['n']:7} {c['pii']:5} {right:7.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None, help="PII config (default config/pii.yaml)")
    parser.add_argument("--labels", default=None, help="one label file (default: pii_labels.csv and pii_recall.csv)")
    parser.add_argument("--split", choices=["dev", "heldout"], default="dev")
    parser.add_argument("--quiet", action="store_true", help="figures only, no derived names listed")
    parser.add_argument("--examples", type=int, default=6, help="false positives listed per kind without --quiet")
    parser.add_argument("--no-respelled", action="store_true", help="derive from the rows' own names only")
    parser.add_argument("--untyped", action="store_true", help="classify the derived rows without a data type")
    args = parser.parse_args(argv)
    config = load_pii_config(args.config)
    quiet = args.quiet or args.split == "heldout"  # held-out rows are never read to choose fixes
    for path in [Path(args.labels)] if args.labels else [LABELS, RECALL]:
        every = read_labels(path)
        rows = [r for r in every if r["split"] == args.split]
        pii_names = {r["column_name"].lower() for r in every if r["label_pii_type"]}
        res = run(rows, config, tables=_tables(every, config), respelled=not args.no_respelled, pii_names=pii_names,
                  typed=not args.untyped)
        n_pii = sum(bool(r["label_pii_type"]) for r in rows)
        typed = ", untyped" if args.untyped else ""
        report(f"{path.name}, {args.split} split{typed}: {n_pii} PII rows", res, quiet=quiet, examples=args.examples)


if __name__ == "__main__":
    main()

