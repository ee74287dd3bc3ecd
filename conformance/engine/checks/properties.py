"""Property, test and coverage checks: what each capsule or column must declare, and how much is covered."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from conformance.engine.context import EvalContext
from conformance.engine.params import Param, compiled
from conformance.engine.registry import CheckRun, register_check
from conformance.engine.results import CheckNotEvaluable, Hit, capsule_label
from lineage.graph import CapsuleNode, ColumnNode, GraphView

CAPSULE_PROPERTIES = (
    "description",
    "owner",
    "domain",
    "tags",
    "meta_key",
    "contract_enforced",
    "freshness",
    "access",
    "group",
    "source_description",
    "column_descriptions",
)
COLUMN_PROPERTIES = ("description", "meta_key", "tags", "data_type")
# facts some graph views may not carry; rules needing them are skipped (not failed) when absent
OPTIONAL_FACTS = {"freshness": "freshness", "source_description": "source_description"}
LISTED = 20  # names listed in details before truncating


def _required_property_params(params: Mapping[str, Any], scope: str) -> None:
    allowed = COLUMN_PROPERTIES if scope == "column" else CAPSULE_PROPERTIES
    for prop in params["property"]:
        if prop not in allowed:
            raise ValueError(f"property: unknown {scope} property {prop!r} (known: {', '.join(allowed)})")
    if "meta_key" in params["property"] and not params.get("key"):
        raise ValueError("key: property meta_key needs the meta key to require")


@register_check(
    "required_property",
    depends="self",
    columns="own",
    scopes={"capsule": "capsule", "column": "column"},
    params={
        "property": Param(
            "str_list",
            required=True,
            choices=tuple(dict.fromkeys((*CAPSULE_PROPERTIES, *COLUMN_PROPERTIES))),
            help="what must be present (one or a list)",
        ),
        "key": Param("str", help="for meta_key: the meta key that must be present and non-empty"),
        "min_length": Param("int", default=1, minimum=1, help="descriptions shorter than this count as missing"),
        "placeholder": Param(
            "regex", help="descriptions fully matching this (case-insensitive) count as missing, e.g. ^(todo|tbd)$"
        ),
    },
    validate=_required_property_params,
)
def required_property(*, run: CheckRun) -> Iterator[Hit]:
    """Each capsule (or column) declares the listed properties: description, owner, domain, meta key..."""
    params, ctx = run.params, run.ctx
    properties = params["property"]
    for prop in properties:
        fact = OPTIONAL_FACTS.get(prop)
        if fact and not ctx.has_capsule_fact(fact):
            raise CheckNotEvaluable(f"the graph view carries no '{fact}' on capsules")
    described = _description_test(params)
    if run.subject == "column":
        columns = run.graph.columns
        for column in run.columns:
            node = columns[column]
            for prop in properties:
                if not _column_has(node, prop, params, described):
                    where = f"{capsule_label(run.graph.capsules[node.capsule])}.{node.name}"
                    yield Hit(node.capsule, _missing(prop, params, where), column=column, key=prop)
        return
    capsules = run.graph.capsules
    for index in run.capsules:
        node = capsules[index]
        for prop in properties:
            if prop == "column_descriptions":
                hit = _column_descriptions(ctx, index, described)
                if hit is not None:
                    yield hit
            elif not _capsule_has(ctx, node, prop, params, described):
                yield Hit(index, _missing(prop, params, capsule_label(node)), key=prop)


def _description_test(params: Mapping[str, Any]) -> Any:
    minimum = params["min_length"]
    placeholder = compiled(params["placeholder"], True) if params.get("placeholder") else None

    def described(text: str | None) -> bool:
        text = (text or "").strip()
        return len(text) >= minimum and (placeholder is None or placeholder.fullmatch(text) is None)

    return described


def _capsule_has(ctx: EvalContext, node: CapsuleNode, prop: str, params: Mapping[str, Any], described: Any) -> bool:
    if prop == "description":
        return described(node.description)
    if prop == "meta_key":
        return _present(node.meta.get(params["key"]))
    if prop == "contract_enforced":
        return bool(node.contract_enforced)
    if prop == "freshness":
        return _freshness_enabled(ctx.capsule_fact(node, "freshness"))
    if prop == "source_description":
        return described(ctx.capsule_fact(node, "source_description"))
    return _present(getattr(node, prop))


def _column_has(node: ColumnNode, prop: str, params: Mapping[str, Any], described: Any) -> bool:
    if prop == "description":
        return described(node.description)
    if prop == "meta_key":
        return _present(node.meta.get(params["key"]))
    return _present(getattr(node, prop))


def _present(value: Any) -> bool:
    return value not in (None, "", (), [], {})


def _freshness_enabled(freshness: Any) -> bool:
    """Like dbt-project-evaluator: a warn_after or error_after with a count (a filter alone is not enough)."""
    if not isinstance(freshness, dict):
        return False
    return any(
        isinstance(freshness.get(key), dict) and freshness[key].get("count") for key in ("warn_after", "error_after")
    )


def _column_descriptions(ctx: EvalContext, index: int, described: Any) -> Hit | None:
    node = ctx.graph.capsules[index]
    columns = [ctx.graph.columns[c] for c in capsule_declared_columns(node, ctx)]
    if "in_manifest" in ctx.column_fields:
        # dbt-project-evaluator counts the columns declared in yml, not those only the warehouse knows
        columns = [column for column in columns if getattr(column, "in_manifest", True)]
    if not columns:
        return Hit(
            index,
            f"'{capsule_label(node)}' documents no columns",
            key="column_descriptions",
            details={"columns": 0, "undocumented": []},
        )
    missing = [column.name for column in columns if not described(column.description)]
    if not missing:
        return None
    return Hit(
        index,
        f"'{capsule_label(node)}' has {len(missing)} of {len(columns)} columns without a description",
        key="column_descriptions",
        details={"columns": len(columns), "undocumented": missing[:LISTED], "undocumented_count": len(missing)},
    )


def _missing(prop: str, params: Mapping[str, Any], name: str) -> str:
    what = {
        "description": "has no description",
        "owner": "has no owner",
        "domain": "has no domain",
        "tags": "has no tags",
        "meta_key": f"has no meta.{params.get('key')}",
        "contract_enforced": "does not enforce a contract",
        "freshness": "has no freshness (warn_after/error_after) defined",
        "access": "declares no access",
        "group": "belongs to no group",
        "source_description": "belongs to a source block without a description",
        "data_type": "has no data type",
    }[prop]
    return f"'{name}' {what}"


# -- tests ------------------------------------------------------------------------------------------

DEFAULT_PRIMARY_KEY_TESTS = (("unique", "not_null"), ("unique_combination_of_columns",))


@cache  # a project has a few dozen test types and tens of thousands of tests
def normal_test_kind(test_type: str) -> str:
    """``dbt_utils.unique_combination_of_columns`` -> ``unique_combination_of_columns``."""
    return test_type.rsplit(".", 1)[-1].lower()


def column_test_kinds(ctx: EvalContext) -> dict[int, set[str]]:
    """Test kinds per column index, from the columns' own lists and the capsules' column tests; memoised."""

    def compute() -> dict[int, set[str]]:
        graph = ctx.graph
        columns = graph.columns
        out: dict[int, set[str]] = {}
        for node in columns:
            if node.tests:
                out[node.index] = {normal_test_kind(t) for t in node.tests}
        for capsule in graph.capsules:
            column_tests = [test for test in capsule.tests if test.column]
            if not column_tests:
                continue
            by_name = {columns[c].name.lower(): c for c in capsule.columns}
            for test in column_tests:
                column = by_name.get(test.column.lower())
                if column is not None:
                    out.setdefault(column, set()).add(normal_test_kind(test.test_type))
        return out

    return ctx.memo("column_test_kinds", compute)


def capsule_test_kinds(node: CapsuleNode, ctx: EvalContext) -> tuple[set[str], dict[str, set[str]], int]:
    """(all kinds, kinds per lower-case column name, number of tests) of one capsule; memoised per capsule."""
    cache = ctx.memo("capsule_test_kinds", dict)
    found = cache.get(node.index)
    if found is None:
        found = cache[node.index] = _capsule_test_kinds(node, ctx)
    return found


def _capsule_test_kinds(node: CapsuleNode, ctx: EvalContext) -> tuple[set[str], dict[str, set[str]], int]:
    kinds: set[str] = set()
    per_column: dict[str, set[str]] = {}
    for test in node.tests:
        kind = normal_test_kind(test.test_type)
        kinds.add(kind)
        if test.column:
            per_column.setdefault(test.column.lower(), set()).add(kind)
    count = len(node.tests)
    if not node.tests and node.columns:
        # graph views that only list tests on columns
        by_column = column_test_kinds(ctx)
        for column in node.columns:
            found = by_column.get(column)
            if found:
                kinds |= found
                per_column[ctx.graph.columns[column].name.lower()] = set(found)
                count += len(found)
    return kinds, per_column, count


def primary_key_tested(
    kinds: set[str],
    per_column: dict[str, set[str]],
    sets: tuple[tuple[str, ...], ...],
    not_null_constrained: frozenset[str] = frozenset(),
) -> bool:
    """A multi-test set must sit on one column (unique + not_null); a single test may sit anywhere.

    Like dbt-project-evaluator, a unique test on a column with a not_null constraint (lower-case names in
    ``not_null_constrained``) also makes a primary key: the database enforces the other half.
    """
    for test_set in sets:
        wanted = {normal_test_kind(t) for t in test_set}
        if len(wanted) == 1:
            if wanted <= kinds:
                return True
        elif any(wanted <= found for found in per_column.values()):
            return True
    return any("unique" in per_column.get(name, ()) for name in not_null_constrained)


def not_null_constrained(node: CapsuleNode, ctx: EvalContext) -> frozenset[str]:
    """Lower-case names of the capsule's columns that declare a dbt not_null constraint."""
    columns = ctx.graph.columns
    return frozenset(
        columns[c].name.lower()
        for c in node.columns
        if any(isinstance(item, Mapping) and item.get("type") == "not_null" for item in columns[c].constraints)
    )


