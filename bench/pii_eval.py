"""Evaluate pii/classifier.py against hand-labelled columns, time it, and redraw the labelled sample.

    python bench/pii_eval.py [eval] [--labels bench/data/pii_labels.csv] [--split dev|heldout|all] [--quiet]
                             [--strata fhir,wwi,...]              # only these sources (one round's, say)
    python bench/pii_eval.py speed --dir /tmp/gen10k          # manifest.json (+ catalog.json) from gen_dbt.py
    python bench/pii_eval.py draw [--shared ../shared]         # the unlabelled sample, for checking the labels' rows
    DATABASE_URL=postgres://... python bench/pii_eval.py pipeline [--runs 3] [--project NAME]
                                                               # the two PII pipeline steps on an ingested project

``eval`` classifies every labelled column from its name, data type, description and capsule name only
(no meta, no tags: those would give the answers away), then prints precision, recall and F1 for "is it
PII" and for the exact type, overall and per type, for the dev split, the held-out split and both, and
lists every miss with its evidence. bench/data/pii_labels_SOURCES.md says where the rows come from, how
they were sampled and labelled, and how the split was made.
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pii.classifier import classify_column  # noqa: E402
from pii.context import table_context  # noqa: E402
from pii.tokens import tokenize_column_name  # noqa: E402
from pii.vocabulary import load_pii_config  # noqa: E402

LABELS = ROOT / "bench" / "data" / "pii_labels.csv"
RECALL = ROOT / "bench" / "data" / "pii_recall.csv"  # public schemas of other vocabularies (pii_recall_SOURCES.md)
SHARED = ROOT / ".." / "shared"


# ----------------------------------------------------------------------------------------------- eval


def read_labels(path: Path) -> list[dict]:
    """Every row of a label file (pii_labels.csv, pii_recall.csv), both splits: a table's context needs them all."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _tables(rows: list[dict], config) -> dict[str, object]:
    """Each labelled table's context, from its name and the names of its labelled columns (the pipeline sees
    every column of a table; a labelled sample sees the ones drawn)."""
    names: dict[str, list[str]] = collections.defaultdict(list)
    for row in rows:
        names[row["source"]].append(row["column_name"])
    return {source: table_context(name=_capsule(source, rows_by_source), description=None, column_names=cols,
                                  config=config)
            for rows_by_source in [{r["source"]: r for r in rows}] for source, cols in names.items()}


def _capsule(source: str, rows_by_source: dict[str, dict]) -> str | None:
    return rows_by_source[source]["capsule_name"] or None


def evaluate(rows: list[dict], config, *, tables: dict | None = None) -> dict:
    """Classify each row (with its table's context); return counts and misses."""
    tables = _tables(rows, config) if tables is None else tables
    results = []
    for row in rows:
        c = classify_column(name=row["column_name"], data_type=row["data_type"] or None,
                            description=row["description"] or None, meta={}, tags=(), config=config,
                            capsule_name=row["capsule_name"] or None, table=tables.get(row["source"]))
        results.append((row, c))
    binary = collections.Counter()
    typed = collections.Counter()
    per_type: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    misses = []
    for row, c in results:
        label, pred = row["label_pii_type"] or None, c.pii_type
        binary["tp" if label and pred else "fp" if pred and not label else "fn" if label and not pred else "tn"] += 1
        if label and pred == label:
            typed["tp"] += 1
            per_type[label]["tp"] += 1
        else:
            if pred:
                typed["fp"] += 1
                per_type[pred]["fp"] += 1
            if label:
                typed["fn"] += 1
                per_type[label]["fn"] += 1
            if pred or label:
                misses.append((row, c))
    return {"binary": binary, "typed": typed, "per_type": per_type, "misses": misses, "n": len(rows)}


