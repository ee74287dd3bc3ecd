"""The stewards' admin: switching a rule off and changing its parameters survive a sync; triage actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conformance.models import Rule, Violation
from conformance.services import rules_sync

pytestmark = pytest.mark.django_db


def change_rule(client, rule: Rule, **fields):
    data = {"enabled_by_steward": "unknown", "parameters_override": "{}", **fields}
    return client.post(reverse("admin:conformance_rule_change", args=[rule.pk]), data)


def test_a_steward_disables_and_reparametrises_a_rule_and_a_sync_keeps_it(superuser_client, rules_dir):
    rules_sync()
    rule = Rule.objects.get(rule_id="DBT-M05")
    response = change_rule(superuser_client, rule, enabled_by_steward="false", parameters_override='{"max": 4}')
    assert response.status_code == 302
    rules_sync()
    rule.refresh_from_db()
    assert (rule.enabled, rule.parameters_override, rule.changed_by) == (False, {"max": 4}, "admin")


def test_admin_refuses_parameters_the_check_does_not_take(superuser_client, rules_dir):
    rules_sync()
    rule = Rule.objects.get(rule_id="DBT-M05")
    response = change_rule(superuser_client, rule, parameters_override='{"max": "three"}')
    assert response.status_code == 200 and "check.max" in response.content.decode()
    rule.refresh_from_db()
    assert rule.parameters_override == {}


def test_rule_list_action_switches_rules_off(superuser_client, rules_dir):
    rules_sync()
    ids = list(Rule.objects.filter(rule_set="ownership").values_list("pk", flat=True))
    superuser_client.post(
        reverse("admin:conformance_rule_changelist"), {"action": "switch_off", "_selected_action": ids}
    )
    assert not Rule.objects.filter(rule_set="ownership", enabled=True).exists()


def test_violation_admin_waive_action_needs_a_reason(sample_project, superuser_client):
    ids = list(Violation.objects.filter(rule__rule_id="DBT-D02").values_list("pk", flat=True))
    url = reverse("admin:conformance_violation_changelist")
    superuser_client.post(url, {"action": "waive", "_selected_action": ids, "reason": ""})
    assert not Violation.objects.filter(pk__in=ids, status="waived").exists()
    superuser_client.post(url, {"action": "waive", "_selected_action": ids, "reason": "accepted"})
    assert Violation.objects.filter(pk__in=ids, status="waived").count() == len(ids)
    page = superuser_client.get(reverse("admin:conformance_violation_change", args=[ids[0]])).content.decode()
    assert "accepted" in page  # the audit trail inline