def _required_tests_params(params: Mapping[str, Any], scope: str) -> None:
    if not params.get("kinds") and params.get("min_count") is None:
        raise ValueError("check: give kinds (e.g. [primary_key]) or min_count")


@register_check(
    "required_tests",
    depends="self",
    columns="own",
    scopes={"capsule": "capsule", "column": "column"},
    params={
        "kinds": Param(
            "str_list",
            help="test kinds that must all be present: primary_key, unique, not_null, relationships, "
            "accepted_values, any, or a custom test's name",
        ),
        "min_count": Param("int", minimum=1, help="at least this many tests"),
        "primary_key_tests": Param(
            "str_list_list",
            default=DEFAULT_PRIMARY_KEY_TESTS,
            help="test sets that make a primary key test; a set of several must sit on one column",
        ),
    },
    validate=_required_tests_params,
)
def required_tests(*, run: CheckRun) -> Iterator[Hit]:
    """Each capsule (or column) has the required kinds of data tests (e.g. a primary-key test)."""
    params, ctx = run.params, run.ctx
    wanted = params.get("kinds") or ()
    minimum = params.get("min_count")
    sets = params["primary_key_tests"]
    if run.subject == "column":
        by_column = column_test_kinds(ctx)
        columns = run.graph.columns
        for column in run.columns:
            kinds = by_column.get(column, set())
            missing = _missing_kinds(wanted, kinds, {"": kinds}, sets)
            short = minimum is not None and len(kinds) < minimum
            if missing or short:
                node = columns[column]
                yield Hit(
                    node.capsule,
                    _tests_message(
                        f"{capsule_label(run.graph.capsules[node.capsule])}.{node.name}",
                        missing,
                        len(kinds),
                        minimum if short else None,
                    ),
                    column=column,
                    details={"missing": missing, "tests": sorted(kinds)},
                )
        return
    capsules = run.graph.capsules
    for index in run.capsules:
        node = capsules[index]
        kinds, per_column, count = capsule_test_kinds(node, ctx)
        missing = _missing_kinds(wanted, kinds, per_column, sets)
        if "primary_key" in missing and "unique" in kinds:
            constrained = not_null_constrained(node, ctx)
            if constrained:
                missing = _missing_kinds(wanted, kinds, per_column, sets, constrained)
        short = minimum is not None and count < minimum
        if missing or short:
            yield Hit(
                index,
                _tests_message(capsule_label(node), missing, count, minimum if short else None),
                details={"missing": missing, "tests": count},
            )


