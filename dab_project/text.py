"""Small wording helpers shared by pages, commands and reports (plain Python, no Django)."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None, *, thousands: bool = True) -> str:
    """'1 violation', '2 violations', '1,204 rules': a count with its noun in the right number."""
    noun = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {noun}" if thousands else f"{count} {noun}"
