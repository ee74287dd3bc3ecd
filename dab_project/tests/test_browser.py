"""The UI shell in a real headless Chromium: login, navigation, dashboard."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_and_dashboard(page, django_user_model):
    django_user_model.objects.create_user(username="ada", password="ada-pass-123", is_staff=True)
    page.goto("/capsules/")
    assert "/accounts/login/" in page.url  # pages need a login
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    page.get_by_label("Password").fill("ada-pass-123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/capsules/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.wait_for_url(page.base_url + "/")
    assert page.get_by_role("heading", name="Nothing ingested yet").is_visible()
    assert page.locator("nav.main-nav a[aria-current=page]").inner_text() == "Dashboard"
    page.get_by_role("button", name="Sign out").click()
    page.goto("/")
    assert "/accounts/login/" in page.url


def test_slash_focuses_the_search_box(logged_in_page):
    page = logged_in_page
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "global-search"
