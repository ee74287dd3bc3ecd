"""Login throttling (django-axes): failed sign-ins lock the account and the address; API keys are untouched."""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.django_db

PASSWORD = "steward-pass-123"


def sign_in(client, url: str, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_an_account_is_locked_after_repeated_failures_even_from_new_addresses(client, steward, settings, url):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, url, "steward", "wrong", address=f"10.0.1.{attempt}")
        assert response.status_code == 200  # the form again, with its error
    # The failure that reaches the limit is answered with the lockout page already.
    assert sign_in(client, url, "steward", "wrong", address="10.0.1.99").status_code == 429
    locked = sign_in(client, url, "steward", PASSWORD, address="10.0.2.1")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Sign-in temporarily locked" in html
    assert f"locked for {settings.LOGIN_LOCKOUT_MINUTES} minutes" in html
    assert "_auth_user_id" not in client.session


def test_an_address_is_locked_after_failures_across_accounts(client, steward, django_user_model, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "/accounts/login/", f"guess{attempt}", "wrong", address="10.9.9.9")
    assert sign_in(client, "/accounts/login/", "steward", PASSWORD, address="10.9.9.9").status_code == 429
    # The steward can still sign in from their own address.
    response = sign_in(client, "/accounts/login/", "steward", PASSWORD, address="10.1.1.1")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(steward.pk)


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(client, steward, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "/accounts/login/", "steward", "wrong")
    assert sign_in(client, "/accounts/login/", "steward", PASSWORD).status_code == 302


def test_lockout_is_logged(client, steward, settings, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(client, "/accounts/login/", "steward", "wrong", address="10.4.4.4")
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "login_locked_out" in messages
    assert "10.4.4.4" in messages


def test_the_api_key_works_from_a_locked_out_address(client, steward, anon_api_client, api_key, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(client, "/accounts/login/", f"guess{attempt}", "wrong", address="10.7.7.7")
    assert sign_in(client, "/accounts/login/", "steward", PASSWORD, address="10.7.7.7").status_code == 429
    response = anon_api_client.get("/api/v1/owners", HTTP_X_API_KEY=api_key, REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 200
    wrong = anon_api_client.get("/api/v1/owners", HTTP_X_API_KEY="not-the-key", REMOTE_ADDR="10.7.7.7")
    assert wrong.status_code == 401


def test_forwarded_address_counts_only_behind_trusted_proxies(client, steward, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/",
            {"username": f"guess{attempt}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.254",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{attempt}, 203.0.113.9",
        )
    # The proxy's own address is not locked: the client behind it was.
    ok = client.post(
        "/accounts/login/",
        {"username": "steward", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert ok.status_code == 302
