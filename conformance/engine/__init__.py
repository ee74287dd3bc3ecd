"""The conformance rule engine: pure Python over the in-memory lineage graph (no Django, no database).

rules = load_rules([Path("config/rules")])
evaluation = evaluate(graph, rules)
report = score_evaluation(evaluation)
print(render(evaluation, fmt="sarif"))
"""

from conformance.engine.evaluate import evaluate
from conformance.engine.formats import FORMATS, format_json, format_junit, format_sarif, format_table, render
from conformance.engine.loader import load_rule_file, load_rules, parse_rules, rule_from_dict
from conformance.engine.params import Param
from conformance.engine.project import DEFAULT_NAMING, Naming, ProjectScope, ProjectSettings
from conformance.engine.registry import CheckRun, CheckType, check_type, check_types, register_check
from conformance.engine.results import CheckNotEvaluable, Evaluation, Finding, Hit, RuleResult, fingerprint
from conformance.engine.scoring import (
    CRITICAL_CAP,
    DEFAULT_WEIGHTS,
    ObjectScore,
    RuleScore,
    ScoreReport,
    ScoreSummary,
    score_evaluation,
)
from conformance.engine.spec import (
    LAYERS,
    SCOPES,
    SEVERITIES,
    CheckSpec,
    RuleFileError,
    RuleFilter,
    RuleSpec,
    Waiver,
)

__all__ = [
    "CRITICAL_CAP",
    "DEFAULT_NAMING",
    "DEFAULT_WEIGHTS",
    "FORMATS",
    "LAYERS",
    "SCOPES",
    "SEVERITIES",
    "CheckNotEvaluable",
    "CheckRun",
    "CheckSpec",
    "CheckType",
    "Evaluation",
    "Finding",
    "Hit",
    "Naming",
    "ObjectScore",
    "Param",
    "ProjectScope",
    "ProjectSettings",
    "RuleFileError",
    "RuleFilter",
    "RuleResult",
    "RuleScore",
    "RuleSpec",
    "ScoreReport",
    "ScoreSummary",
    "Waiver",
    "check_type",
    "check_types",
    "evaluate",
    "fingerprint",
    "format_json",
    "format_junit",
    "format_sarif",
    "format_table",
    "load_rule_file",
    "load_rules",
    "parse_rules",
    "register_check",
    "render",
    "rule_from_dict",
    "score_evaluation",
]
