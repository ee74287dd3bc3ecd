"""Reading owners out of the shapes dbt projects use for them, and de-duplicating them."""

from __future__ import annotations

import re
from typing import Any

from ingestion.records import OwnerRecord

__all__ = ["OwnerRegistry", "owner_from_value"]

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_NAME_AND_EMAIL = re.compile(r"^(?P<name>[^<>]*?)\s*<(?P<email>[^<>@\s]+@[^<>\s]+)>$")  # "Ann Lee <ann@x.io>"


def _clean(text: Any) -> str | None:
    if text is None or isinstance(text, dict | list | bool):
        return None
    cleaned = " ".join(str(text).split())
    return cleaned or None


def owner_from_value(value: Any) -> OwnerRecord | None:
    """An owner from dbt's ``owner: {name, email}`` or a meta value: "team", "a@b.c", "Ann <a@b.c>", a list.

    A bare email becomes both name and email; a list yields its first usable entry; an "email" that is
    not one is dropped; anything else (numbers, empty strings, dicts without name or email) yields None.
    """
    if isinstance(value, list | tuple):
        for item in value:
            owner = owner_from_value(item)
            if owner is not None:
                return owner
        return None
    if isinstance(value, dict):
        name, email = _clean(value.get("name")), _clean(value.get("email"))
        if email is not None and not _EMAIL.match(email):
            email = None  # real manifests hold things like "slack channel or email" here
    else:
        name, email = _clean(value), None
        if name is not None:
            pair = _NAME_AND_EMAIL.match(name)
            if pair:
                name, email = _clean(pair.group("name")), pair.group("email")
            elif _EMAIL.match(name):
                email = name
    if email is not None:
        email = email.lower()
    if name is None and email is None:
        return None
    return OwnerRecord(name=name or email, email=email)


class OwnerRegistry:
    """Collects owners by key (email, else lower-cased name), preferring a real name over an email-as-name."""

    def __init__(self) -> None:
        self._by_key: dict[str, OwnerRecord] = {}

    def add(self, owner: OwnerRecord | None) -> OwnerRecord | None:
        """Register an owner and return the record kept for its key (which later adds may still improve)."""
        if owner is None:
            return None
        key = owner.key
        known = self._by_key.get(key)
        if known is None or (known.name == known.email and owner.name != owner.email):
            self._by_key[key] = owner
            return owner
        return known

    def canonical(self, owner: OwnerRecord | None) -> OwnerRecord | None:
        return None if owner is None else self._by_key.get(owner.key, owner)

    def all(self) -> tuple[OwnerRecord, ...]:
        return tuple(self._by_key.values())
