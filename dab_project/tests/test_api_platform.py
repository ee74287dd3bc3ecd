"""The /api/v1 platform: API-key auth, error bodies, pagination, schema and docs."""

import pytest

from catalog.models import Domain, Owner, SourceSystem

pytestmark = pytest.mark.django_db


def test_missing_api_key_gets_401_with_json_error(anon_api_client):
    response = anon_api_client.get("/api/v1/owners")
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "unauthorized"
    assert "credentials" in body["error"]["message"].lower()
    assert body["error"]["request_id"] == response["X-Request-ID"]


def test_wrong_api_key_gets_401(anon_api_client):
    response = anon_api_client.get("/api/v1/owners", HTTP_X_API_KEY="not-the-key")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid API key."


def test_right_key_in_x_api_key_header(anon_api_client, api_key):
    assert anon_api_client.get("/api/v1/owners", HTTP_X_API_KEY=api_key).status_code == 200


def test_right_key_in_authorization_header(anon_api_client, api_key):
    response = anon_api_client.get("/api/v1/owners", HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    assert response.status_code == 200


def test_other_authorization_schemes_are_not_api_keys(anon_api_client, api_key):
    response = anon_api_client.get("/api/v1/owners", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert response.status_code == 401


def test_signed_in_session_reaches_the_api(steward_client):
    assert steward_client.get("/api/v1/owners").status_code == 200


def test_owners_domains_and_source_systems_are_listed(api_client):
    owner = Owner.objects.create(name="Data Platform", email="platform@example.com")
    parent = Domain.objects.create(name="commerce")
    Domain.objects.create(name="sales", parent=parent, owner=owner)
    SourceSystem.objects.create(name="acme_shop", source_type="dbt", meta={"adapter_type": "duckdb"})

    owners = api_client.get("/api/v1/owners").json()
    assert owners["count"] == 1
    assert owners["results"][0]["name"] == "Data Platform"
    assert owners["results"][0]["capsule_count"] == 0

    domains = api_client.get("/api/v1/domains/").json()
    assert [d["name"] for d in domains["results"]] == ["commerce", "sales"]
    sales = api_client.get("/api/v1/domains/sales").json()
    assert sales["parent"]["name"] == "commerce"
    assert sales["owner"]["email"] == "platform@example.com"

    systems = api_client.get("/api/v1/source-systems").json()
    assert systems["results"][0]["meta"] == {"adapter_type": "duckdb"}


def test_unknown_object_gives_404_json(api_client):
    response = api_client.get("/api/v1/domains/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_page_size_is_capped(api_client, settings):
    settings.API_MAX_PAGE_SIZE = 3
    Owner.objects.bulk_create(Owner(name=f"team {i:02d}") for i in range(5))
    body = api_client.get("/api/v1/owners?page_size=100").json()
    assert body["page_size"] == 3
    assert len(body["results"]) == 3
    assert body["count"] == 5
    assert body["next"] is not None


def test_list_endpoints_keep_a_fixed_number_of_queries(api_client, django_assert_max_num_queries):
    owners = Owner.objects.bulk_create(Owner(name=f"team {i:02d}") for i in range(30))
    Domain.objects.bulk_create(Domain(name=f"domain {i:02d}", owner=owners[i]) for i in range(30))
    for url in ("/api/v1/owners?page_size=30", "/api/v1/domains?page_size=30", "/api/v1/source-systems"):
        with django_assert_max_num_queries(3):
            assert api_client.get(url).status_code == 200


def test_openapi_schema_and_docs_are_served(api_client, client):
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/health" in document["paths"]
    assert document["components"]["securitySchemes"]["ApiKeyAuth"]["name"] == "X-API-Key"
    docs = api_client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()  # served from our own static files, offline


def test_request_id_is_echoed_or_created(client):
    response = client.get("/api/v1/health", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    generated = client.get("/api/v1/health", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert generated["X-Request-ID"] != "bad id\nwith newline"
    assert len(generated["X-Request-ID"]) == 32


def test_cors_follows_cors_origins(client, settings):
    response = client.get("/api/v1/health", HTTP_ORIGIN="https://somewhere.example")
    assert response["Access-Control-Allow-Origin"] == "*"


# -- every /api/v1 answer is JSON, errors in the one shape ------------------------------------------------


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message"] and body["error"]["request_id"]
    return body


def test_a_path_no_route_takes_is_a_json_404(api_client):
    _error(api_client.get("/api/v1/no/such/endpoint"), 404, "not_found")
    _error(api_client.get("/api/v1/capsules/urn:bad~escape"), 404, "not_found")  # a '~' that escapes nothing


def test_a_method_an_endpoint_does_not_take_is_a_json_405(api_client):
    _error(api_client.delete("/api/v1/capsules"), 405, "method_not_allowed")
    _error(api_client.put("/api/v1/health/ready"), 405, "method_not_allowed")


def test_an_unexpected_error_is_a_json_500(api_key, monkeypatch):
    from django.test import Client

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("catalog.api.views.selectors.owner_list", broken)
    client = Client(raise_request_exception=False)
    body = _error(client.get("/api/v1/owners", HTTP_X_API_KEY=api_key), 500, "server_error")
    assert "a bug" not in body["error"]["message"]  # no internals leak


def test_a_database_error_is_a_json_503_naming_the_database(api_client, monkeypatch):
    from django.db import OperationalError

    def down(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("catalog.api.views.selectors.owner_list", down)
    response = api_client.get("/api/v1/owners")
    body = _error(response, 503, "database_unavailable")
    assert body["error"]["message"].startswith("The database is unavailable")
    assert response["Retry-After"]


def test_an_error_is_json_even_when_csv_was_asked_for(api_client):
    _error(api_client.get("/api/v1/capsules/urn:dab:none/impact?format=csv"), 404, "not_found")


def test_json_nested_too_deeply_is_a_400_not_a_500(api_client):
    body = "[" * 100_000 + "]" * 100_000
    response = api_client.post("/api/v1/conformance/violations/triage", body, content_type="application/json")
    assert "nested too deeply" in _error(response, 400, "bad_request")["error"]["message"]


@pytest.mark.parametrize(
    "url",
    ["/api/v1/owners?page_size=0", "/api/v1/owners?page=abc", "/api/v1/owners?page_size=x", "/api/v1/columns?pii=maybe",
     "/api/v1/conformance/score?trend=lots"],
)
def test_parameters_the_schema_refuses_are_refused(api_client, url):
    _error(api_client.get(url), 400, "bad_request")


def test_the_schema_documents_nullable_owner_and_domain_and_every_error(api_client):
    document = api_client.get("/api/v1/schema/?format=json").json()
    capsule = document["components"]["schemas"]["Capsule"]["properties"]
    for field in ("owner", "domain"):
        assert capsule[field].get("nullable") is True or {"type": "null"} in capsule[field].get("oneOf", []) or any(
            part.get("nullable") for part in capsule[field].get("allOf", [])
        ), capsule[field]
    operation = document["paths"]["/api/v1/capsules/{urn}"]["get"]
    assert {"200", "401", "403", "404", "503"} <= set(operation["responses"])
    error_schema = operation["responses"]["404"]["content"]["application/json"]["schema"]
    assert error_schema["$ref"] == "#/components/schemas/Error"
    assert "~2F" in next(p for p in operation["parameters"] if p["name"] == "urn")["description"]
    job = document["components"]["schemas"]["IngestionJob"]["properties"]
    assert job["stats"]["allOf"] == [{"$ref": "#/components/schemas/IngestionStats"}]
    assert job["duration_seconds"]["nullable"]  # a running job has no duration yet
    stats = document["components"]["schemas"]["IngestionStats"]["properties"]
    assert stats["capsules"]["$ref"] == "#/components/schemas/ChangeCounts"
