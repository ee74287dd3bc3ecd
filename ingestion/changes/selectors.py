"""A project's state as DAB stored it, in the shape the pure diff compares (``ingestion.changes.state``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, CharField, F, Func, QuerySet, Value

from catalog.choices import INFERRED_ORIGINS
from catalog.models import Capsule, Column, SourceSystem
from catalog.querysets import in_batches
from ingestion.models import CapsuleChange, RunObservation
from ingestion.parsers.dbt import test_urn
from lineage.models import SQL_ONLY_EDGE, CapsuleLineage

from .state import (
    CapsuleState,
    ColumnState,
    ProjectState,
    columns_unpack,
    config_digest,
    owner_label,
    sql_digest,
    test_key,
)

__all__ = [
    "RunHistory", "capsule_change_history", "capsule_run_history", "change_list", "flaky_tests",
    "models_slowest_growing", "project_state_read", "source_system_find", "source_system_names",
]  # fmt: skip


def _json(value: Any, empty: Any) -> Any:
    if value is None or value in ("", "[]", "{}"):
        return empty
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _rows(queryset: QuerySet) -> Iterator[tuple]:
    """The queryset's rows as the database driver gives them: Django's per-value conversion (JSON, UUIDs) costs
    more than the query at 376,000 columns. Values differ by database (JSON as text or decoded, UUIDs as
    objects or text), consistently within one read; callers use them only that way."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(5000):
            yield from batch


def source_system_find(*, name: str) -> SourceSystem | None:
    return SourceSystem.objects.filter(name=name).first()


