"""Error pages are DAB pages: header, the error said plainly, a search and ways back; never Django's bare ones."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db


def assert_dab_error_page(html: str, heading: str) -> None:
    assert '<header class="site-header">' in html
    assert f'<h1 id="error-heading">{heading}</h1>' in html
    assert 'role="search"' in html and 'action="/search/"' in html
    assert "Back to the previous page" in html and 'href="/">Dashboard</a>' in html
    assert "/static/dab/dab.css" in html


def test_unknown_page_is_a_styled_404(steward_client):
    response = steward_client.get("/no-such-page/")
    assert response.status_code == 404
    assert_dab_error_page(response.content.decode(), "Page not found")


def test_unknown_capsule_is_a_styled_404(steward_client):
    response = steward_client.get("/capsules/urn:dab:dbt:model:nowhere.nothing/")
    assert response.status_code == 404
    assert_dab_error_page(response.content.decode(), "Page not found")


def test_bad_request_is_a_styled_400(steward_client):
    response = steward_client.get("/", HTTP_HOST="not-an-allowed-host.example")
    assert response.status_code == 400
    assert_dab_error_page(response.content.decode(), "This request could not be understood")


def test_forbidden_is_a_styled_403(steward):
    request = RequestFactory().get("/conformance/")
    request.user = steward
    response = defaults.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert_dab_error_page(response.content.decode(), "You are not allowed to do this")


def test_expired_form_is_a_styled_403():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert_dab_error_page(response.content.decode(), "This form has expired")


@pytest.mark.urls("dab_project.tests.urls_failing")
def test_server_error_is_a_styled_500_without_details(steward_client):
    steward_client.raise_request_exception = False
    response = steward_client.get("/failing/")
    assert response.status_code == 500
    html = response.content.decode()
    assert_dab_error_page(html, "Something went wrong on our side")
    assert "a bug in a view" not in html and "Traceback" not in html
