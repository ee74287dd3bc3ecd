"""The PII pages in a real headless Chromium over the ingested sample: filter the inventory, open a trace,
and confirm/reject a classification from the column page."""

from __future__ import annotations

import re

import pytest

from catalog.models import Column

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

V2_EMAIL = "urn:dab:dbt:model:acme_shop.dim_customers.v2:email"
STG_PHONE = "urn:dab:dbt:model:acme_shop.stg_customers:phone"


def test_filter_the_inventory(logged_in_page, sample_project):
    page = logged_in_page
    page.goto("/pii/")
    total = int(page.get_by_test_id("pii-total").inner_text())
    assert total == Column.objects.filter(pii_type__isnull=False).count()
    page.get_by_label("PII type").select_option("email")
    page.wait_for_url(re.compile(r"pii_type=email"))
    emails = Column.objects.filter(pii_type="email").count()
    assert int(page.get_by_test_id("pii-total").inner_text()) == emails
    rows = page.get_by_test_id("pii-inventory").locator("tbody tr")
    assert rows.count() == emails
    assert all("email" in text for text in rows.all_inner_texts())
    page.get_by_label("Masking").select_option("true")
    page.wait_for_url(re.compile(r"masked=true"))
    assert int(page.get_by_test_id("pii-total").inner_text()) == Column.objects.filter(
        pii_type="email", pii_masked=True).count()


def test_open_a_trace_from_the_exposure_list(logged_in_page, sample_project):
    page = logged_in_page
    page.goto("/pii/")
    exposure = page.get_by_test_id("pii-exposure")
    row = exposure.locator("tbody tr", has_text="dim_customers v2.email")
    row.get_by_test_id("trace-link").click()
    page.wait_for_url(re.compile(r"/pii/trace/"))
    assert page.get_by_role("heading", level=1).inner_text() == "PII trace: dim_customers v2.email"
    flow = page.get_by_test_id("pii-flow")
    assert flow.locator("svg a.flow-node").count() >= 4
    assert flow.locator('a[data-urn="urn:dab:dbt:source:acme_shop.shop.customers:email"]').count() == 1
    assert "customers.email" in page.get_by_test_id("pii-origins").inner_text()
    assert "crm_customer_export" in page.get_by_test_id("pii-trace-exposures").inner_text()
    # the flow's nodes are links: follow one upstream
    flow.locator('a[data-urn="urn:dab:dbt:model:acme_shop.stg_customers:email"]').click()
    page.wait_for_url(re.compile(r"/columns/urn:dab:dbt:model:acme_shop.stg_customers:email/"))


def test_reject_then_confirm_on_the_column_page(logged_in_page, sample_project):
    page = logged_in_page
    page.goto(f"/columns/{STG_PHONE}/")
    review = page.get_by_test_id("pii-review")
    review.get_by_label("Note").fill("a shared switchboard number")
    review.get_by_test_id("pii-reject").click()
    page.wait_for_url(re.compile(r"/columns/urn:dab:dbt:model:acme_shop.stg_customers:phone/"))
    assert "rejected, not PII" in page.locator(".messages").inner_text()
    assert "Rejected" in page.locator(".pii-decision").inner_text()
    column = Column.objects.get(urn=STG_PHONE)
    assert (column.pii_type, column.pii_decision, column.pii_decision_note) == (
        None, "rejected", "a shared switchboard number")
    # downstream copies followed the decision
    assert Column.objects.get(urn="urn:dab:dbt:model:acme_shop.dim_customers.v1:phone").pii_detected_by == "name"
    review = page.get_by_test_id("pii-review")
    review.get_by_label("PII type").select_option("phone")
    review.get_by_test_id("pii-confirm").click()
    page.wait_for_url(re.compile(r"/columns/"))
    assert "confirmed as phone" in page.locator(".messages").inner_text()
    assert Column.objects.get(urn=STG_PHONE).pii_decision == "confirmed"
    page.get_by_test_id("pii-review").get_by_test_id("pii-clear").click()
    page.wait_for_url(re.compile(r"/columns/"))
    assert Column.objects.get(urn=STG_PHONE).pii_decision is None