def _missing_kinds(
    wanted: tuple[str, ...],
    kinds: set[str],
    per_column: dict[str, set[str]],
    sets: Any,
    constrained: frozenset[str] = frozenset(),
) -> list[str]:
    missing = []
    for kind in wanted:
        if kind == "primary_key":
            ok = primary_key_tested(kinds, per_column, sets, constrained)
        elif kind == "any":
            ok = bool(kinds)
        else:
            ok = normal_test_kind(kind) in kinds
        if not ok:
            missing.append(kind)
    return missing


def _tests_message(name: str, missing: list[str], count: int, minimum: int | None) -> str:
    parts = []
    if missing:
        parts.append("has no " + " / ".join(kind.replace("_", " ") + " test" for kind in missing))
    if minimum is not None:
        parts.append(f"has {count} test(s), fewer than {minimum}")
    return f"'{name}' " + " and ".join(parts)


@register_check(
    "test_status",
    depends="self",
    columns="none",
    scopes={"capsule": "capsule"},
    params={"statuses": Param("str_list", default=("fail", "error"), help="latest run statuses that count")},
)
def latest_test_status(*, run: CheckRun) -> Iterator[Hit]:
    """No data test of the capsule ended its latest run in one of ``statuses`` (from run_results)."""
    statuses = {status.lower() for status in run.params["statuses"]}
    capsules = run.graph.capsules
    for index in run.capsules:
        node = capsules[index]
        for test in node.tests:
            if test.status and test.status.lower() in statuses:
                yield Hit(
                    index,
                    f"test '{test.name}' on '{capsule_label(node)}' ended its latest run with status {test.status}",
                    key=test.name,
                    details={
                        "test": test.name,
                        "test_type": test.test_type,
                        "column": test.column,
                        "status": test.status,
                    },
                )


