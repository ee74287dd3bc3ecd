"""The conformance API: score, violations (filters, triage, bulk), rules, evaluations, a capsule's violations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conformance.choices import ViolationStatus
from conformance.models import ScoreSnapshot, Violation

pytestmark = pytest.mark.django_db

API = "/api/v1/conformance"
TOUCHPOINTS = "model.acme_shop.int_customer_touchpoints"


def a_violation(rule_id: str = "DBT-D02", unique_id: str = TOUCHPOINTS) -> Violation:
    return Violation.objects.get(rule__rule_id=rule_id, capsule__unique_id=unique_id)


def test_score_has_breakdowns_trend_and_what_changed(sample_project, api_client):
    body = api_client.get(f"{API}/score").json()
    snapshot = ScoreSnapshot.objects.get()
    assert body["score"] == snapshot.score and body["weighted_score"] == snapshot.weighted_score
    for key in ("by_rule_set", "by_category", "by_layer", "by_domain", "by_owner"):
        assert body[key], key
    assert set(body["by_rule_set"]) >= {"medallion", "dbt_best_practices", "pii_compliance"}
    assert body["overall"]["findings"] == body["findings"]
    assert body["since_previous"]["new"] == body["findings"] and body["since_previous"]["previous"] is None
    assert [point["score"] for point in body["trend"]] == [snapshot.score]
    assert body["offenders"][0]["worst"] in ("critical", "error")


def test_score_without_any_evaluation_is_a_404_that_says_what_to_do(db, api_client):
    response = api_client.get(f"{API}/score")
    assert response.status_code == 404
    assert "dab conformance check" in response.json()["error"]["message"]


def test_reading_needs_authentication(db, anon_api_client):
    assert anon_api_client.get(f"{API}/violations").status_code == 401


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("severity=critical", lambda v: v["severity"] == "critical"),
        ("severity=error,critical", lambda v: v["severity"] in ("error", "critical")),
        ("rule=DBT-D02", lambda v: v["rule"]["rule_id"] == "DBT-D02"),
        ("rule_set=medallion", lambda v: v["rule"]["rule_set"] == "medallion"),
        ("status=open", lambda v: v["status"] == "open"),
        ("layer=marts", lambda v: v["capsule"]["layer"] == "marts"),
        ("domain=finance", lambda v: v["capsule"]["domain"] == "finance"),
        ("owner=Customer Insights", lambda v: v["capsule"]["owner"] == "Customer Insights"),
        ("capsule=fct_support", lambda v: "fct_support" in v["capsule"]["name"]),
    ],
)
def test_violation_filters(sample_project, api_client, query, check):
    body = api_client.get(f"{API}/violations?{query}&page_size=500").json()
    assert body["count"] > 0, query
    assert all(check(v) for v in body["results"]), query


def test_violation_list_is_worst_first_and_its_queries_do_not_grow(
    sample_project, api_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        body = api_client.get(f"{API}/violations?page_size=200").json()
    ranks = ["critical", "error", "warning", "info"]
    assert [ranks.index(v["severity"]) for v in body["results"]] == sorted(
        ranks.index(v["severity"]) for v in body["results"]
    )
    first = body["results"][0]
    assert first["last_seen_at"] and first["capsule"]["urn"].startswith("urn:") and first["url"]


def test_a_capsule_urn_filter_and_the_capsule_route(sample_project, api_client, urn_of, django_assert_max_num_queries):
    urn = urn_of(TOUCHPOINTS)
    by_filter = api_client.get(f"{API}/violations", {"capsule": urn}).json()
    with django_assert_max_num_queries(5):
        by_route = api_client.get(f"/api/v1/capsules/{urn}/violations").json()
    assert by_route["count"] == by_filter["count"] > 0
    assert {v["rule"]["rule_id"] for v in by_route["results"]} >= {"DBT-D02"}
    assert api_client.get(f"/api/v1/capsules/{urn}/violations?severity=critical").json()["count"] == 0
    assert api_client.get("/api/v1/capsules/urn:dab:dbt:model:nope.nope/violations").status_code == 404


def test_violation_detail_has_rationale_remedy_and_audit_trail(sample_project, api_client):
    target = a_violation()
    api_client.post(f"{API}/violations/{target.pk}/acknowledge", {"reason": "on it"}, format="json")
    body = api_client.get(f"{API}/violations/{target.pk}").json()
    assert body["rationale"] and body["remediation"]
    assert body["events"] == [
        {
            "at": body["events"][0]["at"],
            "actor": "api-key",
            "from_status": "open",
            "to_status": "acknowledged",
            "reason": "on it",
            "expires": None,
            "evaluation": None,
        }
    ]


def test_triage_endpoints_change_status(sample_project, api_client):
    target = a_violation()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    body = api_client.post(
        f"{API}/violations/{target.pk}/waive", {"reason": "next sprint", "expires": tomorrow}, format="json"
    ).json()
    assert body["status"] == "waived"
    assert body["waiver"] == {
        "source": "steward",
        "reason": "next sprint",
        "expires": tomorrow,
        "by": "api-key",
        "at": body["waiver"]["at"],
    }
    assert api_client.post(f"{API}/violations/{target.pk}/reopen", {}, format="json").json()["status"] == "open"
    assert api_client.post(f"{API}/violations/{target.pk}/resolve", {}, format="json").json()["status"] == "resolved"


def test_a_triage_that_does_not_apply_is_a_conflict(sample_project, api_client):
    target = a_violation()
    response = api_client.post(f"{API}/violations/{target.pk}/waive", {}, format="json")
    assert response.status_code == 409 and "reason" in response.json()["error"]["message"]
    api_client.post(f"{API}/violations/{target.pk}/resolve", {}, format="json")
    response = api_client.post(f"{API}/violations/{target.pk}/acknowledge", {}, format="json")
    assert response.status_code == 409


def test_bulk_triage(sample_project, api_client):
    ids = [str(pk) for pk in Violation.objects.filter(rule__rule_id="DBT-D02").values_list("pk", flat=True)]
    missing = "00000000-0000-0000-0000-000000000000"
    body = api_client.post(
        f"{API}/violations/triage", {"ids": [*ids, missing], "action": "acknowledge"}, format="json"
    ).json()
    assert sorted(body["changed"]) == sorted(ids)
    assert body["skipped"] == {missing: "no such violation"}
    assert Violation.objects.filter(rule__rule_id="DBT-D02", status=ViolationStatus.ACKNOWLEDGED).count() == len(ids)
    response = api_client.post(f"{API}/violations/triage", {"ids": ids, "action": "waive"}, format="json")
    assert response.status_code == 400


def test_signed_in_non_staff_can_read_but_not_triage(sample_project, client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="reader", password="x"))
    target = a_violation()
    assert client.get(f"{API}/violations/{target.pk}").status_code == 200
    response = client.post(f"{API}/violations/{target.pk}/acknowledge", {}, content_type="application/json")
    assert response.status_code == 403


def test_rules_have_pass_rates_and_their_documentation(sample_project, api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        body = api_client.get(f"{API}/rules?page_size=100").json()
    assert body["count"] == 63
    rule = next(r for r in body["results"] if r["rule_id"] == "DBT-D02")
    assert rule["rationale"] and rule["remediation"] and rule["check_type"] == "required_property"
    assert 0 < rule["pass_rate"] < 100 and rule["failing"] == 2 and rule["last_status"] == "evaluated"
    one = api_client.get(f"{API}/rules/DBT-D02").json()
    assert one["rule_id"] == "DBT-D02"
    assert api_client.get(f"{API}/rules?rule_set=medallion").json()["count"] == 11


def test_evaluate_runs_and_stores_an_evaluation(sample_project, api_client):
    response = api_client.post(f"{API}/evaluate", {}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["trigger"] == "api" and body["stats"]["violations"]["new"] == 0
    assert ScoreSnapshot.objects.count() == 2
    assert api_client.post(f"{API}/evaluate", {"rule_set": "nope"}, format="json").status_code == 400
    body = api_client.post(f"{API}/evaluate", {"rule_set": "medallion"}, format="json").json()
    assert body["rule_set"] == "medallion"


def test_evaluate_refuses_a_body_that_is_not_json(sample_project, api_client):
    # a multipart body used to read as "no rule set" and ran a full evaluation
    response = api_client.post(f"{API}/evaluate", {"rule_set": "medallion"}, format="multipart")
    assert response.status_code == 415 and response.json()["error"]["code"]
    assert ScoreSnapshot.objects.count() == 1  # the ingestion's evaluation only


def test_evaluations_list_and_detail(sample_project, api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        body = api_client.get(f"{API}/evaluations").json()
    assert body["count"] == 1 and "report" not in body["results"][0]
    detail = api_client.get(f"{API}/evaluations/{body['results'][0]['id']}").json()
    assert detail["report"]["overall"] and detail["offenders"]
