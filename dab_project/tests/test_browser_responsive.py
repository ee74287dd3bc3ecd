"""Phone and laptop widths in a real Chromium: no sideways scrolling, the columns that matter stay visible."""

from __future__ import annotations

import pytest

from dab_project.tests.browser_pages import STG, main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def on_screen(page, selector: str) -> bool:
    """The first element matching `selector` is displayed, not clipped away, and inside the viewport's width."""
    return page.eval_on_selector(
        selector,
        """(el) => {
      const r = el.getBoundingClientRect(), s = getComputedStyle(el);
      return s.display !== "none" && s.visibility !== "hidden" && r.width > 0 && r.height > 0
        && r.left >= 0 && r.right <= document.documentElement.clientWidth + 0.5;
    }""",
    )


@pytest.fixture
def phone(logged_in_page):
    logged_in_page.set_viewport_size({"width": 390, "height": 844})
    return logged_in_page


def test_main_pages_do_not_scroll_sideways_on_a_phone(sample_project, phone):
    wide = {}
    for name, path in main_pages().items():
        phone.goto(path)
        overflow = phone.evaluate(SIDEWAYS)
        if overflow > 0:
            wide[name] = overflow
    assert wide == {}


def test_header_is_compact_on_a_phone(sample_project, phone):
    phone.goto("/")
    height = phone.eval_on_selector(".site-header", "(el) => el.getBoundingClientRect().height")
    assert height <= 120, f"the header takes {height}px"
    assert on_screen(phone, "#global-search")


def test_capsule_columns_show_description_and_pii_on_a_phone(sample_project, phone):
    phone.goto(f"/capsules/{STG}/")
    table = "table.columns-table"
    assert on_screen(phone, f"{table} .col-description"), "column descriptions are visible"
    assert on_screen(phone, f"{table} .badge-pii"), "PII badges are visible"


def test_violations_list_shows_the_message_on_a_phone(sample_project, phone):
    phone.goto("/conformance/violations/")
    assert on_screen(phone, "table .violation-message")


@pytest.mark.parametrize("path", ["/", "/conformance/"])
def test_fix_first_owner_column_is_not_clipped_on_a_laptop(sample_project, logged_in_page, path):
    page = logged_in_page
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(path)
    clipped = page.evaluate(
        """() => [...document.querySelectorAll("[data-testid=offenders] td.owner")].filter(
        (td) => td.scrollWidth > td.clientWidth + 1
          || td.getBoundingClientRect().right > td.closest(".panel").getBoundingClientRect().right
      ).map((td) => td.textContent)"""
    )
    assert page.locator("[data-testid=offenders] td.owner").count() > 0
    assert clipped == []
