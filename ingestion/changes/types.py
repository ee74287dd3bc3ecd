"""Warehouse types normalised per adapter, to tell a narrowing from a change. Pure.

``type_normalise`` maps a type as the warehouse or the YAML spells it to a family and its size:
integers by bit width, strings by length (None = unbounded), numerics by precision and scale, floats by
width. ``type_change_kind`` compares two types: ``same`` (only spelled differently, e.g. ``int4`` and
``integer``), ``widened``, ``narrowed`` (values of the old type may no longer fit) or ``changed`` (unrelated
families, e.g. a date that became a string: a type change, not a narrowing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NormalisedType", "type_change_kind", "type_normalise"]

_INT_WIDTHS = {
    "tinyint": 8, "int1": 8, "byteint": 8, "smallint": 16, "int2": 16, "short": 16, "int": 32, "integer": 32,
    "int4": 32, "mediumint": 24, "bigint": 64, "int8": 64, "long": 64, "int64": 64, "hugeint": 128, "int128": 128,
    "utinyint": 8, "usmallint": 16, "uinteger": 32, "ubigint": 64, "uhugeint": 128, "int16": 16, "int32": 32,
}  # fmt: skip
_STRINGS = {"varchar", "char", "character", "text", "string", "nvarchar", "nchar", "bpchar", "character varying",
            "clob", "nvarchar2", "varchar2"}  # fmt: skip
_NUMERICS = {"numeric", "decimal", "number", "bignumeric", "bigdecimal", "dec"}
_FLOATS = {"real": 32, "float4": 32, "float8": 64, "double": 64, "double precision": 64, "float64": 64,
           "float32": 32}  # fmt: skip
# Adapters where every integer name is NUMBER(38,0): they never narrow by name.
_ALL_INTEGERS_SAME = {"snowflake"}
# What a bare FLOAT is: 32 bits in DuckDB, Spark and Databricks, 64 elsewhere.
_FLOAT32_ADAPTERS = {"duckdb", "motherduck", "spark", "databricks", "clickhouse"}
# Defaults of a bare NUMERIC per adapter (precision, scale); None = unconstrained.
_NUMERIC_DEFAULTS = {"duckdb": (18, 3), "bigquery": (38, 9), "snowflake": (38, 0), "redshift": (18, 0)}
_TYPE = re.compile(r"^\s*([a-z_][a-z0-9_ ]*?)\s*(?:\(\s*([^)]*)\))?\s*$")


@dataclass(frozen=True, slots=True)
class NormalisedType:
    family: str  # integer, string, numeric, float, or the type's own name for anything else
    size: tuple[int | None, ...] = ()

    def __str__(self) -> str:
        return f"{self.family}{self.size}" if self.size else self.family


def type_normalise(data_type: str | None, *, adapter: str | None = None) -> NormalisedType | None:
    """None for an unknown type; never raises."""
    if not data_type or not data_type.strip():
        return None
    text = data_type.strip().lower()
    match = _TYPE.match(text)
    if not match:
        return NormalisedType(re.sub(r"\s+", " ", text))
    name, args = match.group(1).strip(), match.group(2)
    numbers = [int(a) for a in re.findall(r"\d+", args or "")]
    name = name.replace(" without time zone", "").strip()
    if name in _INT_WIDTHS:
        width = 128 if adapter in _ALL_INTEGERS_SAME else _INT_WIDTHS[name]
        return NormalisedType("integer", (width,))
    if name in _STRINGS:
        if adapter == "snowflake" and not numbers:
            return NormalisedType("string", (16_777_216,))
        if name in {"char", "character", "nchar", "bpchar"} and not numbers:
            return NormalisedType("string", (1,))
        return NormalisedType("string", (numbers[0] if numbers else None,))
    if name in _NUMERICS:
        if numbers:
            precision, scale = numbers[0], numbers[1] if len(numbers) > 1 else 0
        else:
            precision, scale = _NUMERIC_DEFAULTS.get(adapter or "", (None, None))
        if adapter == "snowflake" and scale == 0 and name == "number":
            return NormalisedType("integer", (128,))
        return NormalisedType("numeric", (precision, scale))
    if name == "float":
        if numbers:  # float(p): p <= 24 is single precision (SQL standard)
            return NormalisedType("float", (32 if numbers[0] <= 24 else 64,))
        return NormalisedType("float", (32 if adapter in _FLOAT32_ADAPTERS else 64,))
    if name in _FLOATS:
        return NormalisedType("float", (_FLOATS[name],))
    if name in {"bool", "boolean", "logical"}:
        return NormalisedType("boolean")
    if name in {"timestamp", "datetime", "timestamp_ntz", "timestamp_ns", "timestamp_ms", "timestamp_s"}:
        return NormalisedType("timestamp")
    if name in {"timestamptz", "timestamp with time zone", "timestamp_tz", "timestamp_ltz"}:
        return NormalisedType("timestamptz")
    return NormalisedType(name, tuple(numbers))


def _narrower(old: tuple[int | None, ...], new: tuple[int | None, ...]) -> bool | None:
    """Whether any dimension shrank (None is unbounded); None when nothing differs."""
    if old == new:
        return None
    for before, after in zip(old, new, strict=False):
        if before is None and after is not None:
            return True
        if before is not None and after is not None and after < before:
            return True
    return False


def type_change_kind(old: str | None, new: str | None, *, adapter: str | None = None) -> str:
    """same | widened | narrowed | changed | unknown (a side has no type)."""
    before, after = type_normalise(old, adapter=adapter), type_normalise(new, adapter=adapter)
    if before is None or after is None:
        return "unknown"
    if before == after:
        return "same"
    if before.family != after.family:
        # An integer into a numeric wide enough holds every value; anything else between families is a change.
        if before.family == "integer" and after.family == "numeric" and after.size[0] is not None:
            digits = {8: 3, 16: 5, 24: 8, 32: 10, 64: 19, 128: 39}.get(before.size[0] or 0, 39)
            return "widened" if after.size[0] - (after.size[1] or 0) >= digits else "narrowed"
        return "changed"
    if before.family == "numeric":
        # Fewer integer digits or fewer decimals: both lose values.
        (p0, s0), (p1, s1) = before.size, after.size
        if p0 is None or p1 is None:
            return "narrowed" if p0 is None else "widened"
        return "narrowed" if (p1 - s1) < (p0 - s0) or s1 < s0 else "widened"
    narrower = _narrower(before.size, after.size)
    if narrower is None:
        return "same" if before.size == after.size else "changed"
    return "narrowed" if narrower else "widened"
