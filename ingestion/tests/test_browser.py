"""The change report page in a real headless Chromium: upload the pull request's artifacts, read the report,
see the affected subgraph drawn with each node's change marked."""

from __future__ import annotations

import pytest

from catalog.models import Capsule
from ingestion.tests.conftest import DATA_DIR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HEAD_DIR = DATA_DIR / "acme_shop_pr"
MODEL = "urn:dab:dbt:model:acme_shop."


def test_change_report_page_against_stored(sample_project, logged_in_page):
    page = logged_in_page
    page.goto("/changes/diff/")
    page.get_by_label("Changed manifest.json").set_input_files(str(HEAD_DIR / "manifest.json"))
    page.get_by_label("Changed catalog.json").set_input_files(str(HEAD_DIR / "catalog.json"))
    page.get_by_role("button", name="Compare").click()
    summary = page.locator("#diff-summary")
    summary.wait_for()
    assert "2 breaking errors" in summary.inner_text()
    rows = page.locator("#diff-breaking tbody tr")
    assert rows.count() == 6
    assert "fct_payments" in rows.first.inner_text() and "contract_broken" in rows.first.inner_text()
    assert "weekly_sales_dashboard" in page.locator("#diff-pii").inner_text()
    # the graph, drawn by the lineage widget, marks what the change did to each capsule
    graph = page.locator("#diff-graph")
    renamed = graph.locator(f'.lg-node.change-renamed[data-id="{MODEL}fct_customer_orders_summary"]')
    renamed.wait_for()
    assert graph.locator(f'.lg-node.change-changed[data-id="{MODEL}stg_order_items"]').count() == 1
    assert graph.locator(".lg-node.change-affected").count() >= 3  # what the narrowing reaches, exposures too
    assert (
        graph.locator(
            '.lg-node.change-affected[data-id="urn:dab:dbt:exposure:acme_shop.weekly_sales_dashboard"]'
        ).count()
        == 1
    )
    assert graph.locator("path.lg-edge").count() > 5
    assert "renamed" in (renamed.get_attribute("aria-label") or "")
    # the Markdown to paste into a pull request is on the page, and nothing was stored
    assert "DAB change report" in page.locator("#diff-markdown").text_content()
    assert not Capsule.objects.filter(name="fct_customer_orders_summary").exists()


def test_change_report_page_says_why_it_cannot_compare(db, logged_in_page):
    page = logged_in_page
    page.goto("/changes/diff/")
    page.get_by_label("Changed manifest.json").set_input_files(str(HEAD_DIR / "manifest.json"))
    page.get_by_role("button", name="Compare").click()
    alert = page.locator(".form-errors")
    alert.wait_for()
    assert "stored nothing for the project 'acme_shop'" in alert.inner_text()