def _report(title: str, res: dict, *, show_misses: bool) -> None:
    b, t = res["binary"], res["typed"]
    bp, br, bf = _prf(b["tp"], b["fp"], b["fn"])
    tp, tr, tf = _prf(t["tp"], t["fp"], t["fn"])
    labelled = b["tp"] + b["fn"]
    print(f"\n== {title}: {res['n']} columns, {labelled} labelled PII")
    print(f"   is-PII      precision {bp:.3f}  recall {br:.3f}  F1 {bf:.3f}   "
          f"(tp {b['tp']}, fp {b['fp']}, fn {b['fn']})")
    print(f"   exact type  precision {tp:.3f}  recall {tr:.3f}  F1 {tf:.3f}   "
          f"(tp {t['tp']}, fp {t['fp']}, fn {t['fn']})")
    print("   per type:                       P      R      F1   (tp/fp/fn)")
    for key in sorted(res["per_type"], key=lambda k: -(res["per_type"][k]["tp"] + res["per_type"][k]["fn"])):
        c = res["per_type"][key]
        p, r, f = _prf(c["tp"], c["fp"], c["fn"])
        print(f"     {key:<26} {p:6.3f} {r:6.3f} {f:6.3f}   ({c['tp']}/{c['fp']}/{c['fn']})")
    if not show_misses:
        return
    print(f"   misses ({len(res['misses'])}):")
    for row, c in res["misses"]:
        label, pred = row["label_pii_type"] or "-", c.pii_type or "-"
        kind = "FN" if pred == "-" else "FP" if label == "-" else "TYPE"
        print(f"   [{kind}] {row['column_name']!r} in {row['capsule_name']} (type {row['data_type'] or '?'}): "
              f"label {label}, got {pred} {c.confidence:.2f}")
        if row["description"]:
            print(f"          description: {row['description'][:110]}")
        for e in c.evidence:
            print(f"          {e.signal:<11} {e.weight:+.2f} {e.pii_type or '-':<13} {e.detail}")
        if not c.evidence:
            print("          (no signal at all)")


def cmd_eval(args: argparse.Namespace) -> None:
    config = load_pii_config(args.config)
    labels = [args.labels] if args.labels else [str(LABELS), str(RECALL)]
    for path in labels:
        _eval_file(Path(path), config, args)


def _eval_file(path: Path, config, args: argparse.Namespace) -> None:
    rows = read_labels(path)
    if args.strata:  # one round's sources, e.g. round 6 of pii_recall.csv (pii_recall_SOURCES.md)
        wanted_strata = set(args.strata.split(","))
        rows = [r for r in rows if r["stratum"] in wanted_strata]
    print(f"\n######## {path.name}: {len(rows)} labelled columns")
    tables = _tables(rows, config)
    splits = {"dev": [r for r in rows if r["split"] == "dev"], "heldout": [r for r in rows if r["split"] == "heldout"]}
    wanted = ["dev", "heldout", "all"] if args.split == "all" else [args.split]
    for name in wanted:
        subset = rows if name == "all" else splits[name]
        _report(f"{name} split", evaluate(subset, config, tables=tables),
                show_misses=not args.quiet and name != "all")
    if path.name == LABELS.name and args.split in ("all", "heldout"):
        public = [r for r in splits["heldout"] if r["stratum"] != "S"]
        b = evaluate(public, config, tables=tables)["binary"]
        p, r, f = _prf(b["tp"], b["fp"], b["fn"])
        print(f"\n== held-out public rows only (no acme_shop): {len(public)} columns, {b['tp'] + b['fn']} PII")
        print(f"   is-PII      precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}   "
              f"(tp {b['tp']}, fp {b['fp']}, fn {b['fn']})")
    if args.split == "all":
        if path.name == LABELS.name:
            print("\n== by stratum (both splits): A PII-ish names, B person/owner-ish names, C the rest,")
            print("   J jaffle shops, P public benchmark schemas (TPC-DS, TPC-H), S the acme_shop sample project")
        else:
            print("\n== by source project (both splits)")
        for stratum in sorted({r["stratum"] for r in rows}):
            res = evaluate([r for r in rows if r["stratum"] == stratum], config, tables=tables)
            b = res["binary"]
            p, r, f = _prf(b["tp"], b["fp"], b["fn"])
            print(f"   {stratum}: {res['n']:4} columns, {b['tp'] + b['fn']:3} PII   is-PII P {p:.3f} R {r:.3f} "
                  f"F1 {f:.3f}"
                  f"   (tp {b['tp']}, fp {b['fp']}, fn {b['fn']})")


# ----------------------------------------------------------------------------------------------- speed


