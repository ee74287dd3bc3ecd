"""An existing dbt-project-evaluator set-up, read as DAB settings: its variables and its exceptions seed.

Pure functions (no Django, no database): text in, validated settings out.

- ``evaluator_vars_read(text, adapter=...)`` reads a ``dbt_project.yml``'s ``vars`` (top level, then the
  ``dbt_project_evaluator:`` block over them, as dbt scopes package variables), keeps only the variables the
  evaluator defines, renders values written in Jinja where they need nothing but ``target.type`` (the
  manifest's adapter), and validates them. A value that cannot be rendered is *not understood* and reported
  by name (the evaluator's default applies); a value that is wrong raises ``EvaluatorConfigError`` naming
  the variable.
- ``evaluator_exceptions_read(text)`` reads ``dbt_project_evaluator_exceptions.csv``.
- ``project_settings_from_vars`` turns the variables into the engine's ``ProjectSettings`` (exclusions,
  model types, per-rule parameters); ``exception_waivers`` turns exceptions into waivers scoped as the
  evaluator scopes them: a row excludes the findings whose ``column_name`` is ``like`` ``id_to_exclude``,
  so an exception on ``parent`` waives one parent of a model, not the whole model.

``CHECKS`` maps each evaluator check (its ``fct_*`` model) to the DAB rules that implement it and, for each
of its columns, which object of a finding the column names (docs/rules.md has the same table for people).
"""

from __future__ import annotations

import ast
import csv
import io
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import yaml

from conformance.engine.project import (
    DEFAULT_MODEL_TYPES,
    DEFAULT_TYPE_FOLDERS,
    DEFAULT_TYPE_PREFIXES,
    Naming,
    ProjectSettings,
)
from conformance.engine.spec import Waiver

EVALUATOR_PACKAGE = "dbt_project_evaluator"
EXCEPTIONS_BY = "dbt_project_evaluator_exceptions"
# The evaluator's adapter rule for chained_views_threshold's default: 5, but 4 where its recursive DAG is
# costly ("{{ 5 if target.type not in ['athena', 'trino', 'clickhouse'] else 4 }}" in its dbt_project.yml).
SHORT_CHAIN_ADAPTERS = ("athena", "trino", "clickhouse")
PRIMARY_KEY_NODE_TYPES = ("model", "source", "snapshot", "seed")


class EvaluatorConfigError(ValueError):
    """An evaluator setting DAB cannot accept; the message names the file, the variable or row, and why."""


@dataclass(frozen=True)
class Check:
    """One evaluator check: the DAB rules implementing it and what each of its columns names.

    ``columns`` maps a column to ``"object"`` (the capsule a finding sits on), ``"source_name"`` (the source
    block of a source finding), a related role (``"parent"``, ``"via"``, ``"start"``, ``"test"``), or None
    (a column that names no object: counts, paths, lists).
    """

    rules: tuple[str, ...]
    columns: Mapping[str, str | None]
    coverage: bool = False


def _check(rules: str, **columns: str | None) -> Check:
    return Check(rules=tuple(rules.split()), columns=MappingProxyType(columns))


