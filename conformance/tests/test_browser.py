"""The conformance pages in a real headless Chromium: the dashboard, then bulk triage on the violations list."""

from __future__ import annotations

import pytest

from conformance.models import Violation
from conformance.services import conformance_evaluate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_then_bulk_waive_from_the_violations_list(sample_project, logged_in_page):
    conformance_evaluate()  # two evaluations: the trend has a line
    page = logged_in_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Conformance").click()
    page.wait_for_url("**/conformance/")
    assert page.get_by_role("heading", name="Conformance", exact=True).is_visible()
    assert page.get_by_test_id("score").is_visible()
    assert page.locator("svg.trend-chart polyline.series-score").count() == 1
    assert page.get_by_test_id("offenders").locator("tbody tr").count() > 0

    page.get_by_role("link", name="Violations", exact=True).first.click()
    page.wait_for_url("**/conformance/violations/")
    page.get_by_label("Rule", exact=True).select_option("DBT-D02")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**rule=DBT-D02**")
    rows = page.get_by_test_id("violation-table").locator("tbody tr")
    expected = Violation.objects.filter(rule__rule_id="DBT-D02").count()
    assert rows.count() == expected == 2

    apply = page.get_by_role("button", name="Apply to selected")
    assert apply.is_disabled()
    page.get_by_label("Select all on this page").check()
    assert page.locator("[data-selected-count]").inner_text() == f"{expected} selected"
    assert not page.get_by_label("Waive until").is_visible()
    page.get_by_label("Action").select_option("waive")
    assert page.get_by_label("Waive until").is_visible()
    page.get_by_label("Reason").fill("Documented in the wiki; yml follows next sprint")
    apply.click()
    page.wait_for_load_state()
    assert (
        page.get_by_role("status").inner_text().strip() == f"Waive: {expected} violation{'s' if expected != 1 else ''}."
    )
    assert rows.count() == expected
    assert all(text == "waived" for text in rows.locator("td:nth-child(3) .badge").all_inner_texts())
    assert set(Violation.objects.filter(rule__rule_id="DBT-D02").values_list("status", "waived_by")) == {
        ("waived", "browser")
    }

    rows.first.locator("td:nth-child(6) a").click()
    trail = page.get_by_test_id("audit-trail")
    assert "Documented in the wiki" in trail.inner_text() and "browser" in trail.inner_text()


def test_an_evaluator_set_up_uploaded_from_the_page_shows_on_the_rule_pages(logged_in_page):
    from pathlib import Path

    from conftest import SAMPLE_TARGET_DIR

    settings = Path(__file__).parent / "data" / "acme_evaluator_dbt_project.yml"
    page = logged_in_page
    page.goto("/ingestion/")
    page.get_by_label("manifest.json").set_input_files(str(SAMPLE_TARGET_DIR / "manifest.json"))
    page.get_by_label("catalog.json").set_input_files(str(SAMPLE_TARGET_DIR / "catalog.json"))
    page.get_by_label("dbt_project.yml").set_input_files(str(settings))
    page.get_by_role("button", name="Ingest").click()
    page.wait_for_url("**/ingestion/*/")
    assert page.get_by_text("Ingested acme_shop.").is_visible()
    assert page.get_by_text("test_coverage_target").first.is_visible()  # the variable DAB could not render

    page.goto("/conformance/rules/DBT-M12/")
    in_force = page.get_by_role("heading", name="Project settings in force")
    assert in_force.is_visible()
    assert "acme_shop" in page.content() and "'max': 2" in page.content()  # too_many_joins_threshold 3
    assert not page.locator("#differs-from-evaluator").count()

    page.goto("/conformance/rules/DBT-M04/")
    differs = page.locator("#differs-from-evaluator")
    assert differs.get_by_role("heading", name="Where DAB deliberately differs").is_visible()
    assert "Jinja" in differs.inner_text()
    assert page.get_by_text("fct_hard_coded_references").first.is_visible()