# -- coverage -----------------------------------------------------------------------------------

COLUMN_MEASURES = ("documented_columns", "tested_columns")
MEASURES = (*COLUMN_MEASURES, "documented_models", "tested_models")


def _coverage_params(params: Mapping[str, Any], scope: str) -> None:
    if scope == "capsule" and params["measure"] not in COLUMN_MEASURES:
        raise ValueError(f"measure: a capsule-scope coverage measures columns ({', '.join(COLUMN_MEASURES)})")


def _coverage_reads(measure: str, subject: str) -> str:
    """Per capsule, its own columns; over the project, each capsule's counts (see ``coverage``). Counting models
    reads no column: ``graph_load`` lists every test of a capsule, its columns' tests included, on the capsule."""
    if subject != "project":
        return "own"
    return "counts" if measure in COLUMN_MEASURES else "none"


@register_check(
    "coverage",
    depends="self",
    columns=lambda params, subject: _coverage_reads(params["measure"], subject),
    scopes={"capsule": "capsule", "graph": "project"},
    params={
        "measure": Param("str", required=True, choices=MEASURES, help="what share is measured"),
        "min_percent": Param("number", required=True, minimum=0, maximum=100, help="the lowest acceptable share"),
    },
    validate=_coverage_params,
)
def coverage(*, run: CheckRun) -> Iterator[Hit]:
    """A share of documented/tested columns per capsule, or of documented/tested capsules or columns overall.

    Capsule scope: each capsule's own columns (a capsule with no known columns has 0%). Graph scope: the
    whole population in the filter, reported once for the project with a breakdown per layer.
    """
    ctx, params = run.ctx, run.params
    measure, minimum = params["measure"], params["min_percent"]
    graph = run.graph
    covered = _covered_columns(ctx, measure).__getitem__ if measure in COLUMN_MEASURES else None

    if run.subject == "capsule":
        for index in run.capsules:
            node = graph.capsules[index]
            columns = capsule_declared_columns(node, ctx)
            total = len(columns)
            good = sum(map(covered, columns))
            percent = 100.0 * good / total if total else 0.0
            if percent < minimum:
                yield Hit(
                    index,
                    f"'{capsule_label(node)}' has {_label(measure)} {percent:.1f}% ({good}/{total}), "
                    f"below {minimum:g}%",
                    details={"percent": round(percent, 2), "covered": good, "total": total, "min_percent": minimum},
                )
        return
    totals: dict[str | None, list[int]] = {}
    by_type: dict[str, list[int]] = {}
    model_types = ctx.model_types if covered is None else None
    tests = 0
    # counted per capsule (declared columns, covered ones), so that a view holding some capsules' columns only can
    # take the others' counts from the previous evaluation (columns="counts")
    kept, record = run.kept, run.counts
    for index in run.capsules:
        node = graph.capsules[index]
        if covered is not None:
            if graph.has_columns(index):
                columns = capsule_declared_columns(node, ctx)
                good, total = sum(map(covered, columns)), len(columns)
                if record is not None and total:
                    record[index] = (total, good)
            else:
                total, good = kept.get(index, (0, 0))
        elif measure == "documented_models":
            good, total = int(bool((node.description or "").strip())), 1
        else:
            count = capsule_test_kinds(node, ctx)[2]
            tests += count
            good, total = int(count > 0), 1
        bucket = totals.setdefault(node.layer, [0, 0])
        bucket[0] += good
        bucket[1] += total
        if model_types is not None and model_types[index] is not None:
            typed = by_type.setdefault(model_types[index], [0, 0])
            typed[0] += good
            typed[1] += total
    good = sum(bucket[0] for bucket in totals.values())
    total = sum(bucket[1] for bucket in totals.values())
    if not total:
        return
    percent = 100.0 * good / total
    if percent < minimum:
        by_layer = {
            str(layer): round(100.0 * g / t, 2) for layer, (g, t) in sorted(totals.items(), key=_layer_key) if t
        }
        details: dict[str, Any] = {
            "percent": round(percent, 2),
            "covered": good,
            "total": total,
            "min_percent": minimum,
            "by_layer": by_layer,
        }
        if by_type:
            details["by_model_type"] = {kind: round(100.0 * g / t, 2) for kind, (g, t) in sorted(by_type.items())}
        if measure == "tested_models":
            # the evaluator's total_tests and test_to_model_ratio
            details.update(tests=tests, tests_per_model=round(tests / total, 4))
        yield Hit(
            None,
            f"project {_label(measure)} is {percent:.1f}% ({good}/{total}), below {minimum:g}%",
            details=details,
        )


