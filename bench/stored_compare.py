"""Compare what two DAB databases store, table by table, without ids, timestamps and job ids.

    python bench/stored_compare.py DB_A DB_B [--url postgres://postgres@127.0.0.1:5432] [--schema dab]

For proving that two ways of ingesting the same artifacts (say main's code and a branch's) store the same rows:
each table's rows, with the columns that differ by nature left out (ids, ``*_at`` times, job and evaluation ids,
timings, and every uuid column: foreign keys point at ids each ingestion draws anew), are sorted and hashed; column
lineage is compared by its columns' URNs (new columns get new ids); a score snapshot's report is compared without
its ``evaluated_at``. Prints SAME or DIFF per table; exits 1 on any DIFF. Values derived from ids (a capsule's
``pii_fingerprint`` hashes its owner's and domain's ids) and choices among equal alternatives ordered by id (the path a
layering violation's message names) differ between two ingestions of the same code too.
"""

from __future__ import annotations

import argparse
import hashlib
import sys

import psycopg

# Differ between two ingestions of the same data by nature, not by outcome.
# (failing_since: a new violation's is the time of the evaluation that found it)
SKIPPED = {"id", "at", "ingestion_id", "job_id", "evaluation_id", "snapshot_id", "run_id", "timings",
           "failing_since"}  # fmt: skip
# Tables of bookkeeping (jobs, sessions, migrations...) and the per-code digests (they hold the code's own digest).
IGNORED = ("django_", "auth_", "axes_", "ingestion_jobs", "ingestion_artifact", "ingestion_columns_digests",
           "ingestion_node_digests", "django_tasks")  # fmt: skip
BY_URN = {
    "column_lineage": "SELECT s.urn, t.urn, {columns} FROM column_lineage x JOIN columns s ON s.id = x.source_column_id"
    " JOIN columns t ON t.id = x.target_column_id",
}


def table_digests(url: str, schema: str) -> dict[str, tuple[int, str]]:
    out = {}
    with psycopg.connect(url) as conn:
        conn.execute(f'SET search_path = "{schema}"')
        tables = [row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])]
        for table in sorted(t for t in tables if not t.startswith(IGNORED)):
            columns = [
                row[0]
                for row in conn.execute(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s"
                    " AND table_name = %s ORDER BY ordinal_position",
                    [schema, table],
                )
                if row[0] not in SKIPPED and not row[0].endswith(("_at", "_column_id")) and row[1] != "uuid"
            ]
            if table == "score_snapshots":  # the report and the graph's state name when it was evaluated
                timeless = {"report": "(report - 'evaluated_at')::text", "graph_state": "(graph_state - 'as_of')::text"}
                selected = ", ".join(timeless.get(c, f'x."{c}"::text') for c in columns)
            else:
                selected = ", ".join(f'x."{c}"::text' for c in columns)
            query = BY_URN.get(table, "SELECT {columns} FROM " + f'"{table}" x').format(columns=selected)
            rows = sorted(tuple(row) for row in conn.execute(query))
            out[table] = (len(rows), hashlib.md5(repr(rows).encode()).hexdigest())
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--schema", default="dab")
    options = parser.parse_args()
    a = table_digests(f"{options.url}/{options.a}", options.schema)
    b = table_digests(f"{options.url}/{options.b}", options.schema)
    differ = False
    for table in sorted(set(a) | set(b)):
        same = a.get(table) == b.get(table)
        differ = differ or not same
        print(f"{'SAME' if same else 'DIFF'} {table}: {a.get(table)} {b.get(table)}")  # noqa: T201
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
