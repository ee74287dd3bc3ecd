"""graph_load over several connections (PostgreSQL, large catalogs) builds the same graph as over one."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

from lineage import graph as graph_module
from lineage.graph import graph_load
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