CHECKS: Mapping[str, Check] = MappingProxyType(
    {
        "fct_direct_join_to_source": _check(
            "DBT-M01", parent="parent", parent_resource_type=None, child="object", child_resource_type=None,
            distance=None,
        ),
        "fct_marts_or_intermediate_dependent_on_source": _check(
            "DBT-M02", parent="parent", parent_resource_type=None, child="object", child_model_type=None
        ),
        "fct_duplicate_sources": _check("DBT-M03", source_db_location=None, source_names="object"),
        "fct_hard_coded_references": _check("DBT-M04", model="object", hard_coded_references=None),
        "fct_model_fanout": _check("DBT-M05", parent="object", parent_model_type=None, leaf_children=None),
        "fct_multiple_sources_joined": _check("DBT-M06", child="object", source_parents=None),
        "fct_rejoining_of_upstream_concepts": _check(
            "DBT-M07", parent="parent", child="object", parent_and_child="via", is_loop_independent=None
        ),
        "fct_root_models": _check("DBT-M08", child="object"),
        "fct_source_fanout": _check("DBT-M09", parent="object", model_children=None),
        "fct_staging_dependent_on_marts_or_intermediate": _check(
            "DBT-M10", parent="parent", parent_model_type=None, child="object", child_model_type=None
        ),
        "fct_staging_dependent_on_staging": _check(
            "DBT-M11", parent="parent", parent_model_type=None, child="object", child_model_type=None
        ),
        "fct_too_many_joins": _check("DBT-M12", resource_name="object", file_path=None, join_count=None),
        "fct_unused_sources": _check("DBT-M13", parent="object"),
        "fct_missing_primary_key_tests": _check(
            "DBT-T01", resource_name="object", resource_type=None, model_type=None, is_primary_key_tested=None,
            number_of_tests_on_model=None, number_of_constraints_on_model=None,
        ),
        "fct_sources_without_freshness": _check("DBT-T02", resource_name="object"),
        "fct_test_coverage": Check(rules=("DBT-T03",), columns=MappingProxyType({}), coverage=True),
        "fct_documentation_coverage": Check(rules=("DBT-D01",), columns=MappingProxyType({}), coverage=True),
        "fct_undocumented_models": _check("DBT-D02", resource_name="object", model_type=None),
        "fct_undocumented_source_tables": _check("DBT-D03", resource_name="object"),
        "fct_undocumented_sources": _check("DBT-D04", source_name="source_name"),
        "fct_model_naming_conventions": _check(
            "DBT-S01", resource_name="object", prefix=None, model_type=None, appropriate_prefixes=None
        ),
        "fct_model_directories": _check(
            "DBT-S02 DBT-S03", resource_name="object", resource_type=None, model_type=None, current_file_path=None,
            change_file_path_to=None,
        ),
        "fct_source_directories": _check(
            "DBT-S04", resource_name="object", resource_type=None, current_file_path=None, change_file_path_to=None
        ),
        "fct_test_directories": _check(
            "DBT-S05", test_name="test", model_name="object", current_test_directory=None,
            change_test_directory_to=None,
        ),
        "fct_chained_views_dependencies": _check("DBT-P01", parent="start", child="object", distance=None, path=None),
        "fct_exposure_parents_materializations": _check(
            "DBT-P02", parent_resource_type=None, parent_resource_name="parent", exposure_name="object",
            parent_model_materialization=None,
        ),
        "fct_public_models_without_contract": _check(
            "DBT-G01", resource_name="object", is_public=None, is_contract_enforced=None
        ),
        "fct_undocumented_public_models": _check(
            "DBT-G02", resource_name="object", access=None, is_described=None, total_defined_columns=None,
            total_described_columns=None,
        ),
        "fct_exposures_dependent_on_private_models": _check(
            "DBT-G03", exposure_name="object", parent_resource_name="parent", parent_access=None,
            parent_resource_type=None,
        ),
    }
)  # fmt: skip


# -- variables -----------------------------------------------------------------------------------------------

# The evaluator's variables and what kind of value each takes; <type>_prefixes and <type>_folder_name are
# read for every type in model_types. Variables it does not define are a project's own business.
_INT_VARS = {
    "models_fanout_threshold": 1,
    "too_many_joins_threshold": 1,
    "chained_views_threshold": 1,
    "insert_batch_size": 1,
    "max_depth_dag": None,  # -1 (or any value below 1): no limit
}
_PERCENT_VARS = ("documentation_coverage_target", "test_coverage_target")
_LIST_VARS = ("exclude_packages", "exclude_paths_from_project", "enforced_primary_key_node_types", "comment_chars")
_OTHER_VARS = ("primary_key_test_macros", "model_types", "token_costs")
KNOWN_VARS = frozenset((*_INT_VARS, *_PERCENT_VARS, *_LIST_VARS, *_OTHER_VARS))
# accepted and validated, but without effect in DAB (they tune how the evaluator runs in a warehouse)
NO_EFFECT_VARS = frozenset({"insert_batch_size", "comment_chars", "token_costs"})


@dataclass(frozen=True)
class EvaluatorVars:
    """The evaluator variables a project sets (validated, rendered) and those DAB could not render."""

    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    not_understood: tuple[str, ...] = ()


