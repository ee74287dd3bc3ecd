"""Traversal, impact, paths and the neighbourhood graph (lineage/selectors.py) on small hand-made graphs."""

from __future__ import annotations

import pytest

from lineage import selectors
from lineage.selectors import depth_resolve

pytestmark = pytest.mark.django_db


def depths(result) -> dict[str, tuple[str, int]]:
    return {n.name: (n.direction, n.depth) for n in result.nodes}


@pytest.fixture
def shop(graph):
    """src -> stg -> int -> mart -> dashboard, with a second source into stg and a side branch from int."""
    graph.capsule("src", kind="source", layer="raw", owner="Platform")
    graph.capsule("src2", kind="source", layer="raw", owner="Platform")
    graph.capsule("stg", layer="staging", owner="Platform", domain="sales")
    graph.capsule("int", layer="intermediate", owner="Analytics", domain="sales")
    graph.capsule("mart", layer="marts", owner="Sales", domain="sales")
    graph.capsule("side", layer="marts", owner="Finance", domain="finance")
    graph.capsule("dashboard", kind="exposure", layer="consumption", owner="Sales",
                  attributes={"type": "dashboard", "url": "https://bi.example.com/1", "maturity": "high"})  # fmt: skip
    graph.chain("src", "stg", "int", "mart")
    graph.edge("src2", "stg")
    graph.edge("int", "side")
    graph.edge("mart", "dashboard", "exposes")
    return graph


def test_downstream_gives_each_node_its_shortest_distance(shop):
    result = selectors.capsule_lineage(
        capsule=shop.capsules["stg"], direction="downstream", depth=depth_resolve(requested=5)
    )
    assert depths(result) == {
        "stg": ("self", 0), "int": ("downstream", 1), "mart": ("downstream", 2), "side": ("downstream", 2),
        "dashboard": ("downstream", 3),
    }  # fmt: skip
    assert {(e.source, e.target, e.edge_type) for e in result.edges} == {
        ("urn:t:stg", "urn:t:int", "flows_to"), ("urn:t:int", "urn:t:mart", "flows_to"),
        ("urn:t:int", "urn:t:side", "flows_to"), ("urn:t:mart", "urn:t:dashboard", "exposes"),
    }  # fmt: skip


def test_upstream_and_both_directions(shop):
    up = selectors.capsule_lineage(capsule=shop.capsules["int"], direction="upstream", depth=depth_resolve(requested=5))
    assert depths(up) == {"int": ("self", 0), "stg": ("upstream", 1), "src": ("upstream", 2), "src2": ("upstream", 2)}
    both = selectors.capsule_lineage(capsule=shop.capsules["int"], direction="both", depth=depth_resolve(requested=1))
    assert depths(both) == {
        "int": ("self", 0), "stg": ("upstream", 1), "mart": ("downstream", 1), "side": ("downstream", 1)
    }  # fmt: skip


def test_depth_limits_the_walk(shop):
    result = selectors.capsule_lineage(
        capsule=shop.capsules["src"], direction="downstream", depth=depth_resolve(requested=2)
    )
    assert set(depths(result)) == {"src", "stg", "int"}


def test_depth_above_the_maximum_is_capped_and_says_so(shop, settings):
    settings.MAX_LINEAGE_DEPTH = 2
    depth = depth_resolve(requested=50)
    assert depth.as_dict() == {"requested": 50, "applied": 2, "capped": True}
    assert depth_resolve(requested=None).as_dict() == {"requested": None, "applied": 2, "capped": False}
    result = selectors.capsule_lineage(capsule=shop.capsules["src"], direction="downstream", depth=depth)
    assert max(n.depth for n in result.nodes) == 2
    assert result.as_dict()["depth"]["capped"] is True


def test_a_cycle_ends_and_lists_each_node_once(graph):
    for name in ("a", "b", "c", "d"):
        graph.capsule(name, layer="staging")
    graph.chain("a", "b", "c", "a")  # a hand-made cycle (dbt forbids them; a bad import may not)
    graph.edge("c", "d")
    result = selectors.capsule_lineage(capsule=graph.capsules["a"], direction="both", depth=depth_resolve(requested=10))
    names = [n.name for n in result.nodes]
    assert sorted(names) == ["a", "b", "c", "d"]
    assert depths(result)["d"] == ("downstream", 3)
    paths = selectors.lineage_paths(source_urn="urn:t:b", target_urn="urn:t:a", depth=depth_resolve(requested=10))
    assert paths.paths == [["urn:t:b", "urn:t:c", "urn:t:a"]]