def declared_columns(graph: GraphView, node: CapsuleNode) -> list[int]:
    """A capsule's columns the project declares: coverage judges those, not what column lineage inferred."""
    columns = graph.columns
    return [c for c in node.columns if not columns[c].inferred]


def capsule_declared_columns(node: CapsuleNode, ctx: EvalContext) -> list[int]:
    """``declared_columns``, memoised per capsule: the coverage and column-description rules ask for the same
    capsules' columns several times per evaluation. The list is shared: read it, do not change it."""
    memo = ctx.memo("capsule_declared_columns", dict)
    found = memo.get(node.index)
    if found is None:
        found = memo[node.index] = declared_columns(ctx.graph, node)
    return found


@register_check("test_directory", depends="self", columns="none", scopes={"capsule": "capsule"}, params={})
def tests_in_model_folder(*, run: CheckRun) -> Iterator[Hit]:
    """Each generic test is declared in the folder of the model it tests (dbt-project-evaluator's
    fct_test_directories): one finding per test declared elsewhere. Tests in a path the project excludes are
    not judged; the graph view must say where tests are declared (``TestInfo.path``)."""
    capsules = run.graph.capsules
    for index in run.capsules:
        node = capsules[index]
        if not node.path:
            continue
        settings = run.ctx.projects.get(getattr(node, "source_system", None))
        model_folder = _folder(node.path)
        for test in node.tests:
            path = getattr(test, "path", None)
            if not path or test.test_type == "singular":
                continue
            if settings is not None and settings.excludes_path(path=path):
                continue
            test_folder = _folder(path)
            if test_folder != model_folder:
                yield Hit(
                    index,
                    f"test '{test.name}' of '{capsule_label(node)}' is declared in {test_folder or './'}, not in "
                    f"the model's folder {model_folder or './'}",
                    key=test.name,
                    details={"test": test.name, "test_folder": test_folder, "model_folder": model_folder},
                    related=(("test", test.name),),
                )


def _folder(path: str) -> str:
    path = path.replace("\\", "/")
    return path.rsplit("/", 1)[0] + "/" if "/" in path else ""


def _covered_columns(ctx: EvalContext, measure: str) -> list[bool]:
    """Per column index: documented (a non-blank description) or tested; one pass, memoised per measure."""

    def compute() -> list[bool]:
        if measure == "documented_columns":
            return [bool(column.description and column.description.strip()) for column in ctx.graph.columns]
        flags = [False] * len(ctx.graph.columns)
        for column in column_test_kinds(ctx):
            flags[column] = True
        return flags

    return ctx.memo(("covered_columns", measure), compute)


def _label(measure: str) -> str:
    return {
        "documented_columns": "column documentation coverage",
        "tested_columns": "column test coverage",
        "documented_models": "documentation coverage",
        "tested_models": "test coverage",
    }[measure]


def _layer_key(item: tuple[str | None, Any]) -> str:
    return item[0] or ""