def evaluator_vars_read(text: str, *, adapter: str | None, source: str = "dbt_project.yml") -> EvaluatorVars:
    """The evaluator's variables from a dbt_project.yml's text; see the module docstring.

    Raises EvaluatorConfigError for a file that is not a dbt project's YAML or an invalid variable value.
    """
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise EvaluatorConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(document, Mapping):
        raise EvaluatorConfigError(f"{source}: expected a dbt project's settings (a mapping), got {_kind(document)}")
    raw = document.get("vars") or {}
    if not isinstance(raw, Mapping):
        raise EvaluatorConfigError(f"{source}: vars: expected a mapping, got {_kind(raw)}")
    scoped = raw.get(EVALUATOR_PACKAGE)
    merged = {str(key): value for key, value in raw.items()}
    if isinstance(scoped, Mapping):
        merged.update({str(key): value for key, value in scoped.items()})  # the package's own block wins
    types_value = merged.get("model_types", list(DEFAULT_MODEL_TYPES))
    wanted = set(KNOWN_VARS)
    values: dict[str, Any] = {}
    not_understood: list[str] = []
    rendered_types = _rendered("model_types", types_value, adapter, not_understood) if "model_types" in merged else None
    types = rendered_types if isinstance(rendered_types, list) else list(DEFAULT_MODEL_TYPES)
    for kind in types:
        if isinstance(kind, str):
            wanted.update((f"{kind}_prefixes", f"{kind}_folder_name"))
    for name in sorted(set(merged) & wanted):
        value = rendered_types if name == "model_types" else _rendered(name, merged[name], adapter, not_understood)
        if value is _NOT_UNDERSTOOD:
            continue
        values[name] = _validated(name, value, source=source)
    _cross_check(values, source=source)
    return EvaluatorVars(values=MappingProxyType(values), not_understood=tuple(sorted(set(not_understood))))


def _validated(name: str, value: Any, *, source: str) -> Any:
    def fail(reason: str) -> EvaluatorConfigError:
        return EvaluatorConfigError(f"{source}: vars.{name}: {reason}, got {value!r}")

    if name in _INT_VARS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("expected a whole number")
        minimum = _INT_VARS[name]
        if minimum is not None and value < minimum:
            raise fail(f"expected at least {minimum}")
        return value
    if name in _PERCENT_VARS:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise fail("expected a percentage from 0 to 100")
        return value
    if name == "primary_key_test_macros":
        if not isinstance(value, list) or not value:
            raise fail("expected a list of lists of tests such as [[dbt.test_unique, dbt.test_not_null]]")
        for test_set in value:
            if not isinstance(test_set, list) or not test_set:
                raise fail("each entry must be a non-empty list of tests such as [dbt.test_unique, dbt.test_not_null]")
            for test in test_set:
                if not isinstance(test, str) or not re.fullmatch(r"[A-Za-z_][\w]*\.\w+", test):
                    raise fail(f"{test!r} is not a test macro written package.test_name (e.g. dbt.test_unique)")
        return [list(test_set) for test_set in value]
    if name == "token_costs":
        if not isinstance(value, Mapping):
            raise fail("expected a mapping of SQL words to weights")
        return dict(value)
    if name == "model_types":
        items = _strings(value)
        if not items or len(set(items)) != len(items) or not all(re.fullmatch(r"\w+", item) for item in items):
            raise fail("expected a list of distinct names made of letters, digits and underscores")
        return items
    items = _strings(value)
    if items is None:
        raise fail("expected a string or a list of strings")
    if name == "enforced_primary_key_node_types":
        unknown = [item for item in items if item not in PRIMARY_KEY_NODE_TYPES]
        if unknown or not items:
            raise fail(f"expected some of {', '.join(PRIMARY_KEY_NODE_TYPES)}")
    if name == "exclude_paths_from_project":
        for pattern in items:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise EvaluatorConfigError(
                    f"{source}: vars.{name}: {pattern!r} is not a valid regular expression: {exc}"
                ) from None
    if name.endswith(("_prefixes", "_folder_name")) and not all(items):
        raise fail("expected non-empty strings")
    return items


def _cross_check(values: Mapping[str, Any], *, source: str) -> None:
    depth = values.get("max_depth_dag")
    if depth is not None and depth > 0:
        chain = values.get("chained_views_threshold", 5)
        if depth < 2 or depth < chain:
            raise EvaluatorConfigError(
                f"{source}: vars.max_depth_dag: must be at least 2 and at least chained_views_threshold ({chain}), "
                f"got {depth}"
            )


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


# -- Jinja: only what the manifest knows ------------------------------------------------------------------------