def _columns_from(directory: Path) -> list[dict]:
    """Every column of every node and source, with the catalog's type where there is one."""
    manifest = json.loads((directory / "manifest.json").read_text())
    types: dict[tuple[str, str], str] = {}
    catalog_path = directory / "catalog.json"
    if catalog_path.exists():
        catalog = json.loads(catalog_path.read_text())
        for section in ("nodes", "sources"):
            for uid, node in catalog.get(section, {}).items():
                for col in node.get("columns", {}).values():
                    types[(uid, col["name"].lower())] = col.get("type")
    by_node: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for (uid, cname), ctype in types.items():
        by_node[uid].append((cname, ctype))
    out = []
    for section in ("nodes", "sources"):
        for uid, node in manifest.get(section, {}).items():
            if node.get("resource_type") not in ("model", "source", "seed", "snapshot"):
                continue
            declared = node.get("columns") or {}
            names = {n.lower() for n in declared}
            for cname, col in declared.items():
                out.append({"name": cname, "data_type": col.get("data_type") or types.get((uid, cname.lower())),
                            "description": col.get("description") or None, "meta": col.get("meta") or {},
                            "tags": col.get("tags") or [], "capsule": node["name"]})
            for cname, ctype in by_node.get(uid, ()):
                if cname not in names:
                    out.append({"name": cname, "data_type": ctype, "description": None, "meta": {}, "tags": [],
                                "capsule": node["name"]})
    return out


def _time(columns: list[dict], config) -> tuple[float, float]:
    """(wall, CPU) seconds to classify every column, each table's context included (as the pipeline does: one
    context per capsule from its name, description and column names); CPU time is the steadier figure on a
    shared machine."""
    start, cpu = time.perf_counter(), time.process_time()
    names: dict[str, list[str]] = collections.defaultdict(list)
    for c in columns:
        names[c["capsule"]].append(c["name"])
    tables = {capsule: table_context(name=capsule, description=None, column_names=cols, config=config)
              for capsule, cols in names.items()}
    for c in columns:
        classify_column(name=c["name"], data_type=c["data_type"], description=c["description"], meta=c["meta"],
                        tags=c["tags"], config=config, capsule_name=c["capsule"], table=tables[c["capsule"]])
    return time.perf_counter() - start, time.process_time() - cpu


def _say(label: str, seconds: tuple[float, float], n: int) -> None:
    wall, cpu = seconds
    print(f"{label}: {cpu:.2f} s CPU, {wall:.2f} s wall ({cpu / n * 1e6:.1f} us/column CPU)")


def cmd_speed(args: argparse.Namespace) -> None:
    columns = _columns_from(Path(args.dir))
    print(f"{len(columns)} columns from {args.dir}")
    config = load_pii_config(args.config)
    _say("cold caches", _time(columns, config), len(columns))
    _say("warm caches", _time(columns, config), len(columns))
    # Worst case: every name and description unique (no memo hits at all).
    rng = random.Random(7)
    unique = [dict(c, name=f"{c['name']}_{rng.randrange(10**9)}",
                   description=(c["description"] + f" ({i})") if c["description"] else None)
              for i, c in enumerate(columns)]
    config = load_pii_config(args.config)
    _say("all names and descriptions unique", _time(unique, config), len(unique))


# ----------------------------------------------------------------------------------------------- pipeline


def cmd_pipeline(args: argparse.Namespace) -> None:
    """Time the two PII pipeline steps against a database that holds an ingested project (DATABASE_URL):
    classification as an unchanged re-ingest runs it ("unchanged": capsules whose fingerprint matches are
    skipped), classification of every column ("classify", forced) and propagation along column lineage
    (pii.services.pii_propagate). Each run is rolled back, so the database is left as it was; the first run
    is in a fresh process (cold memo caches, as in `dab ingest`), the others are warm."""
    import os
    import statistics

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dab_project.settings")
    import django

    django.setup()
    from django.db import transaction

    from catalog.models import SourceSystem
    from pii.services import pii_classify_columns, pii_propagate

    system = SourceSystem.objects.get(name=args.project) if args.project else None
    system_id = system and system.pk
    timings: dict[str, list[tuple[float, float, dict]]] = {"unchanged": [], "classify": [], "propagate": []}
    for _ in range(args.runs):
        with transaction.atomic():
            for step, run in (("unchanged", lambda: pii_classify_columns(source_system_id=system_id)),
                              ("classify", lambda: pii_classify_columns(source_system_id=system_id, force=True)),
                              ("propagate", pii_propagate)):
                wall, cpu = time.perf_counter(), time.process_time()
                stats = run().as_dict()
                timings[step].append((time.perf_counter() - wall, time.process_time() - cpu, stats))
            transaction.set_rollback(True)
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}, "
          f"{os.cpu_count()} CPUs, {args.runs} runs, each rolled back")
    for step, runs in timings.items():
        first_wall, first_cpu, stats = runs[0]
        print(f"{step:<10} cold: wall {first_wall:6.2f} s  cpu {first_cpu:6.2f} s   "
              + (f"warm median: wall {statistics.median(r[0] for r in runs[1:]):6.2f} s  "
                 f"cpu {statistics.median(r[1] for r in runs[1:]):6.2f} s" if len(runs) > 1 else ""))
        print(f"           {json.dumps({k: v for k, v in stats.items() if k != 'by_type'})}")


