"""Names in URL paths: one escaped path segment for every URN and every dbt-given name.

dbt lets a name hold anything: ``events/2024``, spaces, quotes, ``%``, ``?``, ``#``, Unicode, right-to-left
marks. Percent-encoding is not enough for ``/``: the WSGI server decodes ``%2F`` back to ``/`` before Django
routes the request, so ``/capsules/urn:…:events%2F2024/`` would be two segments. So a name becomes one
segment by escaping the two characters that matter, ``~`` -> ``~7E`` first, then ``/`` -> ``~2F``; everything
else is left to the percent-encoding that ``reverse()`` applies (``?`` -> ``%3F``, ``#`` -> ``%23``, ...).

    urn:dab:dbt:source:shop.raw.events/2024   ->   /capsules/urn:dab:dbt:source:shop.raw.events~2F2024/

Unescaping is strict: a ``~`` not followed by ``2F`` or ``7E`` does not match the route, so each name has
exactly one spelling in a URL (``dab_project.views.legacy_name_redirect`` sends the old raw spelling there).
"""

from __future__ import annotations

import re
from functools import partial

from django.urls import register_converter
from django.urls.conf import _path
from django.urls.resolvers import RegexPattern

_ESCAPES = {"~": "~7E", "/": "~2F"}
_ESCAPED = re.compile(r"~(2F|7E)", re.IGNORECASE)
_BAD_TILDE = re.compile(r"~(?!2F|7E)", re.IGNORECASE)


def name_escape(value: str) -> str:
    """A name as one URL path segment: ``~`` -> ``~7E``, ``/`` -> ``~2F`` (before percent-encoding)."""
    return value.replace("~", _ESCAPES["~"]).replace("/", _ESCAPES["/"])


def name_unescape(value: str) -> str:
    """The name a path segment stands for; ValueError when a ``~`` escapes nothing we know, or for a NUL
    (no name holds one, and PostgreSQL text cannot)."""
    if _BAD_TILDE.search(value) or "\x00" in value:
        raise ValueError(f"not an escaped name: {value!r}")
    return _ESCAPED.sub(lambda m: "/" if m.group(1).upper() == "2F" else "~", value)


class NameConverter:
    """Any dbt-given name (a domain, ...) as one escaped path segment."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        return name_unescape(value)

    def to_url(self, value: str) -> str:
        return name_escape(str(value))


class UrnConverter(NameConverter):
    """A DAB URN (``urn:dab:dbt:model:shop.orders``) as one escaped path segment."""

    regex = r"urn:[^/]+"


register_converter(NameConverter, "name")
register_converter(UrnConverter, "urn")


class _EscapedNamesRegexPattern(RegexPattern):
    """A regex route whose ``urn`` and ``name`` groups go through the converters above, both ways: resolving
    unescapes them (a bad escape is no match) and ``reverse()`` escapes them. Django applies converters only
    to ``path()`` routes; the API's routes are regexes because they answer with or without a trailing slash."""

    def __init__(self, regex, name=None, is_endpoint=False):
        super().__init__(regex, name=name, is_endpoint=is_endpoint)
        self.converters = {group: _CONVERTERS[group] for group in re.compile(str(regex)).groupindex
                           if group in _CONVERTERS}

    def match(self, path):
        matched = super().match(path)
        if matched is None or not self.converters:
            return matched
        rest, args, kwargs = matched
        try:
            kwargs = {k: self.converters[k].to_python(v) if k in self.converters else v for k, v in kwargs.items()}
        except ValueError:
            return None
        return rest, args, kwargs


_CONVERTERS = {"urn": UrnConverter(), "name": NameConverter()}

#: ``re_path`` for routes holding a ``(?P<urn>...)`` or ``(?P<name>...)`` group: see _EscapedNamesRegexPattern.
names_re_path = partial(_path, Pattern=_EscapedNamesRegexPattern)
URN_GROUP = rf"(?P<urn>{UrnConverter.regex})"
