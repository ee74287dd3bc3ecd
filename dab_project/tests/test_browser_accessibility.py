"""Accessibility in a real Chromium: axe-core's WCAG 2 A and AA rules find nothing on the main pages."""

from __future__ import annotations

import pytest

from dab_project.tests.browser_pages import main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " ")),
    count: v.nodes.length,
  }));
}"""


@pytest.fixture
def axe_page(browser, live_server, django_user_model, axe_source):
    """A signed-in page whose context lets the test inject axe-core despite the Content-Security-Policy."""
    django_user_model.objects.create_user(username="a11y", password="a11y-pass-123", is_staff=True)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.axe_source = axe_source
    yield page
    context.close()


def sign_in(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("a11y")
    page.get_by_label("Password").fill("a11y-pass-123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def audit(page, path: str) -> list[str]:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(content=page.axe_source)
    violations = page.evaluate(RUN_AXE, WCAG_TAGS)
    return [
        f"{path}: {v['id']} ({v['impact']}, {v['count']} elements): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations
    ]


def test_the_login_page_has_no_accessibility_violations(axe_page):
    assert audit(axe_page, "/accounts/login/") == []


def test_error_pages_have_no_accessibility_violations_and_lead_back(axe_page):
    sign_in(axe_page)
    axe_page.goto("/capsules/")
    assert audit(axe_page, "/no-such-page/") == []
    axe_page.get_by_role("link", name="Back to the previous page").click()
    axe_page.wait_for_url("**/capsules/")


def test_main_pages_have_no_accessibility_violations(sample_project, axe_page):
    sign_in(axe_page)
    problems = []
    for path in main_pages().values():
        problems += audit(axe_page, path)
    assert problems == [], "\n".join(problems)
