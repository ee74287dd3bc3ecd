"""The Content-Security-Policy in a real Chromium: every main page loads without a single violation."""

from __future__ import annotations

import re

import pytest

from dab_project.tests.browser_pages import main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects the browser's own CSP reports before any page script runs.
WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""
INLINE = [
    # Data blocks (json_script's type="application/json") are never executed, so CSP leaves them alone.
    (re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I), "event-handler attribute"),
]


def visit(page, path: str, console: list[str]) -> list[str]:
    """Load `path`, let its scripts run, and return every CSP problem it had."""
    console.clear()
    response = page.goto(path)
    assert response.status < 400, f"{path} answered {response.status}"
    assert response.headers.get("content-security-policy"), f"{path} has no Content-Security-Policy"
    page.wait_for_load_state("networkidle")
    problems = [f"{path}: {text}" for text in page.evaluate("window.__csp")]
    problems += [f"{path}: console: {text}" for text in console if "Content Security Policy" in text]
    html = response.text()
    problems += [f"{path}: {what} in the HTML" for pattern, what in INLINE if pattern.search(html)]
    return problems


@pytest.fixture
def watched_page(logged_in_page):
    console: list[str] = []
    logged_in_page.on("console", lambda message: console.append(message.text))
    logged_in_page.add_init_script(WATCH_VIOLATIONS)
    logged_in_page.console = console
    return logged_in_page


def test_main_pages_load_without_csp_violations(sample_project, watched_page):
    problems = []
    for path in main_pages().values():
        problems += visit(watched_page, path, watched_page.console)
    # The lineage graph draws itself from JSON; expanding a node must not trip the policy either.
    watched_page.goto(main_pages()["lineage"])
    watched_page.locator(".lg-node").first.wait_for()
    problems += [f"lineage (drawn): {text}" for text in watched_page.evaluate("window.__csp")]
    assert problems == []


def test_admin_api_docs_and_login_pages_load_without_csp_violations(sample_project, watched_page, django_user_model):
    django_user_model.objects.filter(username="browser").update(is_superuser=True)
    problems = []
    for path in ("/admin/", "/admin/catalog/capsule/", "/api/v1/docs/"):
        problems += visit(watched_page, path, watched_page.console)
    watched_page.locator(".swagger-ui .info").wait_for()  # Swagger UI ran under the policy
    watched_page.get_by_role("button", name="Sign out").count()  # still signed in
    watched_page.context.clear_cookies()
    for path in ("/accounts/login/", "/admin/login/"):
        problems += visit(watched_page, path, watched_page.console)
    assert problems == []
