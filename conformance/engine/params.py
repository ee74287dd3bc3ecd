"""Typed parameters of check types: each declares its kind, and YAML values are checked and normalised once.

Normalised values are immutable (lists become tuples, maps become read-only) so a RuleSpec can be shared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from conformance.engine.spec import ACCESS_LEVELS, LAYERS, RESOURCE_TYPES

KINDS = (
    "int",
    "number",
    "bool",
    "str",
    "regex",
    "str_list",
    "layer_list",
    "type_list",
    "access_list",
    "layer_map",  # {layer: [str, ...]}
    "layer_layers",  # {layer: [layer, ...]}
    "str_list_list",
)


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a check type: its kind, whether it is required, its default and bounds."""

    kind: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")


@lru_cache(maxsize=1024)
def compiled(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """The compiled regex, cached: rules share patterns and are evaluated many times."""
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


def normalise(spec: Param, value: Any) -> Any:
    """The value checked against ``spec`` and made immutable; raises ValueError saying what is wrong."""
    kind = spec.kind
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {_shown(value)}")
        _bounds(spec, value)
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {_shown(value)}")
        _bounds(spec, value)
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {_shown(value)}")
        return value
    if kind == "str":
        if not isinstance(value, str) or not value:
            raise ValueError(f"expected a non-empty string, got {_shown(value)}")
        _choice(spec.choices, value)
        return value
    if kind == "regex":
        if not isinstance(value, str) or not value:
            raise ValueError(f"expected a regular expression, got {_shown(value)}")
        try:
            compiled(value)
        except re.error as exc:
            raise ValueError(f"bad regular expression {value!r}: {exc}") from None
        return value
    if kind in ("str_list", "layer_list", "type_list", "access_list"):
        known = {"layer_list": LAYERS, "type_list": RESOURCE_TYPES, "access_list": ACCESS_LEVELS}
        choices = known.get(kind, spec.choices)
        return _str_list(value, choices)
    if kind in ("layer_map", "layer_layers"):
        if not isinstance(value, Mapping) or not value:
            raise ValueError(f"expected a mapping of layer to list, got {_shown(value)}")
        out = {}
        for key, items in value.items():
            if key not in LAYERS:
                raise ValueError(f"unknown layer {key!r} (known: {', '.join(LAYERS)})")
            try:
                out[key] = _str_list(items, LAYERS if kind == "layer_layers" else ())
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return MappingProxyType(out)
    if kind == "str_list_list":
        if not isinstance(value, list | tuple) or not value:
            raise ValueError(f"expected a list of lists of strings, got {_shown(value)}")
        return tuple(_str_list(item, ()) for item in value)
    raise AssertionError(kind)


def _str_list(value: Any, choices: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"expected a string or a non-empty list of strings, got {_shown(value)}")
    for item in value:
        if not isinstance(item, str) or not item:
            raise ValueError(f"expected strings, got {_shown(item)}")
        _choice(choices, item)
    return tuple(value)


def _choice(choices: tuple[str, ...], value: str) -> None:
    if choices and value not in choices:
        raise ValueError(f"unknown value {value!r} (known: {', '.join(choices)})")


def _bounds(spec: Param, value: float) -> None:
    if spec.minimum is not None and value < spec.minimum:
        raise ValueError(f"must be at least {spec.minimum:g}, got {value}")
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(f"must be at most {spec.maximum:g}, got {value}")


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]