_NOT_UNDERSTOOD = object()
_EXPRESSION = re.compile(r"\s*\{\{(.*)\}\}\s*", re.DOTALL)


def _rendered(name: str, value: Any, adapter: str | None, not_understood: list[str]) -> Any:
    """``value`` with Jinja rendered; ``_NOT_UNDERSTOOD`` (and ``name`` noted) when it needs more than the
    manifest's adapter."""
    try:
        return _render(value, adapter)
    except _Unrenderable:
        not_understood.append(name)
        return _NOT_UNDERSTOOD


class _Unrenderable(Exception):
    pass


def _render(value: Any, adapter: str | None) -> Any:
    if isinstance(value, list):
        return [_render(item, adapter) for item in value]
    if isinstance(value, Mapping):
        return {key: _render(item, adapter) for key, item in value.items()}
    if not isinstance(value, str) or ("{{" not in value and "{%" not in value and "{#" not in value):
        return value
    match = _EXPRESSION.fullmatch(value)
    if match is None or "{{" in match.group(1) or "{%" in value:
        raise _Unrenderable(value)
    result = jinja_expression_evaluate(match.group(1), adapter=adapter)
    if isinstance(result, str):
        # dbt renders variables natively: "5" becomes 5, "[1, 2]" a list
        try:
            return ast.literal_eval(result)
        except (ValueError, SyntaxError):
            return result
    return result


_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_LITERAL_NAMES = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None}


def jinja_expression_evaluate(expression: str, *, adapter: str | None) -> Any:
    """A Jinja expression built from literals, ``target.type``, comparisons, ``in``, ``and``/``or``/``not``,
    ``x if c else y`` and arithmetic; anything else (``var()``, ``env_var()``, filters, other names) raises.

    Jinja's syntax for these is Python's, so Python's parser reads it; only the node kinds above are
    evaluated, so nothing the expression says can run code.
    """
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise _Unrenderable(expression) from exc
    return _evaluate(tree.body, adapter)


def _evaluate(node: ast.AST, adapter: str | None) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_evaluate(item, adapter) for item in node.elts]
    if isinstance(node, ast.Name) and node.id in _LITERAL_NAMES:
        return _LITERAL_NAMES[node.id]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "target":
        if node.attr == "type" and adapter:
            return adapter
        raise _Unrenderable(f"target.{node.attr}")
    if isinstance(node, ast.IfExp):
        return _evaluate(node.body if _evaluate(node.test, adapter) else node.orelse, adapter)
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(item, adapter) for item in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        operand = _evaluate(node.operand, adapter)
        return (not operand) if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, adapter)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, adapter)
            if type(op) not in _COMPARE or not _COMPARE[type(op)](left, right):
                return False if type(op) in _COMPARE else _fail(node)
            left = right
        return True
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        try:
            return _ARITHMETIC[type(node.op)](_evaluate(node.left, adapter), _evaluate(node.right, adapter))
        except (TypeError, ZeroDivisionError) as exc:
            raise _Unrenderable(ast.dump(node)) from exc
    return _fail(node)


def _fail(node: ast.AST) -> Any:
    raise _Unrenderable(ast.dump(node))


# -- exceptions ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluatorException:
    """One row of dbt_project_evaluator_exceptions.csv: findings of ``check`` whose ``column`` is ``like``
    ``pattern`` are accepted, for ``comment``."""

    check: str
    column: str
    pattern: str
    comment: str
    row: int

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "column": self.column, "pattern": self.pattern, "comment": self.comment,
                "row": self.row}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluatorException:
        return cls(check=data["check"], column=data["column"], pattern=data["pattern"], comment=data["comment"],
                   row=int(data.get("row") or 0))  # fmt: skip