def project_state_read(
    *,
    source_system: SourceSystem,
    pii: bool = True,
    lazy_sql: bool = False,
    columns: bool = True,
    like: ProjectState | None = None,
    lazy_columns: bool = False,
    skip: frozenset[str] | set[str] = frozenset(),
) -> ProjectState:
    """Everything of one stored project the change report compares, PII facts included. Three queries (capsules,
    their declared columns, capsule edges), read as tuples; about 1 s for 10,000 models and 376,000 columns.

    ``columns=False`` leaves every capsule's columns empty and gives ``ProjectState.columns_reader``, which reads
    those of the capsules named (whether the project has catalog columns is read at once, one EXISTS query).

    ``like``: a state of the same project read earlier in this transaction (the preview's base, before it loads
    the head). On PostgreSQL, the database then sends only digests where they are unchanged: each capsule's
    columns packed and hashed (those with the digest ``like`` read are its very columns, shared, not rebuilt)
    and its SQL's MD5 (the text fetched now only where it differs; elsewhere it is ``like``'s, fetched when asked).
    A change of 50 models in 10,000 then moves the columns and SQL of about 50 capsules instead of 376,000 columns
    and 30 MB of SQL.

    ``lazy_columns`` (PostgreSQL): the columns are kept as the database packed them and unpacked on first use
    (``ProjectState.columns_of``); a ``like`` read unpacks only those the two states do not share.

    ``skip`` (URNs; with ``columns=False`` only): capsules left out of the state, with their edges, unless an edge
    joins them to a capsule read. The change history passes the capsules a lean parse kept, which compare equal on
    both sides; their neighbours stay, as the rename detection's column lineage reads a capsule's up- and
    downstream relations."""
    assert not skip or (not columns and like is None), "skip serves the change history's capsule-level read"
    state = ProjectState(name=source_system.name, adapter=(source_system.meta or {}).get("adapter_type"))
    by_id: dict[Any, CapsuleState] = {}
    # Keys by the UUID's int on PostgreSQL (hashing a UUID object runs Python code); SQLite gives hex text.
    key = (lambda value: value.int) if connection.vendor == "postgresql" else (lambda value: value)
    like = like if like is not None and connection.vendor == "postgresql" and columns else None
    # ``lazy_sql``: the digest computed by PostgreSQL, the SQL itself fetched when asked (only for a state that
    # stays as read until then: not one read inside a transaction that later rewrites or rolls back the rows)
    postgres = (lazy_sql or like is not None) and connection.vendor == "postgresql"
    capsules = Capsule.objects.filter(source_system=source_system)
    if postgres:  # the digest without sending the SQL over (30 MB for 10,000 models); SQL fetched when asked
        # as state.sql_digest: None for no SQL or only whitespace, else the MD5 of the text as written
        capsules = capsules.annotate(sql_md5=Func(
            F("compiled_sql"), output_field=CharField(),
            template="CASE WHEN btrim(%(expressions)s, E' \\t\\n\\r\\f') = '' THEN NULL"
                     " ELSE md5(%(expressions)s) END",
        ))  # fmt: skip
    rows = capsules.values_list(
        "id",
        "urn",
        "unique_id",
        "name",
        "capsule_type",
        "original_file_path",
        "checksum",
        "sql_md5" if postgres else "compiled_sql",
        "materialization",
        "attributes",
        "tags",
        "group_name",
        "contract_enforced",
        "access",
        "version",
        "owner__name",
        "owner__email",
        "domain__name",
        "layer",
        "database_name",
        "schema_name",
        "relation_name",
        "tests",
    ).order_by()  # fmt: skip

    deferred: dict[Any, tuple] = {}  # skipped capsules' rows, by key: built only if they neighbour one read

    def add(pk: Any, capsule: CapsuleState) -> None:
        state.capsules[capsule.urn] = capsule
        by_id[key(pk)] = capsule

    if not postgres:
        for row in _rows(rows):
            if row[1] in skip:
                deferred[key(row[0])] = (row[0], row[1:], False)
                continue
            add(row[0], _capsule_state(row[1:], sql_md5=False))
    else:
        wanted = None
        if like is not None and like.row_digests:
            # Each row's digest first: a row that did not change since ``like`` read it is ``like``'s capsule
            # (a copy: its columns and SQL are set below); only the others are sent whole.
            wanted = []
            sql, params = rows.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT q.id, md5(ROW(q.*)::text) FROM ({sql}) AS q", params)
                for pk, digest in cursor.fetchall():
                    before = like.row_digests.get(key(pk))
                    if before is not None and before[0] == digest:
                        add(pk, replace(like.capsules[before[1]], columns={}, compiled_sql=None))
                    else:
                        wanted.append(pk)
        # the rows' digests are kept by a read that a later one may be ``like`` (the preview's base)
        digest = ", md5(ROW(q.*)::text)" if lazy_columns else ", NULL"
        chunks = [rows] if wanted is None else in_batches(rows, "id", wanted)
        # The skipped capsules are left out by the database (one array parameter, a hashed anti-join): it neither
        # computes their SQL's MD5 nor sends their rows (a lean re-ingest of 10,000 models skips all but a few);
        # those an edge joins to a capsule read are read by id below.
        apart = " WHERE NOT (q.urn = ANY(%s))" if skip else ""
        for chunk in chunks:
            sql, params = chunk.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT q.*{digest} FROM ({sql}) AS q{apart}", [*params, *([list(skip)] if skip else ())]
                )
                while batch := cursor.fetchmany(5000):
                    for row in batch:
                        if row[1] in skip:
                            deferred[key(row[0])] = (row[0], row[1:-1], True)
                            continue
                        capsule = _capsule_state(row[1:-1], sql_md5=True)
                        add(row[0], capsule)
                        if row[-1] is not None:
                            state.row_digests[key(row[0])] = (row[-1], capsule.urn)
    # Capsule edges (data flows upstream -> downstream), by key; skipped capsules next to one read are read now
    edges = CapsuleLineage.objects.exclude(edge_type=SQL_ONLY_EDGE).values_list("source_id", "target_id").order_by()
    apart_in_sql = postgres and bool(skip)
    read_ids = [uuid.UUID(int=k) for k in by_id] if apart_in_sql and len(by_id) < 5000 else None
    if read_ids is not None:
        # the skipped capsules were not read: the edges with an end among those read
        edges = edges.extra(where=["(target_id = ANY(%s) OR source_id = ANY(%s))"], params=[read_ids, read_ids])
    elif not apart_in_sql and len(by_id) + len(deferred) < 5000:  # larger: all edges in one scan beats a huge IN list
        edges = edges.filter(target_id__in=[uuid.UUID(int=k) if isinstance(k, int) else k for k in (*by_id, *deferred)])
    pairs = [(key(source), key(target)) for source, target in _rows(edges)]
    if apart_in_sql:
        # The skipped capsules an edge joins to one read, read now by id as the loop above would have kept them
        # aside (ends of other projects are not found: the query is this project's), then the edges between them.
        near = {t for s, t in pairs if s in by_id and t not in by_id}
        near.update(s for s, t in pairs if t in by_id and s not in by_id)
        near_ids = [uuid.UUID(int=k) for k in near]
        for chunk in in_batches(rows, "id", near_ids):
            sql, params = chunk.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT q.* FROM ({sql}) AS q", params)
                for row in cursor.fetchall():
                    add(row[0], _capsule_state(row[1:], sql_md5=True))
        if read_ids is not None and near_ids:
            among = CapsuleLineage.objects.exclude(edge_type=SQL_ONLY_EDGE).extra(
                where=["source_id = ANY(%s) AND target_id = ANY(%s)"], params=[near_ids, near_ids]
            )
            pairs.extend(
                (key(source), key(target))
                for source, target in _rows(among.values_list("source_id", "target_id").order_by())
            )
    if deferred:
        near = {t for s, t in pairs if t in deferred and s in by_id}
        near.update(s for s, t in pairs if s in deferred and t in by_id)
        for k in near:
            pk, values, sql_md5 = deferred[k]
            add(pk, _capsule_state(values, sql_md5=sql_md5))
    declared = Column.objects.filter(capsule__source_system=source_system).exclude(origin__in=INFERRED_ORIGINS)
    if like is not None:
        _like_reuse(state, like, declared, by_id=by_id, key=key, pii=pii, source_system=source_system)
    elif columns:
        state.has_catalog = _columns_read(state, declared, by_id=by_id, key=key, pii=pii, lazy=lazy_columns)
    else:
        state.has_catalog = declared.filter(in_catalog=True).exists()
        ids = {c.urn: pk for pk, c in by_id.items()}

        def read(urns: Iterable[str]) -> None:
            wanted = [uuid.UUID(int=ids[urn]) if isinstance(ids[urn], int) else ids[urn] for urn in urns if urn in ids]
            for batch in in_batches(declared, "capsule_id", wanted):
                _columns_read(state, batch, by_id=by_id, key=key, pii=pii)

        state.columns_reader = read
    urn_of = {pk: c.urn for pk, c in by_id.items()}
    for source, target in pairs:
        if target in urn_of and source in urn_of:
            state.downstream.setdefault(urn_of[source], set()).add(urn_of[target])
    if postgres and like is None:
        state.sql_source = lambda urns: dict(
            Capsule.objects.filter(source_system=source_system, urn__in=urns).values_list("urn", "compiled_sql")
        )
    return state


