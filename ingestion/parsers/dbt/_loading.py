"""Turning artifact bytes into a checked JSON object, and the error raised when that is impossible."""

from __future__ import annotations

import re
from typing import Any

import orjson

from dab_project.memory import gc_paused

__all__ = [
    "ParseError",
    "artifact_kind",
    "check_kind",
    "gc_paused",
    "load_artifact",
    "remove_nul",
    "schema_url",
    "schema_version",
    "type_name",
]

_FILE_NAMES = {"manifest": "manifest.json", "catalog": "catalog.json", "run_results": "run_results.json"}
# what metadata.dbt_schema_version calls each artifact -> our name for it
_KINDS = {
    "manifest": "manifest",
    "catalog": "catalog",
    "run-results": "run_results",
    "sources": "sources",
    "semantic-manifest": "semantic_manifest",
}
_KIND_LABELS = {
    "manifest": "a dbt manifest.json",
    "catalog": "a dbt catalog.json",
    "run_results": "a dbt run_results.json",
    "sources": "a dbt sources.json (source freshness results)",
    "semantic_manifest": "a dbt semantic_manifest.json",
}
_SCHEMA_URL = re.compile(r"/dbt/([a-z_-]+)/v(\d+)\.json")
_BOM = b"\xef\xbb\xbf"
_BLANK_BYTES = re.compile(rb"\s*\Z")
_BLANK_TEXT = re.compile(r"\s*\Z")
_NUL_ESCAPE_BYTES = b"\\u0000"
_NUL_ESCAPE_TEXT = "\\u0000"


class ParseError(ValueError):
    """The bytes given are not a usable dbt artifact. The message names the problem in plain words.

    ``artifact`` is "manifest", "catalog" or "run_results"; ``line``/``column`` locate a JSON syntax error.
    """

    def __init__(self, message: str, *, artifact: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.artifact = artifact
        self.line = line
        self.column = column


def type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else type(value).__name__


def load_artifact(data: bytes | bytearray | memoryview | str, *, artifact: str) -> dict[str, Any]:
    """Decode one artifact's bytes into its top-level JSON object, or raise ParseError saying why not."""
    file_name = _FILE_NAMES[artifact]
    if isinstance(data, memoryview):
        data = data.tobytes()
    blank = _BLANK_TEXT if isinstance(data, str) else _BLANK_BYTES
    if data is None or blank.match(data):
        raise ParseError(f"{file_name} is empty: there is nothing to parse", artifact=artifact)
    if isinstance(data, str):
        data = data.removeprefix("\ufeff")
    elif data[:3] == _BOM:
        data = data[3:]
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        line, column = exc.lineno, exc.colno
        if "unexpected end of data" in exc.msg:
            raise ParseError(
                f"{file_name} is truncated: the JSON stops in the middle at line {line}, column {column} "
                "(was the file cut off while copying or uploading?)",
                artifact=artifact,
                line=line,
                column=column,
            ) from None
        raise ParseError(
            f"{file_name} is not valid JSON: {exc.msg} at line {line}, column {column}",
            artifact=artifact,
            line=line,
            column=column,
        ) from None
    if not isinstance(document, dict):
        raise ParseError(
            f"{file_name} must hold a JSON object at the top level, but it holds {type_name(document)}",
            artifact=artifact,
        )
    if (_NUL_ESCAPE_TEXT if isinstance(data, str) else _NUL_ESCAPE_BYTES) in data:
        # JSON can only carry NUL as the escape \u0000; raw NUL bytes are rejected by orjson above.
        document = remove_nul(document)
    return document


def artifact_kind(document: dict[str, Any]) -> str | None:
    """Which dbt artifact this is: from metadata.dbt_schema_version, else from its top-level keys."""
    url = schema_url(document)
    if url:
        match = _SCHEMA_URL.search(url)
        if match:
            return _KINDS.get(match.group(1), match.group(1))
    if "results" in document and "elapsed_time" in document:
        return "run_results" if "nodes" not in document else None
    if "semantic_models" in document and "project_configuration" in document:
        return "semantic_manifest"
    if "nodes" in document and ("macros" in document or "parent_map" in document or "child_map" in document):
        return "manifest"
    if "nodes" in document and "errors" in document:
        return "catalog"
    return None


def check_kind(document: dict[str, Any], *, artifact: str) -> None:
    """Raise ParseError when the document is a different dbt artifact than the one expected."""
    kind = artifact_kind(document)
    if kind is None or kind == artifact:
        return
    label = _KIND_LABELS.get(kind, f"a dbt {kind} artifact")
    url = schema_url(document)
    because = f" (metadata.dbt_schema_version is {url})" if url else ""
    raise ParseError(
        f"this looks like {label}, not a {_FILE_NAMES[artifact]}{because}: check which file was given as the "
        f"{artifact.replace('_', ' ')}",
        artifact=artifact,
    )


def schema_url(document: dict[str, Any]) -> str | None:
    metadata = document.get("metadata")
    if isinstance(metadata, dict):
        url = metadata.get("dbt_schema_version")
        if isinstance(url, str):
            return url
    return None


def schema_version(url: str | None) -> int | None:
    """12 for https://schemas.getdbt.com/dbt/manifest/v12.json; None when there is no version in it."""
    if not url:
        return None
    match = _SCHEMA_URL.search(url)
    return int(match.group(2)) if match else None


def remove_nul(value: Any) -> Any:
    """Return ``value`` with every NUL character removed from its strings and dict keys, recursively."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {
            (key.replace("\x00", "") if isinstance(key, str) and "\x00" in key else key): remove_nul(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [remove_nul(item) for item in value]
    return value
