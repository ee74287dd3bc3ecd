"""The registry of check types. Built-in checks and a deployment's own Python checks register the same way.

    from conformance.engine import CheckRun, Hit, Param, register_check

    @register_check("max_columns", scopes={"capsule": "capsule"}, params={"max": Param("int", required=True)})
    def max_columns(*, run: CheckRun):
        for index in run.capsules:
            node = run.graph.capsules[index]
            if len(node.columns) > run.params["max"]:
                yield Hit(index, f"{node.name} has {len(node.columns)} columns")

A rule file then says ``check: {type: max_columns, max: 400}``. The module defining the check must be
imported before rule files that use it are loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from conformance.engine.context import EvalContext
from conformance.engine.params import Param
from conformance.engine.results import Hit
from conformance.engine.spec import SCOPES, SUBJECTS, RuleSpec
from lineage.graph import GraphView


@dataclass(frozen=True, slots=True)
class CheckRun:
    """What a check receives: the shared context, the rule, its parameters and the objects in its filter.

    ``subject`` is what the rule judges: ``capsule`` (judge each of ``capsules``), ``column`` (each of
    ``columns``) or ``project`` (the population ``capsules`` as a whole; report hits with capsule None).
    """

    ctx: EvalContext
    rule: RuleSpec
    params: Mapping[str, Any]
    subject: str
    capsules: Sequence[int]
    columns: Sequence[int] = ()
    # A ``counts`` check (COLUMN_READS) on a view holding some capsules' columns only: the other capsules' counts,
    # capsule index -> (applicable, counted), as the previous evaluation recorded them. ``counts`` (when not
    # None) receives the counts of the capsules whose columns the check read, for the next evaluation.
    kept: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    counts: dict[int, tuple[int, int]] | None = None

    @property
    def graph(self) -> GraphView:
        return self.ctx.graph


CheckFunction = Callable[..., Iterable[Hit]]
Validator = Callable[[Mapping[str, Any], str], None]


@dataclass(frozen=True, slots=True)
class CheckType:
    """A registered check: its function, the scopes it supports (scope -> subject) and its parameters.

    ``params`` None accepts any parameters unchecked (for quick custom checks). ``validate`` receives the
    normalised parameters and the rule's scope and raises ValueError("field: what is wrong"). A column check
    judges the columns the project declares; ``inferred_columns`` adds those column lineage inferred (PII checks:
    an inferred column holds data like any other, but it declares nothing).

    ``depends`` says what a verdict on one capsule reads besides the rule's parameters and the project's settings
    (one of DEPENDS), so an evaluation after a change judges again only the capsules whose verdict can differ
    (``conformance.engine.scope``): ``self`` (the capsule, its columns and tests), ``parents``/``children`` (and
    its direct neighbours that way), ``neighbours`` (both), ``ancestors``/``descendants`` (everything upstream or
    downstream, at capsule or column level), ``lineage`` (both ways), ``graph`` (anything: judged again in full
    after any change). A project-level rule (subject ``project``) is always ``graph``.
    """

    name: str
    function: CheckFunction
    scopes: Mapping[str, str]
    params: Mapping[str, Param] | None
    validate: Validator | None = None
    description: str = ""
    inferred_columns: bool = False
    depends: str = "self"
    columns: str | Callable[[Mapping[str, Any], str], str] = "all"

    @property
    def default_scope(self) -> str:
        return next(iter(self.scopes))

    def reads_columns(self, params: Mapping[str, Any], subject: str) -> str:
        """Which columns a verdict reads (one of COLUMN_READS) under these parameters and subject."""
        return self.columns(params, subject) if callable(self.columns) else self.columns


_REGISTRY: dict[str, CheckType] = {}
DEPENDS = ("self", "parents", "children", "neighbours", "ancestors", "descendants", "lineage", "graph")
# What columns a verdict on one capsule reads, so that an evaluation after a change loads only those
# (``conformance.services``): ``none`` (capsule facts and capsule edges only), ``own`` (the judged capsules' own
# columns), ``upstream`` (theirs and every column upstream of them through column lineage), ``counts`` (a
# project-level measure over every capsule's columns that sums per-capsule counts: it reads the judged capsules'
# columns and takes the other capsules' counts kept by the previous evaluation, ``CheckRun.kept``) and ``all``
# (any column: the whole graph is loaded).
COLUMN_READS = ("none", "own", "upstream", "counts", "all")


def register_check(
    name: str,
    *,
    scopes: Mapping[str, str] | None = None,
    params: Mapping[str, Param] | None = None,
    validate: Validator | None = None,
    description: str = "",
    inferred_columns: bool = False,
    depends: str = "graph",
    columns: str | Callable[[Mapping[str, Any], str], str] = "all",
) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function(*, run: CheckRun) -> Iterable[Hit]`` as check type ``name``.

    ``scopes`` maps each supported rule scope to the subject judged under it; the first is the default
    (``{"capsule": "capsule"}`` when omitted). Registering a name twice replaces the earlier check, so a
    deployment can override a built-in deliberately. ``depends`` (see CheckType) defaults to ``graph``: a check
    that does not say what it reads is judged again in full after any change. ``columns`` (one of COLUMN_READS,
    or a function of the normalised parameters and the subject returning one) defaults to ``all``: a check that
    does not say which columns it reads gets the whole graph.
    """
    if depends not in DEPENDS:
        raise ValueError(f"check {name!r}: depends must be one of {', '.join(DEPENDS)}, not {depends!r}")
    if not callable(columns) and columns not in COLUMN_READS:
        raise ValueError(f"check {name!r}: columns must be one of {', '.join(COLUMN_READS)}, not {columns!r}")
    scope_map = dict(scopes or {"capsule": "capsule"})
    for scope, subject in scope_map.items():
        if scope not in SCOPES or subject not in SUBJECTS:
            raise ValueError(f"check {name!r}: bad scope {scope!r} -> {subject!r}")

    def decorate(function: CheckFunction) -> CheckFunction:
        _REGISTRY[name] = CheckType(
            name=name,
            function=function,
            scopes=MappingProxyType(scope_map),
            params=None if params is None else MappingProxyType(dict(params)),
            validate=validate,
            description=description or (function.__doc__ or "").strip().split("\n")[0],
            inferred_columns=inferred_columns,
            depends=depends,
            columns=columns,
        )
        return function

    return decorate


def check_type(name: str) -> CheckType | None:
    return _REGISTRY.get(name)


def check_types() -> dict[str, CheckType]:
    """Every registered check type by name (built-ins are registered on import of the engine)."""
    return dict(sorted(_REGISTRY.items()))