def test_node_details_carry_owner_domain_pii_and_counts(shop):
    shop.column("stg", "email", pii_type="email")
    shop.column("stg", "id")
    result = selectors.capsule_lineage(
        capsule=shop.capsules["stg"], direction="upstream", depth=depth_resolve(requested=1)
    )
    stg = next(n for n in result.as_dict()["nodes"] if n["name"] == "stg")
    assert stg["owner"] == "Platform" and stg["domain"] == "sales"
    assert stg["has_pii"] is True and stg["pii_columns"] == 1
    assert (stg["upstream_count"], stg["downstream_count"]) == (2, 1)
    assert stg["url"] == "/capsules/urn:t:stg/"


# -- column level ------------------------------------------------------------------------------------------------------


@pytest.fixture
def columns(shop):
    for capsule, names in {"src": ("email", "id"), "stg": ("email", "id"), "int": ("email_hash", "id"),
                           "mart": ("email_hash", "customer_id")}.items():  # fmt: skip
        for name in names:
            shop.column(capsule, name, pii_type="email" if "email" in name else None)
    shop.column_edge("src.email", "stg.email", "derived", "lower(email)")
    shop.column_edge("src.id", "stg.id")
    shop.column_edge("stg.email", "int.email_hash", "hashed", "md5(email)")
    shop.column_edge("stg.id", "int.id")
    shop.column_edge("int.email_hash", "mart.email_hash")
    shop.column_edge("int.id", "mart.customer_id", "renamed", "id")
    return shop


def test_column_lineage_follows_columns_with_their_transformations(columns):
    result = selectors.column_lineage(
        column=columns.columns["stg.email"], direction="both", depth=depth_resolve(requested=None)
    )
    assert {n.urn: (n.direction, n.depth) for n in result.nodes} == {
        "urn:t:src:email": ("upstream", 1), "urn:t:stg:email": ("self", 0),
        "urn:t:int:email_hash": ("downstream", 1), "urn:t:mart:email_hash": ("downstream", 2),
    }  # fmt: skip
    edges = {(e.source, e.target): (e.edge_type, e.expression) for e in result.edges}
    assert edges[("urn:t:stg:email", "urn:t:int:email_hash")] == ("hashed", "md5(email)")
    assert result.as_dict()["edges"][0].keys() >= {"transformation_type", "expression"}


def test_a_capsule_at_column_level_walks_from_all_its_columns(columns):
    result = selectors.capsule_lineage(
        capsule=columns.capsules["int"], direction="downstream", depth=depth_resolve(requested=3), level="column"
    )
    assert {n.urn for n in result.nodes if n.direction == "downstream"} == {
        "urn:t:mart:email_hash", "urn:t:mart:customer_id"
    }  # fmt: skip


# -- impact ------------------------------------------------------------------------------------------------------------


def test_impact_groups_everything_downstream_and_calls_out_exposures(shop):
    impact = selectors.impact_analyse(capsule=shop.capsules["stg"], depth=depth_resolve(requested=None)).as_dict()
    assert impact["total"] == 4
    assert impact["by_depth"] == {"1": 1, "2": 2, "3": 1}
    assert impact["by_layer"] == {"marts": 2, "intermediate": 1, "consumption": 1}
    assert impact["by_owner"] == {"Sales": 2, "Analytics": 1, "Finance": 1}
    assert impact["by_domain"] == {"sales": 2, "finance": 1, "(none)": 1}
    assert impact["exposures"] == [
        {"urn": "urn:t:dashboard", "name": "dashboard", "type": "dashboard", "maturity": "high",
         "url": "https://bi.example.com/1", "owner": "Sales", "owner_email": None, "depth": 3,
         "page": "/capsules/urn:t:dashboard/"},
    ]  # fmt: skip


def test_impact_csv_has_a_header_and_a_row_per_capsule(shop):
    rows = list(selectors.impact_analyse(capsule=shop.capsules["int"], depth=depth_resolve(requested=None)).csv_rows())
    assert rows[0][:3] == ["depth", "urn", "name"]
    assert [r[1] for r in rows[1:]] == ["urn:t:mart", "urn:t:side", "urn:t:dashboard"]


def test_column_impact_lists_fed_columns_and_exposures_of_their_capsules(columns):
    impact = selectors.impact_analyse(column=columns.columns["src.email"], depth=depth_resolve(requested=None))
    data = impact.as_dict()
    assert [(i["name"], i["depth"]) for i in data["items"]] == [("stg", 1), ("int", 2), ("mart", 3)]
    assert data["items"][1]["columns"] == [{"name": "email_hash", "transformation_type": "hashed", "via": "md5(email)"}]
    assert [e["name"] for e in data["exposures"]] == ["dashboard"]
    rows = list(impact.csv_rows())
    assert rows[2][7:] == ["email_hash", "hashed", "md5(email)"]


# -- paths -------------------------------------------------------------------------------------------------------------


