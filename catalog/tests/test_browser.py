"""The catalog in a real headless Chromium over the ingested sample: search from the header, filter the
browser (state in the URL, surviving a reload), open a capsule and a column, hostile descriptions inert."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection

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


def test_typeahead_suggests_and_opens_a_capsule_from_the_keyboard(logged_in_page, sample_project):
    page = logged_in_page
    box = page.get_by_role("combobox", name="Search capsules and columns")
    page.keyboard.press("/")
    page.keyboard.type("s")
    page.wait_for_timeout(400)
    assert box.get_attribute("aria-expanded") == "false"  # one character: nothing yet
    page.keyboard.type("tg_cu")
    listbox = page.get_by_role("listbox", name="Suggestions")
    listbox.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    options = listbox.get_by_role("option")
    first = options.first
    assert "stg_customers" in first.inner_text() and "staging" in first.inner_text()
    assert sample_urn("model.acme_shop.stg_customers") in first.inner_text()
    assert options.last.inner_text().startswith("All results for “stg_cu”")
    page.keyboard.press("ArrowDown")
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/capsules/{sample_urn('model.acme_shop.stg_customers')}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("stg_customers")


def test_typeahead_escape_closes_and_enter_then_searches_everything(logged_in_page, sample_project):
    page = logged_in_page
    box = page.get_by_role("combobox", name="Search capsules and columns")
    box.click()
    page.keyboard.type("orders")
    listbox = page.get_by_role("listbox", name="Suggestions")
    listbox.wait_for()
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and listbox.is_hidden()
    page.keyboard.press("ArrowDown")  # reopens
    listbox.wait_for()
    page.keyboard.press("ArrowUp")  # wraps to the last option: every result
    assert listbox.get_by_role("option").last.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=orders$"))
    assert page.get_by_role("region", name=re.compile("^Capsules")).get_by_role("listitem").count() > 0


def test_typeahead_forgives_a_typo(logged_in_page, sample_project):
    if connection.vendor != "postgresql":
        pytest.skip("the fuzzy tier needs PostgreSQL with pg_trgm; SQLite finds literal matches only")
    page = logged_in_page
    page.get_by_role("combobox", name="Search capsules and columns").click()
    page.keyboard.type("fct_odrers")
    option = page.get_by_role("listbox", name="Suggestions").get_by_role("option").first
    option.wait_for()
    assert "fct_orders" in option.inner_text() and "similar name" in option.inner_text()
    option.click()
    page.wait_for_url(f"**/capsules/{sample_urn('model.acme_shop.fct_orders')}/")


def test_search_facets_narrow_the_results_and_the_url_keeps_them(logged_in_page, sample_project):
    page = logged_in_page
    page.goto("/search/?q=customer")
    facets = page.get_by_role("complementary", name="Narrow the results")
    layer = facets.get_by_role("region", name="Layer")
    marts = layer.get_by_role("link", name=re.compile(r"^marts \d+"))
    expected = int(marts.inner_text().split()[-1])
    marts.click()
    page.wait_for_url(re.compile(r"layer=marts"))
    assert query_of(page.url) == {"q": ["customer"], "layer": ["marts"]}
    capsules = page.get_by_role("region", name=re.compile("^Capsules"))
    assert f"({expected})" in capsules.get_by_role("heading").inner_text()
    page.reload()
    chosen = page.get_by_role("region", name="Layer").locator("a[aria-current=true]")
    assert chosen.inner_text().startswith("✓") and "marts" in chosen.inner_text()
    chosen.focus()
    page.keyboard.press("Enter")  # the keyboard removes it again
    page.wait_for_url(re.compile(r"/search/\?q=customer$"))


def test_search_with_no_results_offers_the_closest_names(logged_in_page, sample_project):
    page = logged_in_page
    page.goto("/search/?q=stg_custmers_tbl1")
    panel = page.get_by_role("region", name=re.compile("^Nothing matches"))
    panel.get_by_role("link", name="stg_customers").click()
    page.wait_for_url(re.compile(r"q=stg_customers"))
    assert "exact name" in page.get_by_role("region", name=re.compile("^Capsules")).inner_text()
