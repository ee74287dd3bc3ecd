"""The conformance pages: dashboard, violations with bulk triage, one violation, rules, an evaluation, the
capsule page's panel. Each list page has a query-count guard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from conformance.choices import ViolationStatus
from conformance.models import ScoreSnapshot, Violation
from conformance.services import conformance_evaluate

pytestmark = pytest.mark.django_db

TOUCHPOINTS = "model.acme_shop.int_customer_touchpoints"


def test_dashboard_before_any_evaluation_says_how_to_start(steward_client):
    page = steward_client.get(reverse("conformance:dashboard")).content.decode()
    assert "No evaluation yet" in page and "dab conformance check" in page


def test_dashboard_shows_score_trend_breakdowns_and_what_to_fix_first(
    sample_project, steward_client, django_assert_max_num_queries
):
    conformance_evaluate()  # a second point for the trend
    with django_assert_max_num_queries(12):
        response = steward_client.get(reverse("conformance:dashboard"))
    page = response.content.decode()
    snapshot = ScoreSnapshot.objects.order_by("-evaluated_at").first()
    assert f"{snapshot.score:.1f}" in page
    assert '<svg class="trend-chart"' in page and "<polyline" in page
    for key in ("by_rule_set", "by_category", "by_layer", "by_domain", "by_owner"):
        assert f'data-testid="{key}"' in page
    assert 'data-testid="offenders"' in page and snapshot.offenders[0]["name"] in page
    assert "Evaluate now" in page


def test_dashboard_evaluate_button_is_for_stewards(sample_project, client, django_user_model, steward_client):
    response = steward_client.post(reverse("conformance:evaluate"))
    assert response.status_code == 302 and ScoreSnapshot.objects.filter(trigger="ui").count() == 1
    client.force_login(django_user_model.objects.create_user(username="reader", password="x"))
    assert client.post(reverse("conformance:evaluate")).status_code == 403


def test_violation_list_filters_and_its_queries_do_not_grow(
    sample_project, steward_client, django_assert_max_num_queries
):
    url = reverse("conformance:violation_list")
    with django_assert_max_num_queries(10):
        page = steward_client.get(url).content.decode()
    assert page.count('name="ids"') == min(50, Violation.objects.exclude(status="resolved").count())
    with django_assert_max_num_queries(10):
        page = steward_client.get(url, {"severity": "critical", "rule_set": "pii_compliance"}).content.decode()
    assert 'href="/conformance/rules/PII-002/"' in page and 'href="/conformance/rules/MED-003/"' not in page
    assert steward_client.get(url, {"capsule": "no_such_capsule"}).content.decode().count('name="ids"') == 0


def test_bulk_triage_from_the_list(sample_project, steward_client):
    ids = list(Violation.objects.filter(rule__rule_id="DBT-D02").values_list("pk", flat=True))
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = steward_client.post(
        reverse("conformance:violation_triage"),
        {
            "ids": ids,
            "action": "waive",
            "reason": "being rewritten",
            "expires": until,
            "next": "/conformance/violations/?rule=DBT-D02",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/conformance/violations/?rule=DBT-D02"
    waived = Violation.objects.filter(pk__in=ids)
    assert {(v.status, v.waived_by, str(v.waiver_expires)) for v in waived} == {("waived", "steward", until)}
    page = steward_client.get(response["Location"]).content.decode()
    assert f"Waive: {len(ids)} violation{'s' if len(ids) != 1 else ''}." in page


def test_bulk_triage_refuses_a_waiver_without_reason_and_a_foreign_redirect(sample_project, steward_client):
    target = Violation.objects.filter(status="open").first()
    response = steward_client.post(
        reverse("conformance:violation_triage"),
        {"ids": [target.pk], "action": "waive", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("conformance:violation_list")
    target.refresh_from_db()
    assert target.status == ViolationStatus.OPEN


def test_triage_needs_a_steward(sample_project, client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="reader", password="x"))
    target = Violation.objects.filter(status="open").first()
    response = client.post(reverse("conformance:violation_triage"), {"ids": [target.pk], "action": "acknowledge"})
    assert response.status_code == 403
    page = client.get(reverse("conformance:violation_list")).content.decode()
    assert 'name="ids"' not in page  # no checkboxes without the right to use them


def test_violation_page_shows_the_remedy_and_the_audit_trail(sample_project, steward_client):
    target = Violation.objects.get(rule__rule_id="DBT-D02", capsule__unique_id=TOUCHPOINTS)
    steward_client.post(
        reverse("conformance:violation_triage"), {"ids": [target.pk], "action": "acknowledge", "reason": "seen it"}
    )
    page = steward_client.get(target.get_absolute_url()).content.decode()
    assert escape(target.rule.remediation) in page and escape(target.rule.rationale) in page
    assert "seen it" in page and "acknowledged" in page and "steward" in page


def test_rules_page_lists_every_set_with_pass_rates(sample_project, steward_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        page = steward_client.get(reverse("conformance:rule_list")).content.decode()
    for rule_set in ("medallion", "dbt_best_practices", "pii_compliance", "documentation", "testing", "ownership"):
        assert f'data-testid="rules-{rule_set}"' in page
    assert "Why:" in page and "Fix:" in page and 'class="score-bar' in page
    # Every pass rate reads as a percentage next to its bar.
    rates = re.findall(r'</svg> ([\d.]+%?)', page)
    assert rates and all(rate.endswith("%") for rate in rates)


def test_rule_page_shows_its_check_and_violations(sample_project, steward_client):
    page = steward_client.get(reverse("conformance:rule_detail", kwargs={"rule_id": "DBT-D02"})).content.decode()
    assert "required_property" in page and "int_customer_touchpoints" in page
    assert steward_client.get(reverse("conformance:rule_detail", kwargs={"rule_id": "NOPE"})).status_code == 404


def test_evaluation_page_lists_new_and_fixed(sample_project, steward_client, ingest, sample_manifest):
    sample_manifest["nodes"][TOUCHPOINTS]["description"] = "Every contact a customer had with us."
    job = ingest(sample_manifest)
    snapshot = ScoreSnapshot.objects.get(ingestion=job)
    page = steward_client.get(snapshot.get_absolute_url()).content.decode()
    assert "int_customer_touchpoints" in page and snapshot.fixed_count >= 1


def test_capsule_page_has_its_violations_panel(sample_project, steward_client, urn_of, django_assert_max_num_queries):
    page = steward_client.get(reverse("catalog:capsule_detail", kwargs={"urn": urn_of(TOUCHPOINTS)})).content.decode()
    assert 'data-testid="capsule-violations"' in page and "DBT-D02" in page
    clean = urn_of("model.acme_shop.fct_orders")
    page = steward_client.get(reverse("catalog:capsule_detail", kwargs={"urn": clean})).content.decode()
    assert 'data-testid="capsule-violations"' in page


def test_capsule_violations_tag_runs_one_query(sample_project, urn_of, django_assert_num_queries):
    from catalog.models import Capsule
    from conformance.templatetags.conformance_tags import capsule_violations

    capsule = Capsule.objects.get(unique_id=TOUCHPOINTS)
    with django_assert_num_queries(1):
        found = capsule_violations(capsule)
    assert found["total"] == len(found["items"]) > 0 and not found["more"]