def test_all_shortest_paths_and_only_those(graph):
    for name in ("a", "b", "c", "d", "e"):
        graph.capsule(name)
    graph.chain("a", "b", "d")
    graph.chain("a", "c", "d")
    graph.chain("a", "e", "b")  # a longer way round, never shortest
    result = selectors.lineage_paths(source_urn="urn:t:a", target_urn="urn:t:d", depth=depth_resolve(requested=None))
    assert result.paths == [["urn:t:a", "urn:t:b", "urn:t:d"], ["urn:t:a", "urn:t:c", "urn:t:d"]]
    assert result.length == 2 and not result.reverse and not result.truncated
    assert result.as_dict()["names"]["urn:t:b"] == "b"


def test_paths_say_when_only_the_other_way_round_connects(graph):
    graph.capsule("a")
    graph.capsule("b")
    graph.edge("a", "b")
    result = selectors.lineage_paths(source_urn="urn:t:b", target_urn="urn:t:a", depth=depth_resolve(requested=None))
    assert result.paths == [] and result.reverse is True and result.length is None


def test_paths_between_columns(columns):
    result = selectors.lineage_paths(
        source_urn="urn:t:src:id", target_urn="urn:t:mart:customer_id", depth=depth_resolve(requested=None)
    )
    assert result.level == "column"
    assert result.paths == [["urn:t:src:id", "urn:t:stg:id", "urn:t:int:id", "urn:t:mart:customer_id"]]


def test_paths_to_an_unknown_urn_raise(graph):
    graph.capsule("a")
    with pytest.raises(selectors.Capsule.DoesNotExist):
        selectors.lineage_paths(source_urn="urn:t:a", target_urn="urn:t:nope", depth=depth_resolve(requested=None))


# -- the neighbourhood graph -------------------------------------------------------------------------------------------


def test_graph_marks_nodes_with_more_to_expand(shop):
    data = selectors.lineage_graph(urn="urn:t:int", upstream=1, downstream=1)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == {"urn:t:stg", "urn:t:int", "urn:t:mart", "urn:t:side"}
    assert nodes["urn:t:stg"]["more_upstream"] is True  # src and src2 are not drawn
    assert nodes["urn:t:int"]["more_upstream"] is False
    assert nodes["urn:t:mart"]["more_downstream"] is True  # the dashboard
    assert nodes["urn:t:side"]["more_downstream"] is False
    assert (nodes["urn:t:stg"]["rank"], nodes["urn:t:mart"]["rank"]) == (-1, 1)
    assert data["aggregated"] is False and data["note"] is None


def test_graph_groups_the_farthest_nodes_past_the_limit_and_says_so(graph):
    graph.capsule("root", layer="staging")
    graph.capsule("hub", layer="intermediate")
    graph.edge("root", "hub")
    for i in range(30):
        graph.capsule(f"mart_{i:02d}", layer="marts")
        graph.edge("hub", f"mart_{i:02d}")
    data = selectors.lineage_graph(urn="urn:t:root", upstream=0, downstream=2, max_nodes=10)
    assert data["aggregated"] is True and data["total_nodes"] == 32
    groups = [n for n in data["nodes"] if n["kind"] == "group"]
    assert len(groups) == 1 and groups[0]["member_count"] == 30 and groups[0]["layer"] == "marts"
    assert len(data["nodes"]) == 3 and data["hidden_nodes"] == 30
    assert "grouped" in data["note"]
    assert data["edges"] == [
        {"source": "urn:t:hub", "target": groups[0]["id"], "count": 30, "edge_type": "flows_to"},
        {"source": "urn:t:root", "target": "urn:t:hub", "count": 1, "edge_type": "flows_to"},
    ]


def test_graph_at_column_level_draws_capsules_holding_their_columns(columns):
    data = selectors.lineage_graph(urn="urn:t:stg", upstream=1, downstream=1, level="column")
    boxes = {n["id"]: n for n in data["nodes"]}
    assert set(boxes) == {"urn:t:src", "urn:t:stg", "urn:t:int"}
    assert [c["name"] for c in boxes["urn:t:int"]["columns"]] == ["email_hash", "id"]
    assert boxes["urn:t:int"]["more_downstream"] is True
    hashed = next(e for e in data["edges"] if e["target_column"] == "urn:t:int:email_hash")
    assert (hashed["source"], hashed["target"], hashed["transformation_type"]) == ("urn:t:stg", "urn:t:int", "hashed")


def test_graph_of_a_column_focuses_on_it(columns):
    data = selectors.lineage_graph(urn="urn:t:int:id", upstream=5, downstream=5)
    assert data["level"] == "column" and data["root_capsule"] == "urn:t:int"
    assert {n["id"] for n in data["nodes"]} == {"urn:t:src", "urn:t:stg", "urn:t:int", "urn:t:mart"}


def test_capsule_search_puts_exact_names_first(graph):
    for name in ("orders_daily", "orders", "stg_orders"):
        graph.capsule(name)
    assert [c.name for c in selectors.lineage_capsule_search(query="orders")] == [
        "orders",
        "orders_daily",
        "stg_orders",
    ]
    assert selectors.lineage_capsule_search(query="  ") == []