def _capsule_state(row: tuple, *, sql_md5: bool) -> CapsuleState:
    """A capsule's state from a row of ``project_state_read``'s capsule query (without its id)."""
    (urn, unique_id, name, capsule_type, path, checksum, sql, materialization, attributes, tags, group, contract,
     access, version, owner_name, owner_email, domain, layer, database, schema, relation, tests) = row  # fmt: skip
    attributes = _json(attributes, {})
    deprecation = attributes.get("deprecation_date")
    return CapsuleState(
        urn=urn, unique_id=unique_id, name=name, capsule_type=capsule_type, path=path, checksum=checksum or None,
        sql_digest=sql if sql_md5 else sql_digest(sql),
        materialization=materialization,
        config_digest=config_digest(attributes=attributes, tags=_json(tags, []), materialization=materialization,
                                    group=group),
        contract_enforced=bool(contract), access=access, version=version,
        deprecation_date=str(deprecation) if deprecation else None, owner=owner_label(owner_name, owner_email),
        domain=domain, layer=layer, relation=".".join(p for p in (database, schema, relation) if p) or None,
        compiled_sql=None if sql_md5 else sql,
        tests={test_key(test_type=t.get("test_type", ""), column=t.get("column"), kwargs=t.get("kwargs"),
                        name=t.get("name", "")): t.get("name", "") for t in _json(tests, [])},
    )  # fmt: skip


