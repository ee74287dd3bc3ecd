"""`manage.py conformance_rules` / `dab conformance rules`: the rules with their latest pass rate."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from conformance.management.commands._output import table
from conformance.selectors import rule_list


class Command(BaseCommand):
    help = "List the stored rules with their set, severity, state and latest pass rate."

    def add_arguments(self, parser):
        parser.add_argument("--rule-set", help="only this rule set")

    def handle(self, *args, rule_set: str | None, **options):
        rules = rule_list()
        if rule_set:
            rules = rules.filter(rule_set=rule_set)
        rows = []
        for rule in rules:
            state = "removed" if rule.removed_at else ("on" if rule.enabled else "off")
            if rule.is_overridden:
                state += "*"
            rows.append(
                (rule.rule_id, rule.rule_set, rule.severity, state, rule.pass_rate, rule.last_findings, rule.name)
            )
        headers = ("rule", "set", "severity", "state", "pass %", "findings", "name")
        self.stdout.write(table(rows, headers=headers))
        self.stdout.write("* changed by a steward in the admin")
