"""The catalog in a real headless Chromium over the ingested sample: search from the header, filter the
browser (state in the URL, surviving a reload), open a capsule and a column, hostile descriptions inert."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from catalog.models import Capsule
from catalog.tests.conftest import sample_urn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_search_for_a_capsule_from_the_header(logged_in_page, sample_project):
    page = logged_in_page
    page.keyboard.press("/")
    page.keyboard.type("stg_customers")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=stg_customers"))
    capsules = page.get_by_role("region", name=re.compile("^Capsules"))
    first = capsules.get_by_role("listitem").first
    assert "exact name" in first.inner_text()
    first.get_by_role("link", name="stg_customers").click()
    page.wait_for_url(f"**/capsules/{sample_urn('model.acme_shop.stg_customers')}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("stg_customers")


def test_filter_the_browser_state_lands_in_the_url_and_survives_reload(logged_in_page, sample_project):
    page = logged_in_page
    page.goto("/capsules/")
    page.get_by_label("Type").select_option("model")
    page.wait_for_url(re.compile(r"capsule_type=model"))
    page.get_by_label("Layer").select_option("marts")
    page.wait_for_url(re.compile(r"layer=marts"))
    # empty fields stay out of the shareable URL
    assert query_of(page.url) == {"capsule_type": ["model"], "layer": ["marts"]}
    expected = Capsule.objects.filter(capsule_type="model", layer="marts").count()
    assert page.locator("table.capsule-table tbody tr").count() == expected
    page.reload()
    assert page.get_by_label("Type").input_value() == "model"
    assert page.get_by_label("Layer").input_value() == "marts"
    assert f"{expected} capsules match" in page.get_by_role("status").first.inner_text()
    # sorting keeps the filters and is announced on the header
    page.get_by_role("link", name=re.compile("^Tests")).click()
    page.wait_for_url(re.compile(r"ordering=test_count"))
    assert query_of(page.url)["layer"] == ["marts"]
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Tests")


def test_keyboard_only_filtering_with_the_search_field(logged_in_page, sample_project):
    page = logged_in_page
    page.goto("/capsules/")
    page.get_by_label("Name, URN, tag or description").focus()
    page.keyboard.type("payments")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"search=payments"))
    first_row = page.locator("table.capsule-table tbody tr").first
    assert first_row.get_by_role("link").first.inner_text() in ("payments", "stg_payments", "fct_payments")


def test_open_a_capsule_then_a_column(logged_in_page, sample_project):
    page = logged_in_page
    page.goto("/capsules/?search=fct_orders")
    page.get_by_role("link", name="fct_orders", exact=True).click()
    page.wait_for_url(f"**/capsules/{sample_urn('model.acme_shop.fct_orders')}/")
    columns = page.get_by_role("region", name=re.compile("^Columns"))
    assert (
        columns.locator("tbody tr").count()
        == Capsule.objects.get(urn=sample_urn("model.acme_shop.fct_orders")).columns.count()
    )
    columns.get_by_role("link", name="order_id", exact=True).click()
    page.wait_for_url("**/columns/**:order_id/")
    assert page.get_by_role("heading", level=1).inner_text() == "fct_orders.order_id"
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="fct_orders").click()
    page.wait_for_url(f"**/capsules/{sample_urn('model.acme_shop.fct_orders')}/")


def test_hostile_description_is_rendered_inert(logged_in_page, sample_project):
    page = logged_in_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tickets = sample_urn("model.acme_shop.stg_support_tickets")
    for url in (f"/columns/{tickets}:notes/", f"/capsules/{tickets}/"):
        page.goto(url)
        assert page.locator(".markdown script").count() == 0
        assert page.locator("script", has_text="alert(").count() == 0
        bold = page.locator(".markdown b", has_text="Never render this field unescaped.")
        assert bold.count() == 1
        assert bold.first.get_attribute("onmouseover") is None
        bold.first.hover()
    assert dialogs == []


def test_keyboard_changes_to_a_filter_wait_for_apply(logged_in_page, sample_project):
    page = logged_in_page
    page.goto("/capsules/")
    layer = page.get_by_label("Layer")
    layer.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert "layer=" not in page.url  # no reload on each arrow press
    chosen = layer.input_value()
    assert chosen
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(rf"layer={chosen}"))
    assert page.get_by_label("Layer").input_value() == chosen