def _like_reuse(
    state: ProjectState, like: ProjectState, declared: QuerySet, *, by_id: dict, key: Callable, pii: bool,
    source_system: SourceSystem,
) -> None:  # fmt: skip
    """``project_state_read(like=...)``: the columns and SQL of ``state``'s capsules, reusing ``like``'s where the
    database's digests say they are the same. PostgreSQL only."""
    # SQL: fetched now where it differs from ``like``'s (this transaction may roll back); the same text elsewhere
    differ = []
    for capsule in state.capsules.values():
        before = like.capsules.get(capsule.urn)
        if before is not None and before.sql_digest == capsule.sql_digest:
            capsule.compiled_sql = before.compiled_sql  # None while ``like`` has not fetched it
        elif capsule.sql_digest is not None:
            differ.append(capsule.urn)
    for batch in in_batches(Capsule.objects.filter(source_system=source_system), "urn", differ):
        for urn, sql in batch.values_list("urn", "compiled_sql"):
            state.capsules[urn].compiled_sql = sql
    state.sql_source = like.sql_source  # asked only for capsules whose SQL is ``like``'s
    # Columns: the digests first (one row per capsule), then the packed columns of the capsules whose digest moved
    sql, params = _packed(declared, pii=pii)
    has_catalog = False
    stale = []
    shared: set[str] = set()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT capsule_id, md5(packed), catalog FROM ({sql}) AS p", params)
        for capsule_id, digest, catalog in cursor.fetchall():
            capsule = by_id.get(key(capsule_id))
            if capsule is None:
                continue
            has_catalog = has_catalog or catalog
            before = like.capsules.get(capsule.urn)
            if before is not None and like.column_digests.get(capsule.urn) == digest:
                capsule.columns = before.columns  # the same object: the diff compares it by identity first
                state.column_digests[capsule.urn] = digest
                shared.add(capsule.urn)
            else:
                stale.append(capsule_id)
    for batch in in_batches(declared, "capsule_id", stale):
        _columns_read(state, batch, by_id=by_id, key=key, pii=pii)
    state.has_catalog = has_catalog
    # What the diff compares is unpacked now; the shared columns stay packed, unpacked (for both) when used.
    for urn in [u for u in like.packed if u not in shared]:
        like.columns_of(urn)
    state.packed = like.packed


def _columns_read(
    state: ProjectState, columns: QuerySet, *, by_id: dict, key: Callable, pii: bool, lazy: bool = False
) -> bool:
    """Fill the capsules' columns from a queryset of declared columns (``lazy``: keep them packed in
    ``state.packed``); whether any is a catalog column. On PostgreSQL, also each capsule's
    ``ProjectState.column_digests``."""
    has_catalog = False
    make = ColumnState._make
    if connection.vendor == "postgresql":
        # One row per capsule with its columns packed by the database: a Python row per column costs several
        # times more (376,000 of them in a 10,000-model project).
        sql, params = _packed(columns, pii=pii)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT capsule_id, packed, md5(packed), catalog FROM ({sql}) AS p", params)
            for capsule_id, text, digest, catalog in cursor.fetchall():
                capsule = by_id.get(key(capsule_id))
                if capsule is None or not text:
                    continue
                state.column_digests[capsule.urn] = digest
                has_catalog = has_catalog or catalog
                if lazy:
                    state.packed[capsule.urn] = text
                else:
                    capsule.columns.update(columns_unpack(text))
    else:
        for capsule_id, name, data_type, in_manifest, in_catalog, pii_type, masked in _rows(_values(columns, pii)):
            capsule = by_id.get(key(capsule_id))
            if capsule is not None:
                capsule.columns[name.lower()] = make(
                    (name, data_type, bool(in_manifest), bool(in_catalog), pii_type, bool(masked))
                )
                has_catalog = has_catalog or bool(in_catalog)
    return has_catalog