def evaluator_exceptions_read(
    text: str, *, source: str = "dbt_project_evaluator_exceptions.csv"
) -> tuple[EvaluatorException, ...]:
    """The exceptions seed's rows, each checked against the check and column it names.

    Raises EvaluatorConfigError naming the row: an unknown check, a column the check does not have, a
    coverage check (the evaluator cannot except those either), a column that names no object DAB can match,
    or an empty pattern.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or ()]
    missing = [name for name in ("fct_name", "column_name", "id_to_exclude") if name not in header]
    if missing:
        raise EvaluatorConfigError(
            f"{source}: missing column(s) {', '.join(missing)} (expected fct_name,column_name,id_to_exclude,comment)"
        )
    out = []
    for number, raw in enumerate(reader, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in raw.items() if key is not None}
        if not any(row.values()):
            continue
        where = f"{source}: row {number}"
        check_name, column, pattern = row.get("fct_name", ""), row.get("column_name", ""), row.get("id_to_exclude", "")
        check = CHECKS.get(check_name)
        if check is None:
            raise EvaluatorConfigError(f"{where}: fct_name {check_name!r} is not a dbt-project-evaluator check")
        if check.coverage:
            raise EvaluatorConfigError(f"{where}: {check_name} is a coverage check; exceptions cannot apply to it")
        if column not in check.columns:
            raise EvaluatorConfigError(
                f"{where}: {check_name} has no column {column!r} (its columns: {', '.join(check.columns)})"
            )
        if check.columns[column] is None:
            usable = [name for name, role in check.columns.items() if role is not None]
            raise EvaluatorConfigError(
                f"{where}: {check_name}.{column} names no object DAB can match; except by {' or '.join(usable)}"
            )
        if not pattern:
            raise EvaluatorConfigError(f"{where}: id_to_exclude is empty")
        out.append(EvaluatorException(check_name, column, pattern, row.get("comment", ""), number))
    return tuple(out)


def like_to_glob(pattern: str) -> str:
    """A SQL ``like`` pattern as a glob: ``%`` is ``*``, ``_`` is ``?``, glob characters are literal."""
    out = []
    for char in pattern:
        if char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        elif char in "*?[]":
            out.append(f"[{char}]")
        else:
            out.append(char)
    return "".join(out)


def exception_waivers(exceptions: tuple[EvaluatorException, ...] | list[EvaluatorException]) -> list[Waiver]:
    """Each exception as a waiver of every DAB rule implementing its check, scoped by its column."""
    waivers = []
    for exception in exceptions:
        check = CHECKS[exception.check]
        role = check.columns[exception.column]
        glob = like_to_glob(exception.pattern)
        reason = exception.comment or f"dbt-project-evaluator exception ({exception.check}.{exception.column})"
        for rule_id in check.rules:
            if role == "object":
                waiver = Waiver(rule=rule_id, reason=reason, object=glob, by=EXCEPTIONS_BY)
            elif role == "source_name":
                waiver = Waiver(rule=rule_id, reason=reason, object=f"{glob}.*", by=EXCEPTIONS_BY)
            else:
                waiver = Waiver(rule=rule_id, reason=reason, object="*", related=((str(role), glob),), by=EXCEPTIONS_BY)
            waivers.append(waiver)
    return waivers


# -- onto the rules --------------------------------------------------------------------------------------------


def adapter_parameters(adapter: str | None) -> dict[str, dict[str, Any]]:
    """Rule parameters the adapter alone implies (the evaluator's default chained_views_threshold)."""
    if adapter and adapter.lower() in SHORT_CHAIN_ADAPTERS:
        return {"DBT-P01": {"max": 4}}
    return {}


def project_settings_from_vars(
    values: Mapping[str, Any],
    *,
    project: str,
    adapter: str | None = None,
    exclude_paths: tuple[str, ...] = (),
    exclude_names: tuple[str, ...] = (),
    exclude_packages: tuple[str, ...] = (),
) -> ProjectSettings:
    """The engine's settings for ``project`` from its evaluator variables (and DAB's own excludes)."""
    parameters: dict[str, dict[str, Any]] = adapter_parameters(adapter)

    def param(rule: str, **items: Any) -> None:
        parameters.setdefault(rule, {}).update(items)

    if "models_fanout_threshold" in values:
        param("DBT-M05", max=values["models_fanout_threshold"] - 1)
    if "too_many_joins_threshold" in values:
        param("DBT-M12", max=values["too_many_joins_threshold"] - 1)
    if "chained_views_threshold" in values:
        param("DBT-P01", max=values["chained_views_threshold"])
    if "documentation_coverage_target" in values:
        param("DBT-D01", min_percent=values["documentation_coverage_target"])
    if "test_coverage_target" in values:
        param("DBT-T03", min_percent=values["test_coverage_target"])
    if "primary_key_test_macros" in values:
        param("DBT-T01", primary_key_tests=[[_test_kind(t) for t in s] for s in values["primary_key_test_macros"]])
    if (values.get("max_depth_dag") or 0) > 0:
        param("DBT-S03", max_depth=values["max_depth_dag"])
    resource_types = {}
    if "enforced_primary_key_node_types" in values:
        resource_types["DBT-T01"] = tuple(values["enforced_primary_key_node_types"])
    return ProjectSettings(
        project=project,
        exclude_packages=tuple(dict.fromkeys((*exclude_packages, *values.get("exclude_packages", ())))),
        exclude_path_patterns=tuple(values.get("exclude_paths_from_project", ())),
        exclude_paths=tuple(exclude_paths),
        exclude_names=tuple(exclude_names),
        naming=naming_from_vars(values) if _sets_naming(values) else None,
        parameters=MappingProxyType({rule: MappingProxyType(items) for rule, items in parameters.items()}),
        resource_types=MappingProxyType(resource_types),
    )


def naming_from_vars(values: Mapping[str, Any]) -> Naming:
    """Model types with their prefixes and folders: the project's variables over the evaluator's defaults."""
    types = tuple(values.get("model_types") or DEFAULT_MODEL_TYPES)
    prefixes = {kind: tuple(values.get(f"{kind}_prefixes", DEFAULT_TYPE_PREFIXES.get(kind, ()))) for kind in types}
    folders = {kind: tuple(values.get(f"{kind}_folder_name", DEFAULT_TYPE_FOLDERS.get(kind, ()))) for kind in types}
    return Naming(types=types, prefixes=MappingProxyType(prefixes), folders=MappingProxyType(folders))


def _sets_naming(values: Mapping[str, Any]) -> bool:
    return any(name == "model_types" or name.endswith(("_prefixes", "_folder_name")) for name in values)


def _test_kind(macro: str) -> str:
    """``dbt.test_unique`` -> ``unique``: the evaluator names test macros, DAB test kinds."""
    name = macro.rsplit(".", 1)[-1]
    return name[len("test_") :] if name.startswith("test_") else name


# -- DAB's own project settings file ----------------------------------------------------------------------------

PROJECT_FILE_KEYS = ("exclude", "evaluator")
EXCLUDE_KEYS = ("packages", "paths", "names")


@dataclass(frozen=True)
class ProjectFile:
    """A project settings YAML: DAB's own excludes and, optionally, evaluator variables."""

    exclude: Mapping[str, tuple[str, ...]]
    evaluator: EvaluatorVars | None


def project_file_read(text: str, *, adapter: str | None, source: str = "project settings") -> ProjectFile:
    """``exclude: {packages, paths, names}`` (paths and names are globs) and ``evaluator:`` (the evaluator's
    variables, as a dbt_project.yml's ``vars`` would give them). Raises EvaluatorConfigError naming the key."""
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise EvaluatorConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(document, Mapping):
        raise EvaluatorConfigError(f"{source}: expected a mapping with exclude and/or evaluator, got {_kind(document)}")
    unknown = sorted(set(document) - set(PROJECT_FILE_KEYS))
    if unknown:
        raise EvaluatorConfigError(f"{source}: {unknown[0]}: unknown key (known: {', '.join(PROJECT_FILE_KEYS)})")
    exclude = document.get("exclude") or {}
    if not isinstance(exclude, Mapping):
        raise EvaluatorConfigError(f"{source}: exclude: expected a mapping of {', '.join(EXCLUDE_KEYS)}")
    excludes: dict[str, tuple[str, ...]] = {}
    for key, value in exclude.items():
        if key not in EXCLUDE_KEYS:
            raise EvaluatorConfigError(f"{source}: exclude.{key}: unknown key (known: {', '.join(EXCLUDE_KEYS)})")
        items = _strings(value)
        if items is None or not all(item.strip() for item in items):
            raise EvaluatorConfigError(f"{source}: exclude.{key}: expected a string or a list of strings")
        excludes[key] = tuple(item.strip() for item in items)
    evaluator = document.get("evaluator")
    if evaluator is not None and not isinstance(evaluator, Mapping):
        raise EvaluatorConfigError(f"{source}: evaluator: expected a mapping of the evaluator's variables")
    vars_ = (
        evaluator_vars_read(yaml.safe_dump({"vars": dict(evaluator)}), adapter=adapter, source=f"{source} evaluator")
        if evaluator is not None
        else None
    )
    return ProjectFile(exclude=MappingProxyType(excludes), evaluator=vars_)
