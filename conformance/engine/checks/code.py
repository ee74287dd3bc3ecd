"""Checks over a model's own SQL (raw, as written). They need the SQL on the graph view's capsules."""

from __future__ import annotations

import re
from collections.abc import Iterator

from conformance.engine.registry import CheckRun, register_check
from conformance.engine.results import CheckNotEvaluable, Hit, capsule_label

SQL_FACTS = ("raw_sql", "raw_code")

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/|\{#.*?#\}", re.DOTALL)
# over lower-cased text and without a leading \b (checked by hand): both would make the scan ten times slower
_KEYWORD = re.compile(r"(?:from|join)\s+")
_KEYWORD_ANY_CASE = re.compile(r"(?:from|join)\s+", re.IGNORECASE)
_PART = r"(?:[`\"'\[][^`\"'\]\s]+[`\"'\]]|\w+(?:-\w+)*)"
# what follows a from/join keyword, matched at that position only
_FOLLOWERS = (
    re.compile(r"\{\{\s*var\s*\([^)]*\)\s*\}\}"),  # {{ var('table') }}, {{ var('schema', 'default') }}
    re.compile(rf"{_PART}\.{_PART}(?:\.{_PART})?(?=\s|;|$)"),  # schema.table / db.schema.table, quoted or not
    re.compile(r"[`\"'\[][^`\"'\]\s]+[`\"'\]](?=\s|;|$)"),  # "table" or `p.d.t`: quoted is a relation, bare a CTE
)


def hard_coded_references(sql: str) -> list[str]:
    """Relation names written into SQL instead of ref()/source(), comments ignored; in order, unique.

    One scan for from/join keywords, then the token after each is matched in place; like
    dbt-project-evaluator, a keyword right after "distinct " is ignored.
    """
    text = _COMMENTS.sub(" ", sql) if ("--" in sql or "/*" in sql or "{#" in sql) else sql
    lowered = text.lower()
    # a few non-ASCII letters change length when lower-cased, and positions must match the original
    keywords = _KEYWORD.finditer(lowered) if len(lowered) == len(text) else _KEYWORD_ANY_CASE.finditer(text)
    found: dict[str, None] = {}
    for keyword in keywords:
        start = keyword.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            continue  # inside a word such as date_from
        if text[max(0, start - 9) : start].lower() == "distinct ":
            continue
        for follower in _FOLLOWERS:
            match = follower.match(text, keyword.end())
            if match is not None:
                found.setdefault(match.group(0), None)
                break
    return list(found)


@register_check("hard_coded_references", depends="self", columns="none", scopes={"capsule": "capsule"}, params={})
def hard_coded(*, run: CheckRun) -> Iterator[Hit]:
    """A model reads other relations through ref() and source(), never by a hard-coded name."""
    ctx = run.ctx
    fact = next((name for name in SQL_FACTS if name in ctx.capsule_fields), None)
    if fact is None:
        raise CheckNotEvaluable("the graph view carries no raw SQL on capsules (raw_sql)")
    capsules = run.graph.capsules
    if run.capsules and not any(getattr(capsules[index], fact) for index in run.capsules):
        # graph_load(sql=False) leaves raw_sql empty everywhere: that is "not known", not "no references"
        raise CheckNotEvaluable("no capsule in the rule's filter carries raw SQL (load the graph with sql=True)")
    for index in run.capsules:
        node = capsules[index]
        sql = getattr(node, fact)
        if not sql:
            continue
        references = hard_coded_references(sql)
        if references:
            yield Hit(
                index,
                f"'{capsule_label(node)}' hard-codes {', '.join(references[:5])}; use ref() or source()",
                details={"references": references},
            )