def _values(columns: QuerySet, pii: bool) -> QuerySet:
    """The column facts a state holds, as a values_list."""
    if not pii:  # compared with parsed artifacts, which have no PII facts: leave them out on both sides
        return columns.values_list("capsule_id", "name", "data_type", "in_manifest", "in_catalog",
                                   Value(None, output_field=CharField()),
                                   Value(False, output_field=BooleanField())).order_by()  # fmt: skip
    return columns.values_list(
        "capsule_id", "name", "data_type", "in_manifest", "in_catalog", "pii_type", "pii_masked"
    ).order_by()


def _packed(columns: QuerySet, *, pii: bool) -> tuple[str, list]:
    """SQL of (capsule_id, packed, catalog), one row per capsule (PostgreSQL): its columns as one text, in name
    order so that equal columns give an equal digest whatever order the rows come in (byte order: the locale's
    collation would cost more and order nothing better), fields joined by chr(31), columns by chr(30), chr(2) for
    NULL; and whether any is a catalog column."""
    sql, params = _values(columns, pii).query.sql_with_params()
    return (
        "SELECT capsule_id, string_agg(concat_ws(chr(31), name, coalesce(data_type, chr(2)), in_manifest::int,"
        ' in_catalog::int, coalesce(pii_type, chr(2)), pii_masked::int), chr(30) ORDER BY name COLLATE "C")'
        " AS packed, bool_or(in_catalog) AS catalog"
        f" FROM ({sql}) AS declared(capsule_id, name, data_type, in_manifest, in_catalog, pii_type, pii_masked)"
        " GROUP BY capsule_id"
    ), params


def source_system_names() -> list[str]:
    """Names of the stored projects, for a choice list; one query."""
    return list(SourceSystem.objects.order_by("name").values_list("name", flat=True))


# -- history ------------------------------------------------------------------------------------------------


def change_list() -> QuerySet[CapsuleChange]:
    """Recorded changes, newest first, with their project's name and the ingestion (one query per page)."""
    return CapsuleChange.objects.select_related("source_system").order_by("-at", "id")


def capsule_change_history(*, urn: str, limit: int = 200) -> list[CapsuleChange]:
    """A capsule's recorded changes, newest first, including those under its former URN before a rename.
    Two queries (the rename chain, one step back per rename, is short)."""
    urns = {urn}
    frontier = {urn}
    for _ in range(10):  # a chain of renames
        previous = (
            set(
                CapsuleChange.objects.filter(kind="capsule_renamed", urn__in=frontier).values_list(
                    "base_urn", flat=True
                )
            )
            - urns
        )
        if not previous:
            break
        urns |= previous
        frontier = previous
    return list(change_list().filter(urn__in=urns)[:limit])


@dataclass
class RunHistory:
    """A node's recorded run results: (run, at, status, execution_time), oldest first."""

    urn: str
    name: str
    kind: str
    points: list[tuple[int, Any, str | None, float | None]]
    flips: int = 0  # status changes in the last FLAKY_WINDOW_RUNS runs

    @property
    def flaky(self) -> bool:
        return self.flips >= settings.FLAKY_MIN_FLIPS


