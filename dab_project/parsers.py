"""The API's request parsers. A module of their own: DRF reads DEFAULT_PARSER_CLASSES while rest_framework.views
is first imported, so the module they live in must not import rest_framework.views itself."""

from __future__ import annotations

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing JSON nested too deeply to decode with 400 (Python's decoder gives up with a
    RecursionError, which DRF would let through as a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
