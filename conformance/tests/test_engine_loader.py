"""Rule files: what loads, and the precise errors for what does not."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from conformance.engine import (
    Hit,
    Param,
    RuleFileError,
    check_types,
    evaluate,
    load_rule_file,
    load_rules,
    parse_rules,
    register_check,
    rule_from_dict,
)
from conformance.engine.testing import GraphBuilder

DATA = Path(__file__).resolve().parent / "data"

BASE = {
    "id": "T-001",
    "name": "Marts are prefixed",
    "severity": "warning",
    "category": "naming",
    "filter": "{resource_types: [model], layers: [marts]}",
    "check": "{type: name_pattern, prefix: [fct_, dim_]}",
}


def with_rule(**changes: str | None) -> str:
    """A one-rule file: BASE with fields replaced or added (raw YAML values); None drops a field."""
    fields = {**BASE, **changes}
    lines = ["rule_set: team", "rules:"]
    for key, value in fields.items():
        if value is not None:
            lines.append(("  - " if len(lines) == 2 else "    ") + f"{key}: {value}")
    return "\n".join(lines) + "\n"


RULE = with_rule()


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def error_of(tmp_path: Path, text: str) -> RuleFileError:
    with pytest.raises(RuleFileError) as caught:
        load_rule_file(write(tmp_path, text))
    return caught.value


def test_load_rule_file_reads_a_valid_rule(tmp_path):
    [rule] = load_rule_file(write(tmp_path, RULE))
    assert (rule.id, rule.rule_set, rule.severity, rule.scope) == ("T-001", "team", "warning", "capsule")
    assert rule.check.type == "name_pattern"
    assert rule.check.params["prefix"] == ("fct_", "dim_")
    assert rule.filter.layers == ("marts",)
    assert rule.enabled is True


def test_unknown_check_type_names_file_rule_and_field(tmp_path):
    error = error_of(tmp_path, with_rule(check="{type: name_patern, prefix: x_}"))
    assert (error.rule_id, error.field) == ("T-001", "check.type")
    assert error.file.endswith("rules.yaml")
    assert "name_patern" in str(error) and "name_pattern" in str(error)


def test_bad_regex_in_check_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(check="{type: name_pattern, pattern: '^(stg_'}"))
    assert error.field == "check.pattern"
    assert "bad regular expression" in error.reason


def test_bad_regex_in_filter_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(filter="{name: '[a-'}"))
    assert error.field == "filter.name"


def test_unknown_severity_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(severity="blocker"))
    assert error.field == "severity"
    assert "blocker" in error.reason and "critical" in error.reason


@pytest.mark.parametrize("field", ["name", "severity", "category", "check"])
def test_missing_required_field_is_named(tmp_path, field):
    error = error_of(tmp_path, with_rule(**{field: None}))
    assert (error.rule_id, error.field, error.reason) == ("T-001", field, "missing")


def test_missing_id_is_reported_by_position(tmp_path):
    error = error_of(tmp_path, with_rule(id=None))
    assert error.field == "id"
    assert error.rule_id == "#1"


def test_wrong_parameter_type_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(check="{type: fan_out, max: 'three'}"))
    assert error.field == "check.max"
    assert "integer" in error.reason


def test_parameter_below_minimum_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(check="{type: coverage, measure: documented_columns, min_percent: 120}"))
    assert error.field == "check.min_percent"


def test_unknown_parameter_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(check="{type: fan_out, maximum: 3}"))
    assert error.field == "check.maximum"
    assert "max" in error.reason


def test_missing_required_parameter_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(check="{type: dag_depth}"))
    assert error.field == "check.max"


def test_check_level_validation_names_the_parameter(tmp_path):
    error = error_of(tmp_path, with_rule(check="{type: required_property, property: meta_key}"))
    assert error.field == "check.key"


def test_unknown_layer_in_filter_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(filter="{layers: [gold]}"))
    assert error.field == "filter.layers"
    assert "gold" in error.reason and "marts" in error.reason


def test_unknown_layer_in_check_map_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(check="{type: layer_dependencies, allowed: {silver: [raw]}}"))
    assert error.field == "check.allowed"
    assert "silver" in error.reason


def test_unknown_layer_in_check_list_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(check="{type: layer_bypass, via_layers: [bronze]}"))
    assert error.field == "check.via_layers"


def test_unknown_filter_key_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(filter="{layer: [marts]}"))
    assert error.field == "filter.layer"


def test_unknown_rule_key_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(severtiy="error"))
    assert error.field == "severtiy"


def test_column_filter_on_a_capsule_rule_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(filter="{column_name: '_id$'}"))
    assert error.field == "filter.column_name"


def test_unsupported_scope_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(scope="graph"))
    assert error.field == "scope"


def test_bad_rule_id_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(id="'rule with spaces'"))
    assert error.field == "id"


def test_duplicate_id_within_a_file_is_rejected(tmp_path):
    text = RULE + RULE.split("rules:\n", 1)[1]
    error = error_of(tmp_path, text)
    assert (error.rule_id, error.field) == ("T-001", "id")


def test_duplicate_id_across_files_names_both_files(tmp_path):
    write(tmp_path, RULE, "a.yaml")
    write(tmp_path, RULE.replace("rule_set: team", "rule_set: other"), "b.yaml")
    with pytest.raises(RuleFileError) as caught:
        load_rules([tmp_path])
    assert caught.value.file.endswith("b.yaml")
    assert "a.yaml" in caught.value.reason
    assert caught.value.rule_id == "T-001"


def test_invalid_yaml_names_the_file(tmp_path):
    error = error_of(tmp_path, "rules: [\n")
    assert "not valid YAML" in error.reason


def test_rule_set_is_required_somewhere(tmp_path):
    error = error_of(tmp_path, RULE.replace("rule_set: team\n", ""))
    assert error.field == "rule_set"


def test_directory_loads_every_yaml_in_name_order(tmp_path):
    write(tmp_path, RULE.replace("T-001", "B-001"), "b.yaml")
    write(tmp_path, RULE.replace("T-001", "A-001"), "a.yaml")
    write(tmp_path, "not a rule file", "notes.txt")
    assert [rule.id for rule in load_rules([tmp_path])] == ["A-001", "B-001"]


def test_rule_level_waiver_is_parsed(tmp_path):
    text = with_rule(waivers="[{object: 'legacy_*', reason: 'rebuilt in Q3', expires: 2026-09-30, by: jane}]")
    [rule] = load_rule_file(write(tmp_path, text))
    [waiver] = rule.waivers
    assert (waiver.rule, waiver.object, waiver.expires, waiver.by) == ("T-001", "legacy_*", date(2026, 9, 30), "jane")


def test_waiver_without_reason_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(waivers="[{object: 'legacy_*'}]"))
    assert error.field == "waivers[0].reason"


def test_waiver_with_bad_expiry_is_rejected(tmp_path):
    error = error_of(tmp_path, with_rule(waivers="[{object: x, reason: y, expires: 'next year'}]"))
    assert error.field == "waivers[0].expires"


def test_file_level_waiver_attaches_to_matching_rules(tmp_path):
    text = RULE + "waivers:\n  - {rule: 'T-*', object: fct_legacy, reason: agreed, expires: 2030-01-01}\n"
    [rule] = load_rule_file(write(tmp_path, text))
    assert [w.object for w in rule.waivers] == ["fct_legacy"]


def test_file_level_waiver_may_name_a_rule_of_another_file(tmp_path):
    write(tmp_path, RULE, "a.yaml")
    write(tmp_path, "waivers:\n  - {rule: T-001, object: x, reason: agreed}\n", "z_waivers.yaml")
    [rule] = load_rules([tmp_path])
    assert len(rule.waivers) == 1


def test_file_level_waiver_naming_no_rule_is_rejected(tmp_path):
    text = RULE + "waivers:\n  - {rule: T-999, object: x, reason: typo}\n"
    error = error_of(tmp_path, text)
    assert error.field == "waivers[0].rule"


def test_to_dict_round_trips_through_rule_from_dict(tmp_path):
    text = with_rule(
        waivers="[{object: 'legacy_*', reason: agreed, expires: 2026-09-30}]",
        filter="{resource_types: [model], layers: [marts, unknown], exclude: {tags: [deprecated]}}",
    )
    [rule] = load_rule_file(write(tmp_path, text))
    again = rule_from_dict(rule.to_dict(), source=rule.source)
    assert again == rule


def test_rules_with_file_level_glob_waivers_round_trip(tmp_path):
    text = RULE + "waivers:\n  - {rule: 'T-*', object: fct_legacy, reason: agreed}\n"
    [rule] = load_rule_file(write(tmp_path, text))
    again = rule_from_dict(rule.to_dict(), source=rule.source)
    assert [(w.object, w.reason) for w in again.waivers] == [("fct_legacy", "agreed")]
    assert again.waivers[0].matches_rule("T-001")


def test_parse_rules_reads_text():
    [rule] = parse_rules(RULE, source="upload")
    assert rule.source == "upload"


def test_the_sample_rule_file_in_the_docs_loads():
    rules = load_rule_file(DATA / "example_rules.yaml")
    assert [rule.id for rule in rules] == ["ACME-001", "ACME-002"]
    assert rules[1].waivers[0].reason


def test_custom_python_check_is_referenced_by_name(tmp_path):
    @register_check("test_max_columns", params={"max": Param("int", required=True, minimum=1)})
    def max_columns(*, run):
        for index in run.capsules:
            node = run.graph.capsules[index]
            if len(node.columns) > run.params["max"]:
                yield Hit(index, f"{node.name} has {len(node.columns)} columns")

    text = with_rule(check="{type: test_max_columns, max: 2}", filter=None)
    rules = load_rule_file(write(tmp_path, text))
    b = GraphBuilder()
    b.capsule("wide", columns=["a", "b", "c"])
    b.capsule("narrow", columns=["a"])
    evaluation = evaluate(b.graph, rules)
    assert [f.message for f in evaluation.findings] == ["wide has 3 columns"]
    assert "test_max_columns" in check_types()
    error = error_of(tmp_path, with_rule(check="{type: test_max_columns, max: 0}"))
    assert error.field == "check.max"
