"""The extractor never crashes: every compiled model at hand, moved to every dialect, mutated and scrambled, and
queries built from scratch all end in a status with a reason, never in an internal error. bench/lineage_fuzz.py runs
the same generator for as long as one likes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lineage.sql_lineage import UpstreamRelation, extract_column_lineage
from lineage.tests.sql_fuzz import DIALECTS, INTERNAL, Case, cases, project_cases, transpiled, tricky_cases

REPO = Path(__file__).resolve().parents[2]
SHARED_DBT = REPO / ".." / "shared" / "dbt"
SAMPLES = (REPO / "examples" / "acme_shop" / "target", REPO / "lineage" / "tests" / "data" / "lineage_lab" / "target")


def crashes(inputs) -> list[tuple[str, str, str]]:
    found = []
    for case in inputs:
        result = extract_column_lineage(sql=case.sql, dialect=case.dialect, upstream=case.upstream)
        assert result.status in ("parsed", "partial", "failed", "no_sql")
        if result.status != "parsed":
            assert result.reason, case.sql
        if INTERNAL in (result.reason or ""):
            found.append((case.origin, case.sql[:300], result.reason))
    return found


def sample_cases() -> list[Case]:
    return [case for folder in SAMPLES for case in project_cases(folder / "manifest.json")] + tricky_cases()


def test_the_samples_and_tricky_constructs_in_every_dialect():
    sources = sample_cases()
    inputs = [*sources, *(c for s in sources for d in DIALECTS if (c := transpiled(s, d)) is not None)]
    assert len(inputs) > 300
    assert crashes(inputs) == []


def test_random_mutations_and_generated_queries():
    assert crashes(cases(sample_cases(), random.Random(20261206), 1500)) == []


@pytest.mark.shared
def test_every_compiled_model_in_shared(shared_dbt_dir):
    sources = [case for path in sorted(Path(shared_dbt_dir).rglob("manifest.json")) for case in project_cases(path)]
    assert len(sources) > 150
    assert crashes(sources) == []
    assert crashes(cases(sources, random.Random(7), 1500)) == []


# -- what fuzzing found ------------------------------------------------------------------------------------------------

UP = UpstreamRelation("urn:stg", ('"duck"."main"."stg"', "duck.main.stg"), ("a", "b"))


@pytest.mark.parametrize(
    ("sql", "dialect"), [('select a from "duck".."stg"', "duckdb"), ("select a from duck..stg", "tsql")]
)
def test_a_name_leaving_the_schema_out_resolves_to_the_default_schemas_relation(sql, dialect):
    # `database..name` (SQL Server, Snowflake, DuckDB) reads the default schema; sqlglot gives the gap as "".
    result = extract_column_lineage(sql=sql, dialect=dialect, upstream=(UP,))
    assert (result.status, [(e.source_urn, e.source_column) for e in result.edges]) == ("parsed", [("urn:stg", "a")])


def test_a_column_the_catalog_does_not_list_is_the_only_tables_in_a_stale_catalog():
    result = extract_column_lineage(sql='select a, c from "duck"."main"."stg"', dialect="duckdb", upstream=(UP,))
    assert result.status == "parsed"
    assert {(e.target_column, e.source_column) for e in result.edges} == {("a", "a"), ("c", "c")}


def test_with_two_tables_an_unlisted_column_stays_unresolved():
    other = UpstreamRelation("urn:o", ("duck.main.o",), ("x",))
    result = extract_column_lineage(
        sql="select c from duck.main.stg join duck.main.o on stg.a = o.x", dialect="duckdb", upstream=(UP, other)
    )
    assert result.status == "partial" and result.unresolved == ("c",)


# -- the shortcuts give what the full path gives ----------------------------------------------------------------------


def test_a_plain_column_projection_resolved_once_gives_what_resolving_it_twice_gives(monkeypatch):
    from lineage import sql_lineage

    inputs = sample_cases()
    inputs += [c for s in inputs[:40] for d in DIALECTS if (c := transpiled(s, d)) is not None]
    inputs += list(cases(sample_cases(), random.Random(11), 200))

    def run() -> list:
        return [extract_column_lineage(sql=c.sql, dialect=c.dialect, upstream=c.upstream) for c in inputs]

    fast = run()
    monkeypatch.setattr(sql_lineage._Resolver, "resolve_passed_once", False)
    assert run() == fast
    assert sum(len(r.edges) for r in fast) > 1000


def test_the_kept_dialect_and_type_generator_give_what_sqlglot_makes_anew():
    import sqlglot
    from sqlglot import exp

    from lineage.sql_lineage import _dialect, _type_generator

    checked = 0
    for case in sample_cases()[:60]:
        for dialect in (case.dialect, *DIALECTS):
            try:
                fresh = sqlglot.parse(case.sql, dialect=dialect)
            except Exception:  # noqa: BLE001 - unparsable in that dialect: the kept one must fail too
                with pytest.raises(Exception):  # noqa: B017
                    _dialect(dialect).parse(case.sql)
                continue
            assert _dialect(dialect).parse(case.sql) == fresh
            for cast in (c for tree in fresh if tree is not None for c in tree.find_all(exp.Cast)):
                to = cast.args.get("to")
                if isinstance(to, exp.DataType):
                    assert _type_generator(dialect).generate(to) == to.sql(dialect=dialect)
                    checked += 1
    assert checked > 20


def test_jobs_and_results_cross_to_the_workers_whole():
    import dataclasses
    import pickle

    from lineage.sql_lineage import ColumnEdge, LineageJob, ModelLineage

    up = UpstreamRelation("urn:u", ("db.s.u", "s.u"), ("a", "b"), columns_complete=False)
    edge = ColumnEdge("x", "urn:u", "a", "hashed", "md5(a)", ("md5",), carries_value=False)
    result = ModelLineage("partial", "why", (edge,), ("x",), ("y",), (("urn:u", "b"),), ("text",), True, ("z",),
                          ("urn:u",))  # fmt: skip
    job = LineageJob("k", "select 1", "snowflake", (up,), ("x",), frozenset({"md5"}), ("db.s.m",), False)
    for record in (up, edge, result, job):
        # every field travels, so a field added later must be added to __reduce__ too
        assert len(record.__reduce__()[1]) == len(dataclasses.fields(record))
        assert pickle.loads(pickle.dumps(record)) == record
