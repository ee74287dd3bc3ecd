"""Random SQL for the column-lineage extractor: real compiled SQL moved to other dialects and mutated, and queries
built from scratch with sqlglot. Used by test_sql_fuzz.py (a bounded, seeded run) and bench/lineage_fuzz.py (as
long as you like). No Django."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

from lineage.sql_lineage import UpstreamRelation, dialect_for_adapter

DIALECTS = (
    "postgres", "snowflake", "bigquery", "duckdb", "redshift", "databricks", "spark", "tsql", "trino", "mysql",
    "clickhouse", "oracle", "athena", "hive", "sqlite",
)  # fmt: skip
INTERNAL = "internal error"
_FUNCTIONS = (
    "md5", "lower", "upper", "coalesce", "sum", "count", "max", "min", "avg", "length", "row_number", "array_agg",
    "string_agg", "date_trunc", "split_part", "concat", "nullif", "abs", "round", "to_json", "parse_json", "flatten",
    "unnest", "generate_series", "lag", "first_value", "any_value", "sha2", "my_udf", "mask_email",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Case:
    """One extractor input: the SQL, its dialect, the relations it may read, and where it came from."""

    sql: str
    dialect: str | None
    upstream: tuple[UpstreamRelation, ...]
    origin: str


def _relation_names(node: dict) -> tuple[str, ...]:
    if node.get("resource_type") == "model" and (node.get("config") or {}).get("materialized") == "ephemeral":
        return tuple(dict.fromkeys(f"__dbt__cte__{n}" for n in (node.get("alias"), node.get("name")) if n))
    ident = node.get("identifier") or node.get("alias") or node.get("name")
    parts = [p for p in (node.get("database"), node.get("schema"), ident) if p]
    names = [node["relation_name"]] if node.get("relation_name") else []
    names.append(".".join(parts))
    return tuple(dict.fromkeys(names))


# Constructs of real warehouses that plain dbt projects rarely show, each in its own dialect, over the relations of
# TRICKY_UPSTREAM: JSON paths, FLATTEN and UNNEST, PIVOT, QUALIFY, positional and struct references, apply joins,
# recursive CTEs, set operations by name, * with EXCLUDE/REPLACE/RENAME, lambdas, VALUES.
TRICKY: tuple[tuple[str, str], ...] = (
    ("snowflake", "select e.value:id::int as id, t.payload:user.email::string as email from db.s.a t, "
                  "lateral flatten(input => t.payload:items) e"),
    ("snowflake", "select $1 as first, $2 as second from db.s.a"),
    ("snowflake", "select * exclude (email) rename (id as a_id) from db.s.a"),
    ("snowflake", "select id, amount from db.s.a qualify row_number() over (partition by id order by amount desc) = 1"),
    ("snowflake", "select * from db.s.a pivot (sum(amount) for status in ('x', 'y')) as p"),
    ("snowflake", "select iff(a.status = 'x', a.email, null) as e, object_construct(*) as o from db.s.a"),
    ("snowflake", "select listagg(email, ',') within group (order by id) as emails from db.s.a"),
    ("snowflake", "select identifier('db.s.a').id from identifier('db.s.a')"),
    ("snowflake", "select seq4() as n, uniform(1, 10, random()) as r from table(generator(rowcount => 10))"),
    ("snowflake", "select id from db.s.a start with id = 1 connect by prior id = amount"),
    ("bigquery", "select o, x.email from `db.s.a` as t, unnest(t.items) as x with offset as o"),
    ("bigquery", "select t.* except (email) replace (lower(status) as status) from `db.s.a` t"),
    ("bigquery", "select struct(a.id as id, a.email as email).email as e from `db.s.a` a"),
    ("bigquery", "select array(select as struct id, email from `db.s.a`) as arr"),
    ("bigquery", "select * from `db.s.a` union all by name select * from `db.s.b`"),
    ("tsql", "select top 10 a.id, x.email from db.s.a a cross apply (select b.email from db.s.b b "
             "where b.id = a.id) x"),
    ("tsql", "select [a].[id], [b].[email] from [db].[s].[a] as [a] outer apply [db].[s].[b] as [b]"),
    ("duckdb", "select columns('e.*') from db.s.a"),
    ("duckdb", "select * from db.s.a positional join db.s.b"),
    ("duckdb", "select list_transform(items, x -> x.email) as emails from db.s.a"),
    ("duckdb", "from db.s.a select id, email"),
    ("duckdb", "select * from (values (1, 'a'), (2, 'b')) v(id, name)"),
    ("postgres", "with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) select n from r"),
    ("postgres", "select distinct on (id) id, email from db.s.a order by id, amount"),
    ("postgres", "select a.id, j.value ->> 'email' as email from db.s.a a, jsonb_array_elements(a.items) j"),
    ("postgres", "select id, (select max(amount) from db.s.b where b.id = a.id) as m from db.s.a a"),
    ("databricks", "select explode(items) as item, a.email from db.s.a a lateral view explode(a.items) t as x"),
    ("databricks", "select transform(items, x -> x + 1) as items from db.s.a"),
    ("trino", "select t.id, u.email from db.s.a t cross join unnest(t.emails) as u(email)"),
    ("clickhouse", "select id, arrayJoin(emails) as email from db.s.a"),
    ("mysql", "select a.id, b.email from db.s.a a natural join db.s.b b"),
)  # fmt: skip
TRICKY_UPSTREAM = (
    UpstreamRelation("urn:a", ("db.s.a",), ("id", "email", "amount", "status", "payload", "items", "emails")),
    UpstreamRelation("urn:b", ("db.s.b",), ("id", "email"), columns_complete=False),
)


def tricky_cases() -> list[Case]:
    return [Case(sql, dialect, TRICKY_UPSTREAM, f"tricky {i}") for i, (dialect, sql) in enumerate(TRICKY)]


def project_cases(manifest_path: Path) -> list[Case]:
    """Every compiled model of a dbt manifest, with its depends_on as upstream (columns from the manifest)."""
    manifest = json.loads(manifest_path.read_bytes())
    dialect = dialect_for_adapter((manifest.get("metadata") or {}).get("adapter_type"))
    nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    cases = []
    for uid, node in manifest.get("nodes", {}).items():
        sql = node.get("compiled_code") or node.get("compiled_sql")
        if node.get("resource_type") not in ("model", "snapshot") or not sql:
            continue
        upstream = tuple(
            UpstreamRelation(
                urn=parent,
                names=_relation_names(nodes[parent]),
                columns=tuple((nodes[parent].get("columns") or {}).keys()),
                columns_complete=False,
            )
            for parent in (node.get("depends_on") or {}).get("nodes", [])
            if parent in nodes
        )
        cases.append(Case(sql, dialect, upstream, f"{manifest_path.parent.name}:{uid}"))
    return cases


def transpiled(case: Case, dialect: str) -> Case | None:
    """The case written in another dialect by sqlglot (None when sqlglot cannot)."""
    try:
        sql = ";\n".join(sqlglot.transpile(case.sql, read=case.dialect, write=dialect))
    except Exception:  # noqa: BLE001 - sqlglot refuses some SQL; the extractor is what is tested
        return None
    return Case(sql, dialect, case.upstream, f"{case.origin} as {dialect}")


def mutated(case: Case, rng: random.Random) -> Case | None:
    """The case's parsed tree with one to three random edits: a node dropped, swapped for another of the tree,
    or wrapped in a function."""
    try:
        tree = sqlglot.parse_one(case.sql, read=case.dialect)
    except Exception:  # noqa: BLE001
        return None
    if tree is None:
        return None
    for _ in range(rng.randint(1, 3)):
        nodes = list(tree.walk())
        node = rng.choice(nodes)
        roll = rng.random()
        try:
            if roll < 0.35 and node.parent is not None:
                node.pop()
            elif roll < 0.75 and node.parent is not None:
                node.replace(rng.choice(nodes).copy())
            elif node.parent is not None:
                node.replace(exp.Anonymous(this=rng.choice(_FUNCTIONS), expressions=[node.copy()]))
        except Exception:  # noqa: BLE001 - an edit sqlglot refuses is skipped
            continue
    try:
        sql = tree.sql(dialect=case.dialect)
    except Exception:  # noqa: BLE001
        return None
    return Case(sql, case.dialect, case.upstream, f"{case.origin} mutated")


_TOKEN = __import__("re").compile(r"\s+|[(),.;:]|'[^']*'|\"[^\"]*\"|\w+|.")


def scrambled(case: Case, rng: random.Random) -> Case:
    """The case's SQL text with a few tokens dropped, doubled or swapped: what sqlglot still parses of that is odd
    in ways no tree edit makes."""
    tokens = _TOKEN.findall(case.sql)
    for _ in range(rng.randint(1, 4)):
        if not tokens:
            break
        i = rng.randrange(len(tokens))
        roll = rng.random()
        if roll < 0.4:
            del tokens[i]
        elif roll < 0.7:
            tokens.insert(i, tokens[i])
        else:
            j = rng.randrange(len(tokens))
            tokens[i], tokens[j] = tokens[j], tokens[i]
    return Case("".join(tokens), case.dialect, case.upstream, f"{case.origin} scrambled")


def _column(rng: random.Random, tables: list[str], columns: list[str]) -> exp.Expression:
    name = rng.choice(columns)
    if rng.random() < 0.5:
        return exp.column(name, table=rng.choice(tables))
    return exp.column(name)


def _expression(rng: random.Random, tables: list[str], columns: list[str], depth: int = 0) -> exp.Expression:
    roll = rng.random()
    if depth > 3 or roll < 0.35:
        return _column(rng, tables, columns)
    if roll < 0.45:
        return exp.Literal.number(rng.randint(0, 9)) if rng.random() < 0.5 else exp.Literal.string("x")
    if roll < 0.65:
        args = [_expression(rng, tables, columns, depth + 1) for _ in range(rng.randint(1, 2))]
        return exp.Anonymous(this=rng.choice(_FUNCTIONS), expressions=args)
    if roll < 0.75:
        return exp.Case(
            ifs=[exp.If(this=exp.EQ(this=_column(rng, tables, columns), expression=exp.Literal.number(1)),
                        true=_expression(rng, tables, columns, depth + 1))],
            default=_expression(rng, tables, columns, depth + 1),
        )  # fmt: skip
    if roll < 0.82:
        return exp.Cast(this=_expression(rng, tables, columns, depth + 1), to=exp.DataType.build("varchar"))
    if roll < 0.9:
        return exp.Window(
            this=exp.Anonymous(this=rng.choice(("row_number", "lag", "sum")), expressions=[]),
            partition_by=[_column(rng, tables, columns)],
        )
    if roll < 0.95:
        return exp.Subquery(this=_select(rng, [t + "_inner" for t in tables[:1]], columns, depth + 1))
    return exp.Dot(this=_column(rng, tables, columns), expression=exp.to_identifier("field"))


def _select(rng: random.Random, tables: list[str], columns: list[str], depth: int = 0) -> exp.Select:
    projections: list[exp.Expression] = []
    for i in range(rng.randint(1, 5)):
        if rng.random() < 0.12:
            table = exp.to_identifier(rng.choice(tables))
            projections.append(exp.Star() if rng.random() < 0.5 else exp.Column(this=exp.Star(), table=table))
        else:
            projections.append(exp.alias_(_expression(rng, tables, columns, depth), f"c{i}"))
    query = exp.select(*projections).from_(exp.to_table(f"db.s.{tables[0]}").as_(tables[0]))
    for table in tables[1:]:
        kind = rng.choice(("on", "using", "cross"))
        target = exp.to_table(f"db.s.{table}").as_(table)
        if kind == "on":
            query = query.join(target, on=exp.EQ(this=_column(rng, [tables[0]], columns),
                                                 expression=_column(rng, [table], columns)))  # fmt: skip
        elif kind == "using":
            query = query.join(target, using=[rng.choice(columns)])
        else:
            query = query.join(target, join_type="cross")
    if rng.random() < 0.3:
        query = query.where(exp.GT(this=_column(rng, tables, columns), expression=exp.Literal.number(0)))
    if rng.random() < 0.3:
        query = query.group_by(_column(rng, tables, columns))
    return query


def generated(rng: random.Random) -> Case:
    """A query built from scratch: CTEs, joins, stars, subqueries, windows, set operations, over made-up tables
    that the upstream knows only partly."""
    names = ["a", "b", "c", "d"]
    columns = ["id", "email", "amount", "status", "created_at"]
    tables = rng.sample(names, rng.randint(1, 3))
    query: exp.Expression = _select(rng, tables, columns)
    if rng.random() < 0.3:
        query = exp.union(query, _select(rng, tables, columns), distinct=rng.random() < 0.5)
    if rng.random() < 0.4:
        inner = _select(rng, tables[:1], columns)
        query = exp.select("*").from_("w").with_("w", as_=inner) if rng.random() < 0.5 else query
    upstream = tuple(
        UpstreamRelation(
            urn=f"urn:{name}",
            names=(f"db.s.{name}",),
            columns=tuple(rng.sample(columns, rng.randint(0, len(columns)))),
            columns_complete=rng.random() < 0.5,
        )
        for name in names
    )
    dialect = rng.choice(DIALECTS)
    try:
        sql = query.sql(dialect=dialect)
    except Exception:  # noqa: BLE001
        sql = query.sql()
        dialect = None
    return Case(sql, dialect, upstream, "generated")


def cases(sources: list[Case], rng: random.Random, count: int) -> Iterator[Case]:
    """``count`` cases: a quarter each transpiled, mutated, scrambled and generated."""
    for i in range(count):
        kind = i % 4
        if kind == 0 and sources:
            case = transpiled(rng.choice(sources), rng.choice(DIALECTS))
        elif kind == 1 and sources:
            case = mutated(rng.choice(sources), rng)
        elif kind == 2 and sources:
            case = scrambled(rng.choice(sources), rng)
        else:
            case = generated(rng)
        if case is not None:
            yield case
