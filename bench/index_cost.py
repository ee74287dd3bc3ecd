"""What each index of a table costs PostgreSQL when rows are written: the table's rows replayed into a scratch copy.

    python bench/index_cost.py --database dab_bench_first --table columns [--rounds 2]

For an ingested database (say one `bench/first_ingest.py` left): the table's rows are copied once into a temporary
table; then, for no index and for each of the table's indexes alone, a scratch table shaped like it (`LIKE ...
INCLUDING DEFAULTS`) gets that index and all the rows (`INSERT ... SELECT`), and the transaction is rolled back.
Prints the CPU seconds of the PostgreSQL backend (read from /proc, so the server must run on this machine) for each,
the lowest of ``--rounds``: an index's cost is its figure less the no-index one. Nothing is left behind.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import psycopg

TICK = os.sysconf("SC_CLK_TCK")


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--schema", default="dab")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432")
    options = parser.parse_args()
    table = f"{options.schema}.{options.table}"
    with psycopg.connect(f"{options.url}/{options.database}") as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.execute(f"CREATE TEMPORARY TABLE bench_rows ON COMMIT PRESERVE ROWS AS SELECT * FROM {table}")
        conn.commit()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s ORDER BY indexname",
            (options.schema, options.table),
        ).fetchall()
        found: dict[str, list[float]] = {}
        for _ in range(options.rounds):
            for name, definition in [("(no index)", None), *indexes]:
                conn.execute(f"CREATE TABLE {options.schema}.bench_index_cost (LIKE {table} INCLUDING DEFAULTS)")
                if definition is not None:
                    conn.execute(
                        definition.replace(f" ON {table} ", f" ON {options.schema}.bench_index_cost ", 1).replace(
                            f"INDEX {name} ", f"INDEX bench_{name} ", 1
                        )
                    )
                before = _backend_cpu(pid)
                conn.execute(f"INSERT INTO {options.schema}.bench_index_cost SELECT * FROM bench_rows")
                found.setdefault(name, []).append(_backend_cpu(pid) - before)
                conn.rollback()
        rows = conn.execute("SELECT count(*) FROM bench_rows").fetchone()[0]
    base = min(found["(no index)"])
    print(f"{table}: {rows} rows; PostgreSQL CPU seconds, lowest of {options.rounds}")
    for name, seconds in found.items():
        extra = "" if name == "(no index)" else f"  (+{min(seconds) - base:.2f})"
        print(f"  {name}: {min(seconds):.2f}{extra}")


if __name__ == "__main__":
    main()
