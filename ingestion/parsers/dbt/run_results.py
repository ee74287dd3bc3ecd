"""Reading run_results.json (schemas v1 to v6): the latest outcome of each executed node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._loading import ParseError, check_kind, gc_paused, load_artifact, schema_version, type_name

__all__ = ["NON_EXECUTING_COMMANDS", "RunResult", "RunResultsData", "parse_run_results"]

NEWEST_RUN_RESULTS_SCHEMA = 6
# commands whose results only say "compiled", not whether a model built or a test passed
NON_EXECUTING_COMMANDS = frozenset({"generate", "compile", "parse", "list", "ls", "docs"})


@dataclass(frozen=True, slots=True)
class RunResult:
    """The outcome of one node in one invocation."""

    unique_id: str
    status: str | None  # success, error, skipped, pass, fail, warn, no-op... lower case
    execution_time: float | None
    completed_at: str | None  # when its execute step completed (ISO 8601), if dbt recorded it
    message: str | None
    failures: int | None
    rows_affected: int | None
    compiled_code: str | None


@dataclass(frozen=True, slots=True)
class RunResultsData:
    """All results by unique_id (the last one wins when a node ran twice), and what command produced them."""

    results: dict[str, RunResult]
    command: str | None  # build, run, test, seed, snapshot, generate...
    statuses_apply: bool  # False for commands that do not execute (e.g. docs generate)
    dbt_version: str | None
    generated_at: str | None
    invocation_id: str | None
    schema_version: int | None
    warnings: tuple[str, ...]


def _completed_at(timing: Any) -> str | None:
    if not isinstance(timing, list):
        return None
    for step in reversed(timing):
        if isinstance(step, dict) and step.get("name") == "execute" and isinstance(step.get("completed_at"), str):
            return step["completed_at"]
    return None


def parse_run_results(data: bytes) -> RunResultsData:
    """Parse run_results.json bytes; raise ParseError when they are not usable run results."""
    with gc_paused():
        document = load_artifact(data, artifact="run_results")
        check_kind(document, artifact="run_results")
        results = document.get("results")
        if not isinstance(results, list):
            raise ParseError(
                "run_results.json 'results' must be an array of node results, but it is "
                f"{'missing' if results is None else type_name(results)}",
                artifact="run_results",
            )
        warnings: list[str] = []
        metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
        version = schema_version(metadata.get("dbt_schema_version"))
        if version is not None and version > NEWEST_RUN_RESULTS_SCHEMA:
            warnings.append(
                f"run_results schema v{version} is newer than the newest this parser knows "
                f"(v{NEWEST_RUN_RESULTS_SCHEMA}): the fields it understands were ingested"
            )
        args = document.get("args") if isinstance(document.get("args"), dict) else {}
        command = args.get("which") if isinstance(args.get("which"), str) else None
        statuses_apply = command not in NON_EXECUTING_COMMANDS
        if not statuses_apply:
            shown = "docs generate" if command == "generate" else command
            warnings.append(
                f"run_results.json comes from `dbt {shown}`, which executes nothing: "
                "its statuses were not used as test or run outcomes"
            )
        by_id: dict[str, RunResult] = {}
        skipped = 0
        for result in results:
            if not isinstance(result, dict) or not isinstance(result.get("unique_id"), str):
                skipped += 1
                continue
            response = result.get("adapter_response")
            rows = response.get("rows_affected") if isinstance(response, dict) else None
            status = result.get("status")
            failures = result.get("failures")
            execution_time = result.get("execution_time")
            by_id[result["unique_id"]] = RunResult(
                unique_id=result["unique_id"],
                status=status.lower() if isinstance(status, str) else None,
                execution_time=float(execution_time) if isinstance(execution_time, int | float) else None,
                completed_at=_completed_at(result.get("timing")),
                message=result.get("message") if isinstance(result.get("message"), str) else None,
                failures=failures if isinstance(failures, int) and not isinstance(failures, bool) else None,
                rows_affected=rows if isinstance(rows, int) and not isinstance(rows, bool) else None,
                compiled_code=result.get("compiled_code") if isinstance(result.get("compiled_code"), str) else None,
            )
        if skipped:
            warnings.append(f"{skipped} run_results.json result(s) without a unique_id were skipped")
        return RunResultsData(
            results=by_id,
            command=command,
            statuses_apply=statuses_apply,
            dbt_version=metadata.get("dbt_version"),
            generated_at=metadata.get("generated_at"),
            invocation_id=metadata.get("invocation_id"),
            schema_version=version,
            warnings=tuple(warnings),
        )
