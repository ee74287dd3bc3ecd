"""What a table (capsule) is about, read once per table: people, organisations, messages, or nothing known.

A bare ``name`` or ``manager`` is a person's only in a table about people. Three things say what a table
is about (config/pii.yaml ``table_context``):

1. its name (``stg_hr__employees``, ``dim_players``): a person or organisation word;
2. its description's opening ("One row per patient", "Each record is a company");
3. its other columns: a table holding a date of birth, a gender or a first name is about people, and so is
   one with two different contact fields (an email and a phone); a table whose name says it holds messages
   (emails, messages, notifications) makes its header fields (sender, recipients, copies) personal.

Pure Python, no Django; memoised per (name, description, column names) on the config.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pii.classifier import _capsule_facts, _name_hits
from pii.tokens import english_singular, match_tokens, singular, tokenize_column_name
from pii.vocabulary import _CACHE_LIMIT, PiiConfig

__all__ = ["TableContext", "table_context"]


@dataclass(frozen=True, slots=True)
class TableContext:
    """What a table is about: ``kind`` person, organisation or neutral; ``entity`` the singular words of its
    name without layer prefixes; ``messages`` when its rows are messages; ``reason`` says why (evidence)."""

    kind: str
    entity: tuple[str, ...]
    messages: bool = False
    reason: str = ""
    health: bool = False  # rows are patients' clinical records (allergies, conditions, medications)


_OPENING_RE = re.compile(r"[a-z]+")
_NOT_NEUTRAL = ("person", "organisation")


def table_context(*, name: str | None, description: str | None, column_names: Sequence[str],
                  config: PiiConfig) -> TableContext:
    """The context of one table (see the module docstring). Memoised; a few microseconds per table when warm."""
    key = (name, description, tuple(column_names))
    cache = config._tables
    found = cache.get(key)
    if found is not None:
        return found
    if len(cache) > _CACHE_LIMIT // 20:
        cache.clear()
    cache[key] = found = _table_context(name, description, column_names, config)
    return found


def _table_context(name: str | None, description: str | None, column_names: Sequence[str],
                   config: PiiConfig) -> TableContext:
    kind, entity = _capsule_facts(name, config)
    name_words = {form for t in tokenize_column_name(name or "", config=config)
                  for form in (t, singular(t, config), english_singular(t))}
    messages = not name_words.isdisjoint(config.table_message_words)
    health = not name_words.isdisjoint(config.table_health_words) and any(
        match_tokens(tokenize_column_name(column, config=config), config) in config.table_health_keys
        for column in column_names)
    if kind in _NOT_NEUTRAL:
        return TableContext(kind, entity, messages, f"the table's name says it is about {_about(kind)}", health)
    opening = _description_kind(description, config)
    if opening:
        return TableContext(opening[0], entity, messages, f"the table's description opens with '{opening[1]}'",
                            health)
    siblings = _sibling_kind(column_names, config)
    if siblings:
        return TableContext("person", entity, messages, f"the table's other columns hold {siblings}", health)
    return TableContext(kind, entity, messages, "", health)


def _about(kind: str) -> str:
    return "people" if kind == "person" else "organisations"


def _description_kind(description: str | None, config: PiiConfig) -> tuple[str, str] | None:
    """("person" or "organisation", the words) when the description's first sentence says what one row is:
    "one row per customer", "each record represents a company", "a list of all employees"."""
    if not description:
        return None
    first = re.split(r"[.;!?\n]", description[:300].lower(), maxsplit=1)[0]
    words = _OPENING_RE.findall(first)
    for i, word in enumerate(words[:25]):
        if word not in config.table_row_words:
            continue
        for j in range(i + 1, min(i + 5, len(words))):
            noun = singular(words[j], config)
            noun = noun[:-1] if noun.endswith("s") and noun[:-1] in config.person_words else noun
            if noun in config.person_words and noun not in config.table_not_people:
                return "person", " ".join(words[i : j + 1])
            if noun in config.organisation_words:
                return "organisation", " ".join(words[i : j + 1])
    return None


def _sibling_kind(column_names: Sequence[str], config: PiiConfig) -> str | None:
    """What the other columns say: the personal fields found (e.g. "date_of_birth, gender"), or None."""
    personal: list[str] = []
    contact: set[str] = set()
    activity: set[str] = set()
    for column in column_names:
        _tokens, hits = _name_hits(column, "", config)
        for hit in hits:
            if hit.pii_type is None or hit.veto or hit.unknown_suffix or hit.strength not in ("strong", "medium"):
                continue
            if hit.owner_kind == "organisation":
                continue
            if hit.pii_type in config.table_person_types:
                personal.append(hit.pii_type)
            elif hit.pii_type in config.table_contact_types:
                contact.add(hit.pii_type)
            elif hit.pii_type in config.table_activity_types:
                activity.add(hit.pii_type)
    if personal:
        return ", ".join(sorted(set(personal)))
    if len(contact) >= 2:
        return " and ".join(sorted(contact))
    if activity:
        return f"{' and '.join(sorted(activity))} of the people behind each row"
    return None