# ----------------------------------------------------------------------------------------------- draw

PROJECTS = {  # folder under ../shared/dbt -> short name
    "gitlab-analytics": "gitlab", "mattermost-analytics": "mattermost", "mit-ol-data-platform": "mitol",
    "jaffle-shop": "jaffle-shop", "jaffle_shop_duckdb": "jaffle_shop_duckdb",
    "dbt-project-evaluator": "dbt-project-evaluator",
}
def _words(text: str) -> list[str]:
    return text.split()


STRATUM_A_SUBSTRINGS = _words(
    "mail phone mobile fax addr street zip postal postcode birth gender ethnic ssn passport licen tax card iban bank "
    "routing device cookie visitor anonym login username passw token secret health medical national citizen religio "
    "marital latitude longitude cvv firstname lastname fullname surname nickname")
STRATUM_A_TOKENS = set(_words("ip age dob ssn sex race tin ein lat lon lng pwd dl"))
NAME_QUALIFIERS = set(_words("first last full middle given family maiden legal display preferred"))
STRATUM_B_TOKENS = set(_words(
    "name user owner contact person customer employee member author learner student account key hash hashed md5 sha "
    "handle profile location geo city country state region manager rep agent recipient sender"))


def _simple_tokens(name: str) -> list[str]:
    """The sampler's own deliberately naive tokeniser, independent of the detector's."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return [t for t in re.split(r"[^a-z0-9]+|(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])", name.lower()) if t]


def draw_sample(shared: Path) -> list[dict]:
    """Redraw the columns of bench/data/pii_labels.csv from the manifests (labels are not drawn, only rows).

    One row per (project, lower-case column name), preferring a documented occurrence; stratum A = names
    with a PII-ish word (all of them), B = names with a person/owner-ish word (random 200), C = the rest
    (random 150), J = every distinct column of the two jaffle shops (they carry catalog types).
    """
    best: dict[tuple[str, str], tuple[tuple, dict]] = {}
    for folder, short in PROJECTS.items():
        manifest = json.loads((shared / "dbt" / folder / "manifest.json").read_text())
        types: dict[str, dict[str, str]] = {}
        catalog_path = shared / "dbt" / folder / "catalog.json"
        if catalog_path.exists():
            catalog = json.loads(catalog_path.read_text())
            for section in ("nodes", "sources"):
                for uid, node in catalog[section].items():
                    types[uid] = {n.lower(): c.get("type") for n, c in node["columns"].items()}
        for section in ("nodes", "sources"):
            for uid, node in manifest[section].items():
                if node.get("resource_type") not in ("model", "source", "seed", "snapshot"):
                    continue
                entries = []
                seen = set()
                for cname, col in (node.get("columns") or {}).items():
                    seen.add(cname.lower())
                    entries.append((col.get("name") or cname, col.get("data_type") or types.get(uid, {}).get(
                        cname.lower()), col.get("description") or ""))
                for cname, ctype in types.get(uid, {}).items():
                    if cname not in seen:
                        entries.append((cname, ctype, ""))
                for cname, ctype, desc in entries:
                    row = {"project": short, "uid": uid, "capsule": node["name"], "col": cname, "dt": ctype or "",
                           "desc": " ".join(desc.split()), "raw_code": node.get("raw_code") or ""}
                    key = (short, cname.lower())
                    rank = (desc == "", uid)
                    if key not in best or rank < best[key][0]:
                        best[key] = (rank, row)
    a, b, c, j = [], [], [], []
    for _key, (_rank, row) in sorted(best.items()):
        tokens = _simple_tokens(row["col"])
        joined, token_set = "_".join(tokens), set(tokens)
        if row["project"] in ("jaffle-shop", "jaffle_shop_duckdb"):
            j.append(row)
        elif (any(s in joined for s in STRATUM_A_SUBSTRINGS) or token_set & STRATUM_A_TOKENS
              or ("name" in token_set and token_set & NAME_QUALIFIERS)):
            a.append(row)
        elif token_set & STRATUM_B_TOKENS:
            b.append(row)
        else:
            c.append(row)
    rng = random.Random(20260101)
    drawn = [("A", a), ("B", rng.sample(b, 200)), ("C", rng.sample(c, 150)), ("J", j)]
    out = []
    for stratum, rows in drawn:
        for row in rows:
            if not row["dt"]:
                row["dt"] = _sql_cast_type(row["raw_code"], row["col"])
            out.append(dict(row, stratum=stratum))
    return out


def _sql_cast_type(code: str, column: str) -> str:
    """The type a staging model casts the column to (``x::VARCHAR AS col`` or ``CAST(x AS T) AS col``), if any."""
    col = re.escape(column)
    m = (re.search(r'::\s*([A-Za-z_][A-Za-z_0-9]*(?:\s*\([0-9, ]+\))?)\s+AS\s+"?' + col + r'"?(?![A-Za-z0-9_])',
                   code, re.I)
         or re.search(r"CAST\s*\((?:[^()]|\([^()]*\))*?\s+AS\s+([A-Za-z_][A-Za-z_0-9]*(?:\s*\([0-9, ]+\))?)\s*\)"
                      r'\s+AS\s+"?' + col + r'"?(?![A-Za-z0-9_])', code, re.I))
    return m.group(1) if m else ""


def split_of(column_name: str) -> str:
    """40% held out, by a hash of the lower-case name, so one name never sits in both splits."""
    return "heldout" if int(hashlib.sha1(column_name.lower().encode()).hexdigest()[:8], 16) % 10 < 4 else "dev"


def cmd_draw(args: argparse.Namespace) -> None:
    shared = Path(args.shared)
    if not (shared / "dbt").exists():
        sys.exit(f"{shared}/dbt not found")
    rows = draw_sample(shared)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["stratum", "project", "capsule_name", "column_name", "data_type", "split", "description"])
    for row in rows:
        writer.writerow([row["stratum"], row["project"], row["capsule"], row["col"], row["dt"], split_of(row["col"]),
                         row["desc"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None, help="PII config (default config/pii.yaml)")
    sub = parser.add_subparsers(dest="command")
    ev = sub.add_parser("eval")
    for p in (parser, ev):
        p.add_argument("--labels", default=None, help="one label file (default: pii_labels.csv and pii_recall.csv)")
        p.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
        p.add_argument("--quiet", action="store_true", help="figures only, no miss list")
        p.add_argument("--strata", default=None, help="only rows of these strata (comma-separated source names)")
    sp = sub.add_parser("speed")
    sp.add_argument("--dir", required=True, help="folder with manifest.json (and catalog.json)")
    pl = sub.add_parser("pipeline", help="time the PII pipeline steps on the database at DATABASE_URL")
    pl.add_argument("--runs", type=int, default=3)
    pl.add_argument("--project", help="classify this dbt project only (default: every column)")
    dr = sub.add_parser("draw")
    dr.add_argument("--shared", default=str(SHARED))
    tk = sub.add_parser("tokens")
    tk.add_argument("names", nargs="+")
    args = parser.parse_args()
    if args.command == "speed":
        cmd_speed(args)
    elif args.command == "pipeline":
        cmd_pipeline(args)
    elif args.command == "draw":
        cmd_draw(args)
    elif args.command == "tokens":
        config = load_pii_config(args.config)
        for name in args.names:
            print(name, tokenize_column_name(name, config=config))
    else:
        cmd_eval(args)


if __name__ == "__main__":
    main()
