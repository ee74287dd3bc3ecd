"""graph_load over several connections (PostgreSQL, large catalogs) builds the same graph as over one, and as a
read started early in a thread of its own (graph_load_start)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

from lineage import graph as graph_module
from lineage.graph import GraphLoad, graph_columns_load, graph_load, graph_load_start
from lineage.models import ColumnLineage


@pytest.fixture
def reads(monkeypatch) -> list[bool]:
    """Whether each graph read ran in parallel."""
    seen: list[bool] = []
    real = graph_module._reader

    def recording(queries, *, parallel):
        seen.append(parallel)
        return real(queries, parallel=parallel)

    monkeypatch.setattr(graph_module, "_reader", recording)
    return seen


@pytest.mark.django_db(transaction=True)  # committed data: the parallel read's own connections must see it
def test_the_parallel_read_builds_the_same_graph_as_the_serial_one(ingest_sample, monkeypatch, reads):
    if connection.vendor != "postgresql":
        pytest.skip("the parallel read is PostgreSQL's")
    ingest_sample()
    reads.clear()
    real_connect = psycopg.connect
    monkeypatch.setattr(graph_module, "PARALLEL_READ_MIN_BYTES", 1 << 62)
    serial = graph_load(sql=True)
    monkeypatch.setattr(graph_module, "PARALLEL_READ_MIN_BYTES", 0)
    opened = []
    monkeypatch.setattr(psycopg, "connect", lambda *a, **k: opened.append(1) or real_connect(*a, **k))
    parallel = graph_load(sql=True)
    assert len(opened) == 4  # capsules, capsule edges, columns, column edges: one connection each
    assert len(parallel.columns) > 100 and any(parallel.column_downstream) and any(parallel.downstream)
    assert parallel == serial
    # inside a transaction another connection would not see what this one has not committed: one connection
    with transaction.atomic():
        ColumnLineage.objects.all().delete()
        assert not any(graph_load().column_downstream)  # it sees the uncommitted delete
        transaction.set_rollback(True)
    assert graph_load(sql=True) == parallel  # the rollback kept every edge
    assert reads == [False, True, False, True]


@pytest.mark.django_db(transaction=True)  # committed data: the started read's own connections must see it
def test_a_read_started_in_a_thread_builds_the_graph_graph_load_builds(ingest_sample, monkeypatch, reads):
    if connection.vendor != "postgresql":
        pytest.skip("the started read is PostgreSQL's")
    ingest_sample()
    reads.clear()
    monkeypatch.setattr(graph_module, "PARALLEL_READ_MIN_BYTES", 0)  # read as a 10,000-model catalog is
    real_connect, opened = psycopg.connect, []
    monkeypatch.setattr(psycopg, "connect", lambda *a, **k: opened.append(real_connect(*a, **k)) or opened[-1])
    started = graph_load_start(sql=True)
    assert isinstance(started, GraphLoad)
    graph = started()
    assert started() is graph  # asked again: the same graph, not a second read
    assert len(graph.columns) > 100 and any(graph.column_downstream) and any(node.raw_sql for node in graph.capsules)
    # the thread's connections (its Django connection and the read's four) are closed when the graph is handed over
    assert len(opened) == 5 and all(conn.closed for conn in opened)
    assert graph == graph_load(sql=True)
    assert reads == [True, True]  # both over four connections, the thread's as the caller's


@pytest.mark.django_db(transaction=True)
def test_a_started_read_that_fails_raises_in_the_caller(ingest_sample, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the started read is PostgreSQL's")
    ingest_sample()

    def failing(**options):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(graph_module, "graph_load", failing)
    started = graph_load_start()
    started.wait()  # ends without raising: the caller asks for the graph, or not
    with pytest.raises(RuntimeError, match="went away"):
        started()


@pytest.mark.django_db
def test_a_read_started_inside_a_transaction_runs_when_asked_and_sees_the_transaction(ingest_sample):
    ingest_sample()
    with transaction.atomic():
        ColumnLineage.objects.all().delete()
        started = graph_load_start()
        assert not isinstance(started, GraphLoad)  # no thread: its connection would not see the delete
        assert not any(started().column_downstream)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_column_urn_index_is_built_when_asked_for_and_follows_the_columns(ingest_sample):
    ingest_sample()
    graph = graph_load()
    assert graph.column_urn_index is None  # graph_load does not build it
    assert graph.column_by_urn == {node.urn: node.index for node in graph.columns}
    assert len(graph.column_by_urn) == len(graph.columns) > 100
    # asked for before the columns are added, it is built again from them
    partial = graph_load(columns=False)
    assert partial.column_by_urn == {}
    graph_columns_load(partial, capsules=None)
    assert partial.column_by_urn == graph.column_by_urn
    assert partial.columns == graph.columns
