"""The lineage graph in a real headless Chromium: expand, follow, column mode, keyboard, and the column trace."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STG = "urn:dab:dbt:model:acme_shop.stg_customers"
DIM_V2 = "urn:dab:dbt:model:acme_shop.dim_customers.v2"
EXPORT = "urn:dab:dbt:exposure:acme_shop.crm_customer_export"


def node(page, urn: str):
    return page.locator(f'.lg-node[data-id="{urn}"]')


def test_capsule_page_expand_lineage_and_follow_a_node(sample_project, logged_in_page):
    page = logged_in_page
    page.goto(f"/capsules/{STG}/")
    panel = page.locator("#capsule-lineage")
    panel.scroll_into_view_if_needed()
    node(panel, DIM_V2).wait_for()
    # One level each way: the source, the capsule itself, and its four readers.
    assert panel.locator(".lg-node").count() == 6
    assert "6 capsules" in panel.locator(".lg-status").inner_text()
    assert node(panel, EXPORT).count() == 0
    node(panel, DIM_V2).locator(".lg-expand-downstream").click()
    node(panel, EXPORT).wait_for()
    assert panel.locator(".lg-node").count() == 7
    assert node(panel, DIM_V2).locator(".lg-expand-downstream").count() == 0  # nothing more to show there
    node(panel, EXPORT).click()
    page.wait_for_url(re.compile(r"/capsules/urn:dab:dbt:exposure:acme_shop\.crm_customer_export/$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("crm_customer_export")


def test_explorer_column_mode_shows_which_columns_feed_which(sample_project, logged_in_page):
    page = logged_in_page
    page.goto(f"/lineage/?urn={STG}&upstream=1&downstream=1")
    widget = page.locator("#explorer-graph")
    node(widget, STG).wait_for()
    widget.get_by_role("button", name="Columns").click()
    widget.locator(".lg-row").first.wait_for()
    assert widget.get_by_role("button", name="Columns").get_attribute("aria-pressed") == "true"
    assert page.url.endswith("level=column")  # the view stays a link
    dim = node(widget, DIM_V2)
    assert dim.locator(".lg-row", has_text="phone_hash").count() == 1
    hashed = widget.locator("path.lg-edge.tx-hashed")
    assert hashed.count() >= 2
    assert any("phone_hash" in (hashed.nth(i).locator("title").text_content() or "") for i in range(hashed.count()))
    assert "between columns" in widget.locator(".lg-status").inner_text()
    # A column row opens its column page.
    dim.locator(".lg-row", has_text="phone_hash").click()
    page.wait_for_url(re.compile(r"/columns/urn:dab:dbt:model:acme_shop\.dim_customers\.v2:phone_hash/$"))


def test_pan_zoom_and_keyboard(sample_project, logged_in_page):
    page = logged_in_page
    page.goto(f"/lineage/?urn={STG}&upstream=2&downstream=2")
    widget = page.locator("#explorer-graph")
    node(widget, STG).wait_for()
    viewport = widget.locator(".lg-viewport")

    def scale() -> float:
        return float(re.search(r"scale\(([\d.]+)\)", viewport.get_attribute("transform")).group(1))

    before = scale()
    widget.get_by_role("button", name="Zoom in").click()
    assert scale() == pytest.approx(before * 1.2, rel=1e-3)
    canvas = widget.locator(".lg-canvas")
    canvas.focus()
    page.keyboard.press("-")
    assert scale() == pytest.approx(before, rel=1e-3)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    assert scale() > before
    transform = viewport.get_attribute("transform")
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 80, steps=5)
    page.mouse.up()
    assert viewport.get_attribute("transform") != transform
    assert page.url.endswith("downstream=2")  # a drag is not a click: nothing was opened
    # Tab to a node and open it with Enter.
    node(widget, STG).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/capsules/urn:dab:dbt:model:acme_shop\.stg_customers/$"))


def test_layout_orders_layers_without_needless_crossings(sample_project, logged_in_page):
    page = logged_in_page
    page.goto(f"/lineage/?urn={STG}")
    page.locator(".lg-node").first.wait_for()
    # Two chains a1->b1->c1 and a2->b2->c2 given in an order that crosses: the sweeps must untangle them.
    result = page.evaluate(
        """() => DabLineage.layout(
            [{id: "a1", h: 40, order: 0}, {id: "a2", h: 40, order: 1}, {id: "b2", h: 40, order: 2},
             {id: "b1", h: 40, order: 3}, {id: "c1", h: 40, order: 4}, {id: "c2", h: 40, order: 5}],
            [{source: "a1", target: "b1"}, {source: "a2", target: "b2"}, {source: "b1", target: "c1"},
             {source: "b2", target: "c2"}, {source: "a1", target: "c2"}])"""
    )
    assert result["crossings"] == 0
    assert (result["layer"]["a1"], result["layer"]["b1"], result["layer"]["c1"]) == (0, 1, 2)
    # A cycle still lays out (one edge reversed) instead of looping.
    cyclic = page.evaluate(
        """() => DabLineage.layout([{id: "x", h: 40, order: 0}, {id: "y", h: 40, order: 1}],
                                   [{source: "x", target: "y"}, {source: "y", target: "x"}])"""
    )
    assert sorted(cyclic["layer"].values()) == [0, 1]


def test_column_page_shows_the_trace_with_transformations(sample_project, logged_in_page):
    page = logged_in_page
    page.goto(f"/columns/{STG}:phone/")
    trace = page.locator("section.column-trace")
    trace.scroll_into_view_if_needed()
    upstream = trace.locator("table").nth(0)
    assert "customers.phone" in upstream.inner_text()
    downstream = trace.locator("table").nth(1)
    row = downstream.locator("tr", has_text="phone_hash").first
    assert "hashed" in row.inner_text() and "SHA256(c.phone)" in row.inner_text()
    trace.get_by_role("link", name="Open in the explorer").click()
    page.wait_for_url(re.compile(r"/lineage/\?urn="))
    page.locator("#explorer-graph .lg-row").first.wait_for()


def scale_of(widget) -> float:
    return float(re.search(r"scale\(([\d.]+)\)", widget.locator(".lg-viewport").get_attribute("transform")).group(1))


def nodes_outside_canvas(widget) -> list[str]:
    return widget.evaluate(
        """(root) => {
      const canvas = root.querySelector(".lg-canvas").getBoundingClientRect();
      return [...root.querySelectorAll(".lg-node")].filter((n) => {
        const r = n.querySelector(".lg-box").getBoundingClientRect();
        return r.left < canvas.left - 1 || r.right > canvas.right + 1
          || r.top < canvas.top - 1 || r.bottom > canvas.bottom + 1;
      }).map((n) => n.dataset.id);
    }"""
    )


def test_explorer_typed_name_draws_two_hops_at_once(sample_project, logged_in_page):
    page = logged_in_page
    page.goto("/lineage/")
    assert page.get_by_label("Upstream hops").input_value() == "2"
    assert page.get_by_label("Downstream hops").input_value() == "2"
    page.get_by_label("Find a capsule").fill("stg_customers")
    page.get_by_role("button", name="Show").click()
    widget = page.locator("#explorer-graph")
    node(widget, STG).wait_for()
    assert "upstream=2" in page.url and "downstream=2" in page.url
    assert widget.locator(".lg-node").count() > 3  # not a lone node
    assert page.locator("#results-heading").count() == 0  # no extra results page


def test_expanding_refits_and_columns_keep_the_expanded_nodes(sample_project, logged_in_page):
    page = logged_in_page
    page.goto(f"/lineage/?urn={STG}&upstream=1&downstream=1")
    widget = page.locator("#explorer-graph")
    node(widget, DIM_V2).wait_for()
    node(widget, DIM_V2).locator(".lg-expand-downstream").click()
    node(widget, EXPORT).wait_for()
    page.wait_for_function("() => !document.querySelector('#explorer-graph.is-loading')")
    assert nodes_outside_canvas(widget) == []  # the view was fitted again, the new node included
    shown = set(widget.locator(".lg-node").evaluate_all("(nodes) => nodes.map((n) => n.dataset.id)"))
    widget.get_by_role("button", name="Columns").click()
    widget.locator(".lg-row").first.wait_for()
    node(widget, EXPORT).wait_for()
    page.wait_for_function("() => !document.querySelector('#explorer-graph.is-loading')")
    after = set(widget.locator(".lg-node").evaluate_all("(nodes) => nodes.map((n) => n.dataset.id)"))
    assert EXPORT in after and shown <= after


def test_long_names_are_cut_with_a_tooltip(sample_project, logged_in_page):
    from catalog.models import Capsule

    long_name = "stg_customers_with_a_name_far_too_long_to_fit_in_one_box"
    Capsule.objects.filter(urn=STG).update(name=long_name)
    page = logged_in_page
    page.goto(f"/lineage/?urn={STG}&upstream=1&downstream=1")
    widget = page.locator("#explorer-graph")
    node(widget, STG).wait_for()
    drawn = node(widget, STG).locator("text.lg-title").text_content()
    assert drawn.endswith("…") and len(drawn) < len(long_name)
    assert long_name in node(widget, STG).locator(":scope > title").text_content()
    assert long_name in node(widget, STG).get_attribute("aria-label")


def test_deep_graphs_start_legible_and_go_full_screen(sample_project, logged_in_page):
    page = logged_in_page
    page.goto(f"/lineage/?urn={STG}&upstream=5&downstream=5")
    widget = page.locator("#explorer-graph")
    node(widget, STG).wait_for()
    assert scale_of(widget) >= 0.7  # titles about 9 px or more, never the 7 px of a squeezed fit
    height_before = widget.locator(".lg-canvas").bounding_box()["height"]
    widget.get_by_role("button", name="Full screen").click()
    box = widget.bounding_box()
    size = page.viewport_size
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, size["width"], size["height"])
    assert widget.locator(".lg-canvas").bounding_box()["height"] > height_before
    assert widget.get_by_role("button", name="Exit full screen").get_attribute("aria-pressed") == "true"
    page.keyboard.press("Escape")
    assert widget.get_by_role("button", name="Full screen").get_attribute("aria-pressed") == "false"
    assert widget.locator(".lg-canvas").bounding_box()["height"] == pytest.approx(height_before)
