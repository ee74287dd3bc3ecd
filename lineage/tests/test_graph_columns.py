"""Some capsules' columns only (graph_columns_load) and column lineage asked of the database, against the whole
graph_load of the ingested sample: the evaluation after a change relies on both being exact."""

from __future__ import annotations

import pytest

from lineage.graph import column_lineage_neighbours, graph_columns_load, graph_load, key_text

pytestmark = pytest.mark.django_db


def _columns_of(graph, index: int) -> list[tuple]:
    columns = graph.columns
    return [
        (
            c.urn,
            c.name,
            c.data_type,
            c.description,
            c.tags,
            c.meta,
            c.tests,
            c.pii_type,
            c.pii_masked,
            c.semantic_type,
            c.in_manifest,
            c.constraints,
            c.pk,
            c.inferred,
        )  # fmt: skip
        for c in (columns[i] for i in graph.capsules[index].columns)
    ]


def _column_edges(graph) -> set[tuple[str, str, str]]:
    columns = graph.columns
    return {
        (columns[source].urn, columns[target].urn, kind)
        for source, targets in enumerate(graph.column_downstream)
        for target, kind in targets
    }


def test_some_capsules_columns_are_those_a_whole_load_builds(ingest_sample):
    ingest_sample()
    whole = graph_load()
    with_columns = [node.index for node in whole.capsules if node.columns]
    chosen = set(with_columns[::2])
    assert len(chosen) > 5
    graph = graph_columns_load(graph_load(columns=False), capsules=chosen)
    assert graph.column_capsules == chosen and graph.column_total == len(whole.columns)
    assert [node.urn for node in graph.capsules] == [node.urn for node in whole.capsules]
    for node in graph.capsules:
        if node.index in chosen:
            assert _columns_of(graph, node.index) == _columns_of(whole, node.index)
            assert graph.has_columns(node.index)
        else:
            assert node.columns == [] and not graph.has_columns(node.index)
    # the column edges between the chosen capsules' columns, and no other
    inside = {whole.columns[i].urn for index in chosen for i in whole.capsules[index].columns}
    expected = {edge for edge in _column_edges(whole) if edge[0] in inside and edge[1] in inside}
    assert expected and _column_edges(graph) == expected
    # the columns in the same relative order as in the whole graph (walks over them meet them in the same order)
    order = {column.urn: column.index for column in whole.columns}
    assert [order[c.urn] for c in graph.columns] == sorted(order[c.urn] for c in graph.columns)
    # every capsule's: the whole graph itself
    assert graph_columns_load(graph_load(columns=False), capsules=None) == whole


def test_column_lineage_neighbours_are_the_whole_graphs(ingest_sample):
    ingest_sample()
    whole = graph_load()
    columns = whole.columns
    checked = 0
    for node in whole.capsules:
        for downstream, links in ((True, whole.column_downstream), (False, whole.column_upstream)):
            expected = {
                key_text(whole.capsules[columns[other].capsule].pk) for c in node.columns for other, _ in links[c]
            }
            assert column_lineage_neighbours([node.pk], downstream=downstream) == expected, node.urn
            checked += bool(expected)
    assert checked > 10


def test_a_column_count_the_caller_took_is_not_taken_again(ingest_sample, django_assert_num_queries):
    """An evaluation counted every column for its graph's state a moment before (``graph_state``, in the same
    transaction): loading some capsules' columns takes that count instead of counting the catalog again."""
    ingest_sample()
    whole = graph_load()
    chosen = {node.index for node in whole.capsules if node.columns}
    graph = graph_load(columns=False)
    with django_assert_num_queries(2):  # the columns and their edges; no count
        graph_columns_load(graph, capsules=chosen, column_total=len(whole.columns))
    assert graph.column_total == len(whole.columns)