def _window_start(system_id: Any) -> int:
    """The first run number of the project's last FLAKY_WINDOW_RUNS runs; one query."""
    runs = list(
        RunObservation.objects.filter(source_system_id=system_id, kind="run")
        .order_by("-run")
        .values_list("run", flat=True)[: settings.FLAKY_WINDOW_RUNS]
    )
    return runs[-1] if runs else 0


def _histories(rows, system_window: dict[Any, int]) -> list[RunHistory]:
    out: dict[str, RunHistory] = {}
    for system_id, urn, name, kind, run, at, status, seconds in rows:
        history = out.get(urn)
        if history is None:
            history = out[urn] = RunHistory(urn=urn, name=name, kind=kind, points=[])
        elif status != history.points[-1][2] and run >= system_window.get(system_id, 0):
            history.flips += 1  # a row is written only when the status (or time) moved
        history.points.append((run, at, status, seconds))
    return list(out.values())


_ROW = ("source_system_id", "urn", "name", "kind", "run", "at", "status", "execution_time")


def capsule_run_history(*, capsule: Capsule) -> dict[str, list[RunHistory]]:
    """The capsule's own execution-time history and its tests' status histories; three queries."""
    test_urns = [test_urn(unique_id=t["unique_id"]) for t in (capsule.tests or []) if t.get("unique_id")]
    rows = RunObservation.objects.filter(source_system_id=capsule.source_system_id).exclude(kind="run")
    window = {capsule.source_system_id: _window_start(capsule.source_system_id)}
    own = _histories(rows.filter(urn=capsule.urn).order_by("run").values_list(*_ROW), window)
    tests = rows.filter(kind="test", urn__in=test_urns)
    return {"model": own, "tests": _histories(tests.order_by("urn", "run").values_list(*_ROW), window)}


def flaky_tests(*, source_system: SourceSystem | None = None, limit: int = 50) -> list[RunHistory]:
    """Tests whose status changed FLAKY_MIN_FLIPS times or more in their project's last FLAKY_WINDOW_RUNS runs,
    most flips first. Reads the test observations of those runs (what moved only); a query per project."""
    systems = [source_system] if source_system else list(SourceSystem.objects.all())
    found: list[RunHistory] = []
    for system in systems:
        start = _window_start(system.pk)
        if not start:
            continue
        rows = RunObservation.objects.filter(source_system=system, kind="test")
        # the last observation before the window tells whether the window's first row is a flip
        recent = rows.filter(run__gte=start).values_list("urn", flat=True).distinct()
        earlier = rows.filter(urn__in=recent, run__lt=start).order_by("urn", "run").values_list(*_ROW)
        histories = _histories(list(earlier) + list(rows.filter(run__gte=start).order_by("urn", "run")
                                                   .values_list(*_ROW)), {system.pk: start})  # fmt: skip
        found += [h for h in histories if h.flaky]
    return sorted(found, key=lambda h: (-h.flips, h.name))[:limit]


@dataclass
class Growth:
    urn: str
    name: str
    first: float
    last: float
    points: int

    @property
    def increase(self) -> float:
        return self.last - self.first


def models_slowest_growing(*, limit: int = 5) -> list[Growth]:
    """Models whose recorded execution time grew the most (last minus first within the retention), with at least
    two recorded times; one query over what moved."""
    first: dict[str, tuple[str, float]] = {}
    growth: dict[str, Growth] = {}
    rows = (
        RunObservation.objects.filter(kind="model", execution_time__isnull=False)
        .order_by("urn", "run")
        .values_list("urn", "name", "execution_time")
    )
    for urn, name, seconds in rows.iterator(chunk_size=5000):
        if urn not in first:
            first[urn] = (name, seconds)
            continue
        growth[urn] = Growth(urn=urn, name=name, first=first[urn][1], last=seconds,
                             points=(growth[urn].points + 1) if urn in growth else 2)  # fmt: skip
    ranked = sorted((g for g in growth.values() if g.increase > 0), key=lambda g: -g.increase)
    return ranked[:limit]
