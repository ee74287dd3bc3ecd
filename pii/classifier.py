"""Explainable PII and semantic-type classification of one column from its own facts.

Pure Python, no Django: ingestion calls ``classify_column`` for every column (300,000 per run on a large
project), so everything that can be is compiled once in ``load_pii_config`` and memoised per name,
description, data type and capsule. The rules live in ``config/pii.yaml``; that file's header explains the
scoring.

Signals, strongest first: a steward's decision and dbt ``meta`` (explicit yes or no), column tags, lineage
from an upstream column (passed in as evidence), the column name's tokens, the description, and the data
type (which can only veto or support). Every signal that was considered comes back as ``Evidence``,
rejected ones with a negative weight and the reason, so a privacy officer can see why a column is, or is
not, personal data.

The vocabulary is pii/vocabulary.py (config/pii.yaml compiled), names become tokens in pii/tokens.py.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from pii.lexicon import english_log_frequencies
from pii.tokens import (
    COMMON_WORD_LOG,
    agent_noun,
    english_singular,
    foreign_singulars,
    is_known_word,
    match_tokens,
    name_readings,
    person_role,
    read_abbreviation,
    singular,
    thing,
    tokenize_column_name,
)
from pii.vocabulary import _CACHE_LIMIT, PiiConfig, _norm_type_name, _Pattern, consonant_skeleton

if TYPE_CHECKING:
    from pii.context import TableContext

__all__ = [
    "Classification",
    "Evidence",
    "classify_column",
]

SIGNALS = ("steward", "meta", "tag", "lineage", "name", "description", "type")
SEMANTIC_TYPES = ("primary_key", "foreign_key", "business_key", "event_time", "metric")
# Lineage transformations that hand the value over unchanged (a cast may reformat it).
COPY_TRANSFORMATIONS = frozenset({"direct", "renamed", "cast"})
_SIGNAL_RANK = {signal: rank for rank, signal in enumerate(SIGNALS)}
_VETO = -1.0
_DESCRIPTION_CHARS = 600  # of a description read for phrases


# --------------------------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class Evidence:
    """One signal considered for a column.

    ``weight`` is the contribution to confidence; -1.0 is a veto (the reason is in ``detail``). For lineage,
    ``source`` is the upstream column's URN, ``path`` the column URNs from the PII's origin to ``source``
    and ``transformation`` how ``source`` became this column (direct, renamed, cast, derived, aggregated,
    hashed).
    """

    signal: str
    detail: str
    pii_type: str | None
    weight: float
    source: str | None = None
    masked: bool = False
    path: tuple[str, ...] = ()
    transformation: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form stored in ``Column.pii_evidence``; optional keys only when set."""
        out: dict[str, Any] = {"signal": self.signal, "detail": self.detail, "pii_type": self.pii_type,
                               "weight": self.weight}
        if self.source is not None:
            out["source"] = self.source
        if self.masked:
            out["masked"] = True
        if self.path:
            out["path"] = list(self.path)
        if self.transformation is not None:
            out["transformation"] = self.transformation
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        """The inverse of ``as_dict``."""
        return cls(signal=str(data["signal"]), detail=str(data.get("detail", "")), pii_type=data.get("pii_type"),
                   weight=float(data.get("weight", 0.0)), source=data.get("source"),
                   masked=bool(data.get("masked", False)), path=tuple(data.get("path") or ()),
                   transformation=data.get("transformation"))


@dataclass(frozen=True, slots=True)
class Classification:
    """The verdict for one column, with every signal considered (rejected ones included)."""

    pii_type: str | None
    confidence: float  # of pii_type; when pii_type is None, of the best rejected candidate (0.0 if none)
    evidence: tuple[Evidence, ...]
    detected_by: str | None
    semantic_type: str | None
    masked: bool = False  # the PII is held hashed/encrypted (by name, description or meta)

    @property
    def is_pii(self) -> bool:
        return self.pii_type is not None



# --------------------------------------------------------------------------------------------- name signal


@dataclass(frozen=True, slots=True)
class _NameHit:
    pii_type: str | None
    pattern: str
    strength: str
    owner: str | None  # the word before the match that says whose value it is
    owner_kind: str  # person | organisation | unknown | none
    veto: str | None  # reason the name itself rules the value out
    unknown_suffix: str | None
    masked: bool
    reason: str = ""  # for not_pii lookalikes
    rules_out: str | None = None
    last: bool = False  # the match ends the name
    start: int = 0  # where the match starts in the name's tokens
    coded: bool = False  # a key to the value's code (gender_cv_id): the value only when its word is written out
    bare_key: str = ""  # the key word of a coded value's bare key (nationality_id): a key to the code only when the
    # data type says it points at another row (Many2one, ForeignKey); else the veto it would have had
    read: str = ""  # how the phrase was read when its words are abbreviated (est civ: estado civil)


def _longest_match(trie: dict, words: Sequence[str], start: int) -> tuple[Any, int]:
    """The value of the longest trie entry that the words spell from `start`, and where it ends."""
    node, j, found, found_end = trie, start, None, start
    while j < len(words) and words[j] in node:
        node = node[words[j]]
        j += 1
        if "" in node:
            found, found_end = node[""], j
    return found, found_end


def _name_hits(name: str, abbreviation: str, config: PiiConfig,
               prefix: str = "") -> tuple[tuple[str, ...], tuple[_NameHit, ...]]:
    """Find every pattern in the name (longest match first, left to right) and judge its context. ``prefix`` is
    the table's own column prefix (pat_ in a table of patients): dropped, it says nothing of whose value it is.
    Memoised: the same name recurs in many tables, and a table's context reads every column's hits.

    The table's abbreviation only changes a reading whose tokens start with it (``ca_zip`` in customer_address),
    so the memo holds one entry per name and prefix, and a second one only for those names."""
    hits = config._hits
    key = (name, prefix) if prefix else name
    found = hits.get(key)
    if found is None:
        if len(hits) > _CACHE_LIMIT:
            hits.clear()
        hits[key] = found = _find_hits(name, "", config, prefix)
    if not abbreviation or not found[0] or found[0][0] != abbreviation:
        return found  # which words and patterns are read never depends on the abbreviation, only whose they are
    key = (name, prefix, abbreviation)
    own = hits.get(key)
    if own is None:
        hits[key] = own = _find_hits(name, abbreviation, config, prefix)
    return own


_SUBSCRIPT_RE = re.compile(r"""\[\s*['"]?([^\]'"]+?)['"]?\s*\]|\s*->>?\s*'([^']+)'""")


def as_path(name: str, config: PiiConfig) -> str:
    """The name as a dotted path when it writes one another way: a subscript (``contact['home_phone']``,
    ``attrs["email"]``, ``items[0]``), a JSON operator (``payload->>'email'``), or a flattened path whose leading
    objects only store their fields (``payload__email``, ``data__attributes__first_name``: the words before a
    double underscore are storage objects, ``context.storage_objects``); a Salesforce namespace (``sbqq__``) or a
    custom-field suffix (``__c``) is no path."""
    if "[" in name or "->" in name:
        name = _SUBSCRIPT_RE.sub(lambda m: "." + (m.group(1) or m.group(2)), name).replace("..", ".")
    if "__" in name:
        parts = name.split("__")
        objects = 0
        while objects < len(parts) - 1 and parts[objects] and _stores_only(parts[objects], config, read=False):
            objects += 1
        if objects:
            name = ".".join(parts[:objects]) + "." + "__".join(parts[objects:])
    return name


def _stores_only(text: str, config: PiiConfig, *, read: bool = True) -> bool:
    """Whether every word of a path's object only stores its fields (payload, data, attributes): it says nothing
    of whose they are (``context.storage_objects``)."""
    return all(word in config.storage_objects for word in tokenize_column_name(text, config=config, read=read))


def _field_of_path(name: str, config: PiiConfig) -> tuple[str, ...]:
    """The last element's words of a nested path (contact['first']: first); () for a name that is no path."""
    if "." not in name and "[" not in name and "__" not in name and "->" not in name:
        return ()
    head, dot, leaf = as_path(name, config).rpartition(".")
    return match_tokens(tokenize_column_name(leaf, config=config), config) if dot and head.strip(".$") else ()


def _find_hits(name: str, abbreviation: str, config: PiiConfig,
               prefix: str) -> tuple[tuple[str, ...], tuple[_NameHit, ...]]:
    if "[" in name or "__" in name or "->" in name:
        name = as_path(name, config)
    head, dot, leaf = name.rpartition(".")
    if not (dot and head.strip(".$") and leaf):
        raw = tokenize_column_name(name, config=config)
        if prefix and len(raw) > 1 and raw[0] == prefix:
            raw = raw[1:]
        tokens = match_tokens(raw, config)
        hits = _hits_in(tokens, abbreviation, config, len(tokens))
        if not any(h.pii_type and h.strength != "bare" and h.owner_kind != "unknown"
                   and (h.strength != "role" or h.last) for h in hits):
            # no pattern, or only one that counts whole, names an owner (sender_) or is owned by a word nobody
            # knows (fst_nm: fst's name): a phrase its words abbreviate is read
            read = _abbreviated_phrase(tokens, config)
            if read is not None:
                tokens, note = read
                return tokens, tuple(replace(h, read=note) if h.pii_type else h
                                     for h in _hits_in(tokens, abbreviation, config, len(tokens)))
        if len(tokens) == 2 and tokens[0] in config.semantic["key_words"] and not any(h.pii_type for h in hits):
            # the key first, as some schemas write every key (idvisitor, id_customer): read as visitor_id
            flipped = (tokens[1], tokens[0])
            flipped_hits = _hits_in(flipped, abbreviation, config, 2)
            if any(h.pii_type for h in flipped_hits):
                return flipped, flipped_hits
        return tokens, hits
    # A nested path (profile.home_address, shipping_address.name, EmployeeDetails.Name.Sur): the last element is
    # the field, the ones before it the objects holding it. An object that names nobody (data, shipping_address,
    # Poi: ``_container``) does not say whose the field is: the table's context does, as for a bare name.
    raw_head = tokenize_column_name(head, config=config)
    if all(word in config.storage_objects for word in raw_head):
        # payload.first, data.attributes.email: objects that only store their fields; the field reads as alone
        return _find_hits(leaf, abbreviation, config, prefix)
    segments = name.split(".")
    if _stores_only(segments[0], config):
        # data.attributes.telecom.value: the objects that hold the path say nothing; the path is read from the
        # first object that names something
        while _stores_only(segments[0], config):
            segments = segments[1:]
        return _find_hits(".".join(segments), abbreviation, config, prefix)
    if prefix and len(raw_head) > 0 and raw_head[0] == prefix:
        raw_head = raw_head[1:]
    head_tokens = match_tokens(raw_head, config)
    leaf_tokens = match_tokens(tokenize_column_name(leaf, config=config), config)
    tokens = head_tokens + leaf_tokens
    # where the innermost object starts: its own words decide whether it names something else (traffic_source)
    inner = len(head_tokens) - len(match_tokens(tokenize_column_name(head.rpartition(".")[2], config=config), config))
    hits = _hits_in(tokens, abbreviation, config, len(head_tokens), max(inner, 0))
    held = {h.pii_type for h in hits if h.pii_type and not h.veto and h.start >= len(head_tokens)}
    if held:
        # surname_list.surname, address_list.street: an object named as a list of the values holds them, and the
        # field is one; the object's own reading ("'list' after 'surname' describes it") says nothing of the field
        hits = tuple(h for h in hits if not (h.veto and h.pii_type in held and h.start < len(head_tokens)))
    if head_tokens and len(leaf_tokens) == 1 and not any(
            h.pii_type and h.last and h.start >= len(head_tokens) and h.strength != "bare" for h in hits):
        # A part of the object it sits in: Name.Sur is the surname, name.given the given name, Name.Fore the
        # forename. The field and its object are read as one phrase, when the vocabulary knows that phrase.
        last, part = head_tokens[-1], leaf_tokens[0]
        for phrase in (match_tokens(tokenize_column_name(part + last, config=config), config), (part, last)):
            found, end = _longest_match(config.trie, phrase, 0)
            if found is not None and found.pii_type is not None and end == len(phrase):
                tokens = head_tokens[:-1] + tuple(phrase)
                return tokens, _hits_in(tokens, abbreviation, config, len(head_tokens) - 1)
    return tokens, hits


def _abbreviated_phrase(tokens: tuple[str, ...], config: PiiConfig) -> tuple[tuple[str, ...], str] | None:
    """The tokens with one run of them read as the vocabulary phrase whose words they abbreviate, each word cut to
    its first three or four letters (est_civ: estado civil, num_tit_eleitor: titulo eleitor, cart_trabalho:
    carteira trabalho; a longer word is a word of its own, visit_id is no visitor id), and how it was read; None
    when no run, or more than one phrase, reads so. Only a name with no pattern at all is read this way, and only
    as phrases of two words or more: one word alone is read by the tokeniser (``read_abbreviation``)."""
    prefixes, known = config.phrase_prefixes, config.words
    # the words that may stand for a longer one: three or four letters opening a phrase's word, or written as an
    # abbreviation (consonants but for the first letter: fst, lst, brth), no word of their own
    cut = [i for i, token in enumerate(tokens)
           if token not in known and token.isalpha() and (token in prefixes or _consonantal(token))]
    if not cut:
        return None  # most names: no word is the opening of a phrase's word
    index = config.phrase_index
    n = len(tokens)
    for size in range(min(n, config.phrase_longest), 1, -1):
        for start in range(max(0, cut[0] - size + 1), min(n - size, cut[-1]) + 1):
            run = tokens[start : start + size]
            candidates = index.get(tuple(word[0] for word in run))
            if not candidates:
                continue
            found = {words for form, words in candidates if len(form) == size and any(
                word != full for word, full in zip(run, form, strict=True)) and all(
                word == full or (3 <= len(word) <= 4 and word.isalpha() and word not in known
                                 and (full.startswith(word) or _consonantal(word) and word[0] == full[0]
                                      and word[-1] in (full[-1], consonant_skeleton(full)[-1])
                                      and _subsequence(word, consonant_skeleton(full))))
                for word, full in zip(run, form, strict=True))}
            if len(found) == 1:
                words = found.pop()
                return (*tokens[:start], *words, *tokens[start + size:]), (
                    f"'{' '.join(run)}' read as an abbreviation of '{' '.join(words)}'")
    return None


def _consonantal(word: str) -> bool:
    """Three or four letters with no vowel after the first: written as an abbreviation (fst, lst, brth, pstl), read
    as the word whose consonants it keeps in order, its first and last kept (first, last, birth, postal; crm is no
    crossdomain), when a phrase fits."""
    return 3 <= len(word) <= 4 and word.isalpha() and not any(ch in "aeiou" for ch in word[1:])


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _hits_in(tokens: tuple[str, ...], abbreviation: str, config: PiiConfig, leaf: int,
             inner: int | None = None) -> tuple[_NameHit, ...]:
    """Every pattern in the tokens, longest match first, left to right; ``leaf`` is where a nested path's last
    element starts (the length of the tokens for a plain name)."""
    hits: list[_NameHit] = []
    i, n = 0, len(tokens)
    while i < n:
        found, found_end = _longest_match(config.trie, tokens, i)
        if found is None:
            i += 1
            continue
        if found.pii_type is not None and found_end - i > 1 and all(
                _is_person_word(word, config) for word in tokens[i : found_end - 1]):
            last, _ = _longest_match(config.trie, tokens, found_end - 1)
            if last is not None and last.pii_type not in (None, found.pii_type):
                if i < leaf < found_end:
                    # user.name: the field of an object that is a person is that person's (the user's name), not
                    # the phrase the two spell across the path (a user name)
                    i += 1
                    continue
                # user_name: a user's login, or the user's name; both readings stay, the phrase's the stronger,
                # so that a description saying which ("the name of the user") decides
                hits.append(_judge(last, tokens, found_end - 1, found_end, abbreviation, config, leaf, inner))
        hits.append(_judge(found, tokens, i, found_end, abbreviation, config, leaf, inner))
        i = found_end
    return tuple(hits)


def _judge(pattern: _Pattern, tokens: tuple[str, ...], start: int, end: int, abbreviation: str,
           config: PiiConfig, leaf: int | None = None, inner: int | None = None) -> _NameHit:
    text = " ".join(pattern.words)
    if pattern.pii_type is None:
        return _NameHit(None, text, pattern.strength, None, "none", None, None, False, pattern.reason,
                        pattern.rules_out)
    rule = config.rules[pattern.pii_type]
    attribute = rule.kind == "attribute"
    prefix, suffix = tokens[:start], tokens[end:]
    veto = None
    trait = attribute and not rule.clinical
    base_veto = config.trait_prefix_veto if trait else config.aggregate if attribute else config.prefix_veto
    for index, word in enumerate(prefix):
        # last_poster_username, first_responder_email: the type's own veto word before a person says which person,
        # not that the login is a past one
        if word in base_veto or (word in rule.prefix_veto and not any(
                w in config.person_words or person_role(w, config) for w in prefix[index + 1:])):
            veto = f"'{word}' before '{text}' says the column describes the {pattern.pii_type}, not the value"
            break
    masked = False
    unknown = None
    suffix_owner = None
    coded = False
    bare_key = ""
    if veto is None:
        keep = config.suffix_keep | rule.suffix_keep
        suffix_veto = (config.trait_suffix_veto if trait else config.attribute_suffix_veto if attribute
                       else config.suffix_veto)
        for index, word in enumerate(suffix):
            if word in config.suffix_stop:
                break  # "phone_for_template": what follows says where the value is used
            if (suffix_owner is None and word not in suffix_veto and _is_person_word(word, config)
                    and all(w in keep or w.isdigit() for w in suffix[:index])):
                # nome_mae, telefone_cliente, ssn_number_patient: the owner after the value (Romance order, or
                # a field list that names the value first)
                suffix_owner = word
                continue
            if word in config.masking:
                masked = True
            elif word in keep or word.isdigit():
                continue  # digits number a value (street_address_2) or name an algorithm (sha256)
            elif attribute and word in config.record_suffix_last and index == len(suffix) - 1:
                # dx_source, raw_dx_source: where the record came from (admission, discharge, claim), the name's
                # last word; gender_source_value is still the value as the source wrote it
                veto = f"'{word}' ending the name after '{text}' says where the record came from, not the value"
                break
            elif word in suffix_veto and attribute and index and suffix[index - 1] in config.code_value:
                coded = True  # a concept id or a code value's id is a key to the value's own code (OMOP's
                # gender_concept_id, Fineract's gender_cv_id): it carries the value, it is not a record's key
            elif word in suffix_veto and rule.coded and not index and len(suffix) == 1 and word in _CODE_KEYS:
                coded = True  # nationality_id in a Many2one: a nationality or a gender is one of a short list of
                # codes, so an ORM's key to one is a key to the code itself, as gender_concept_id is
                bare_key = f"'{word}' after '{text}' describes the {pattern.pii_type}, not the value"
            elif word in suffix_veto:
                veto = f"'{word}' after '{text}' describes the {pattern.pii_type}, not the value"
                break
            elif not attribute and unknown is None:
                unknown = word
    owner, owner_kind = None, "none"
    numbered = False
    for index in range(len(prefix) - 1, -1, -1):
        word = prefix[index]
        if word.isdigit():
            numbered = True  # parent1_name, guardian2_email: a digit numbers the owner
            continue
        if word in config.neutral or word in config.masking or word in rule.owner_neutral:
            continue  # (gps_latitude, pickup_longitude: which of the person's locations, not whose)
        if word in rule.suffix_keep and word not in config.person_words:
            continue  # account_iban, DbtrAcct.Id.IBAN: a word that keeps the value after it names it before it too
        if leaf is not None and index < leaf <= start and index > 0 and word in config.semantic["key_words"]:
            continue  # org_id.name, owner_id.email: the object a key points at is named before the key
        if index == 0 and (len(word) == 1 or word == abbreviation):
            continue  # a table abbreviation (c_name in customer, ca_zip in customer_address), not an owner
        owner = word
        singular = word[:-1] if word.endswith("s") else word
        if word in config.person_words or singular in config.person_words or (
                numbered and word in config.ambiguous_owners) or person_role(word, config):
            owner_kind = "person"  # (parent1: companies are not numbered, a family's parents are; witness_name)
        elif (word in config.organisation_words or singular in config.organisation_words
              or word in config.machine_words or thing(word, config)):
            owner_kind = "organisation"  # a company's, a network element's (sgsn_address, gateway_address) or a
            # thing's (folder_full_name, printer_ip): no person's
        elif (leaf is not None and index < leaf <= start and _container(word, config)
              and not _qualified(prefix, inner, index, config)):
            owner = None  # an object of a nested path that names nobody: the table says whose it is
        else:
            owner_kind = "unknown"
        break
    if owner_kind == "none" and suffix_owner is not None:
        owner, owner_kind = suffix_owner, "person"
    if any(word in config.masking for word in prefix):
        masked = True
    return _NameHit(pattern.pii_type, text, pattern.strength, owner, owner_kind, veto, unknown, masked,
                    last=end == len(tokens), start=start, coded=coded, bare_key=bare_key)


# what a column holding a table's row value is, by what the table's name says each row is (TableContext.rows)
_ROW_VALUES = {
    "contacts": ("phone", "a contact mechanism: the phone number, email or handle its type names"),
    "identifiers": ("national_id", "a person's identity document: its number"),
    "addresses": ("address", "an address: this part of it"),
    "banks": ("bank_account", "a person's or a partner's bank account: its number"),
    "devices": ("device_id", "a device of a person or its push registration: its id, serial or push token"),
}

_CODE_KEYS = frozenset({"id", "fk", "key"})  # the last word of a key to a coded value (nationality_id)

_ORGANISATION_OWNER = "is an organisation"  # the note a name match gets when its owner word is an organisation


def _unhashed(tokens: tuple[str, ...], config: PiiConfig) -> tuple[str, ...]:
    """The name without a trailing hash or its algorithm (didsha1: did; sin_hash: sin): a hashed whole name is
    still the whole name."""
    end = len(tokens)
    while end > 1 and (tokens[end - 1] in config.masking or tokens[end - 1].isdigit()):
        end -= 1
    return tokens[:end]


def _container(word: str, config: PiiConfig) -> bool:
    """An object of a nested path that says nothing of whose its fields are: a storage word (data, details,
    payload), a word saying which one (billing, home), a word of the vocabulary (shipping_address.name: the address's
    name, its addressee's; location.latitude) or no common English word (Poi, UidData). A common word the vocabulary
    does not know (employment.name) names something else. (A vocabulary word that names something else,
    traffic_source.name, country.name, is read wrongly.)"""
    return (word in config.generic_heads or word in config.storage_objects or word in config.neutral
            or is_known_word(word, config) or english_log_frequencies().get(word, -99.0) < COMMON_WORD_LOG)


def _qualified(prefix: tuple[str, ...], inner: int | None, index: int, config: PiiConfig) -> bool:
    """The innermost object qualifies its last word with a common English word the vocabulary does not know
    (traffic_source, like employment): it names that thing, not its holder."""
    if inner is None or index != len(prefix) - 1:
        return False
    logs = english_log_frequencies()
    return any(not is_known_word(w, config) and w not in config.neutral and logs.get(w, -99.0) >= COMMON_WORD_LOG
               for w in prefix[inner:index])


_ROLE_TABLES = frozenset({"person", "organisation"})
_AGENT_SUFFIXES = ("ee", "ist", "ician")  # tokens.agent_noun's endings


def _holds_roles(capsule_kind: str, entity_head: str | None, config: PiiConfig) -> bool:
    """A table whose rows have people in roles: one about people, or one whose name says its rows are organisations
    (departments, clubs: their leader, their treasurer), not one only its columns say so of (a calendar's events
    beside a facility)."""
    if capsule_kind == "person":
        return True
    return capsule_kind == "organisation" and entity_head is not None and any(
        word in config.organisation_words for word in match_tokens((entity_head,), config))


def _role_evidence(tokens: tuple[str, ...], capsule_kind: str, why: str, config: PiiConfig) -> Evidence:
    about = "people" if capsule_kind == "person" else "organisations"
    said = f"the whole name is a person's role ('{tokens[-1]}'), in a table about {about}"
    weight = (config.weights["person"] + config.weights["person_capsule"] if capsule_kind == "person"
              else config.weights["role"])
    return Evidence("name", f"{said} ({why})" if why else said, "person_name", weight)


_AGENT_ENDINGS = ("er", "or", "ee", "ist", "ian", "ant", "ive")


def _person_noun(word: str, config: PiiConfig) -> bool:
    """A person word of the owner list built as a noun of a role (worker, holder, guardian, applicant), not one
    of the words it lists because they own a person's values (profile, identity, from) nor a whole person
    (person, contact: cod_person is a code) nor an agent that may be software (comment_agent: a user agent). It
    heads a role of two or three words (case_worker, ticket_holder, legal_guardian)."""
    single = english_singular(word)
    return single in config.person_words and single.endswith(_AGENT_ENDINGS)


def _bare_role(name: str, tokens: tuple[str, ...], config: PiiConfig) -> bool:
    """``_read_bare_role``, memoised per name (the caller first asks whether the last word may be a role at all:
    a listed role or person word, or an agent noun's ending, in the singular, as a bare role is)."""
    found = config._roles.get(name)
    if found is None:
        if len(config._roles) > _CACHE_LIMIT:
            config._roles.clear()
        found = config._roles[name] = _read_bare_role(name, tokens, config)
    return found


def _read_bare_role(name: str, tokens: tuple[str, ...], config: PiiConfig) -> bool:
    """The whole name is a person's role in the singular, alone or after words that say which one (mentor,
    loan_officer, last_poster): not a count, a flag or a key about it (num_mentors, has_guarantor, mentor_id end
    otherwise or start with a word that describes the value), nor a plural (followers, dependents: how many, or a
    list). The table's own noun (employee in employee) is left out by the caller: it is the row's key."""
    if not tokens or len(tokens) > 3 or not all(t.isalpha() for t in tokens):
        return False
    if not person_role(tokens[-1], config) and not (len(tokens) > 1 and _person_noun(tokens[-1], config)):
        return False
    written = tokenize_column_name(name, config=config)
    if not written or written[-1] != tokens[-1] or english_singular(written[-1]) != written[-1]:
        return False  # written in the plural (or read as another word)
    raw_words, _ = name_readings(name, config)
    if raw_words and "as the words" in config._readings.get(raw_words[-1], ""):
        return False  # alertmanager, contactaccessforaccountowner: a role read inside glued words names no one
    return not any(t in config.prefix_veto or t in config.aggregate or t in config.semantic["key_words"]
                   or t in config.suffix_stop for t in tokens[:-1])


def _is_person_word(word: str, config: PiiConfig) -> bool:
    return word in config.person_words or (word.endswith("s") and word[:-1] in config.person_words)


# What a table's rows are, for the kinds that change some names' readings there: the type of those names (None: any
# name). A table of secrets or of rows keyed by a person changes only a name's or a coordinate's reading.
_ROWS_READINGS = {"devices": None, "documents": None, "terms": None, "secrets": "person_name", "located": "geolocation",
                  "things": "person_name", "statistics": None}


_ROWS_OWN_NAME = {"documents": "documents or files: it is the document's",
                  "secrets": "secrets (keys, tokens, second factors): it is the secret's",
                  "things": "things its keeper names (trainings, examinations, trips): it is the thing's"}


def _rows_matter(rows: str, hits: tuple[_NameHit, ...]) -> bool:
    """Whether what the table's rows are (``TableContext.rows``) can change how these hits are read."""
    if rows not in _ROWS_READINGS:
        return False
    pii_type = _ROWS_READINGS[rows]
    return pii_type is None or any(hit.pii_type == pii_type for hit in hits)


def _table_own_key(hit: _NameHit, tokens: tuple[str, ...], entity_head: str | None, config: PiiConfig) -> bool:
    """Whether the hit is a phrase opening with the table's head noun and ending with the key word the whole name
    ends with (citizen_id in citizens): the row's own key. A device's id is no such key (``_name_evidence``)."""
    words = hit.pattern.split()
    return (entity_head is not None and hit.start == 0 and words[0] == entity_head and len(words) > 1
            and tokens[-1] in config.semantic["key_words"] and words[-1] == tokens[-1] and hit.pii_type != "device_id")


def _name_evidence(name: str, capsule_kind: str, abbreviation: str, config: PiiConfig, messages: bool = False,
                   why: str = "", health: bool = False, entity_head: str | None = None,
                   prefix: str = "", calls: bool = False, own_organisation: bool = False,
                   logins: bool = False, person_owners: frozenset[str] = frozenset(), rows: str = "",
                   reference: bool = False, firm: bool = False) -> tuple[tuple[str, ...], tuple[Evidence, ...], bool]:
    """Name evidence for one (name, table kind), and whether the name holds a known lookalike phrase.

    ``messages``: the table holds messages, so a header field (sender, recipients, cc) is a person's address;
    ``health``: the table holds clinical facts of patients, so its code and description fields are health data;
    ``why`` says why the table is about people (for the evidence); ``logins``: a column holds an account's login,
    so a bare password word beside it is that account's; ``reference``: the data type is an ORM's key to another
    row (Many2one), so a coded value's bare key (nationality_id) points at its code; ``person_owners``: words that
    own a field only a person has in this table (order in order_sex), so they are people here; ``rows``: what each
    row is when the table's name says it ("secrets": its bare token is the secret; "devices": its bare name is the
    device's own name); ``firm``: each row is a firm, so its own email, legal name and licence number (the whole name,
    ``table_context.firm_fields``) are the firm's.
    Memoised: both repeat across a project.
    """
    tokens, hits = _name_hits(name, abbreviation, config, prefix)
    secret_field = rows == "secrets" and tokens in config.table_secret_fields
    ip_field = rows == "ips" and tokens in config.table_ip_fields
    row_field = tokens in config.table_row_fields.get(rows, ())  # value in contact mechanisms, code in identifiers
    # mentor, loan_officer, last_poster in a table about people, leader or treasurer in one about organisations (a
    # department's head, a club's treasurer): the role alone holds that person (a name when it is text); the table's
    # own noun (employee in employee) is the row's key
    last = tokens[-1] if tokens else ""
    role = (capsule_kind in _ROLE_TABLES and last != entity_head
            and (last in config.role_words or last in config.person_words or last.endswith(_AGENT_SUFFIXES))
            and _bare_role(name, tokens, config) and _holds_roles(capsule_kind, entity_head, config))
    if not hits and not messages and not health and not secret_field and not ip_field and not row_field:
        if role:
            return tokens, (_role_evidence(tokens, capsule_kind, why, config),), False
        return tokens, (), False  # most names: no pattern at all, whatever the table (no per-table memo entry)
    if rows and not secret_field and not ip_field and not row_field and not _rows_matter(rows, hits):
        rows = ""  # one memo entry for the other names of a table of secrets, addresses, contacts or identifiers
    # The table's head word and abbreviation matter only to a name they appear in: one memo entry for the others.
    if entity_head is not None and not role and all(
            hit.owner != entity_head and not (hit.coded and hit.pattern == entity_head)
            and hit.pattern.split()[0] != entity_head for hit in hits):
        entity_head = None
    if abbreviation and (not tokens or tokens[0] != abbreviation):
        abbreviation = ""
    if person_owners and all(hit.owner not in person_owners for hit in hits):
        person_owners = frozenset()  # one memo entry for the names these words do not own
    if reference and not any(hit.bare_key for hit in hits):
        reference = False  # one memo entry for the names it says nothing of
    firm = firm and tokens in config.table_firm_fields
    key = (name, capsule_kind, abbreviation, messages, why, health, entity_head, prefix, calls, own_organisation,
           logins, person_owners, rows, reference, firm)
    cached = config._names.get(key)
    if cached is not None:
        return cached
    if len(config._names) > _CACHE_LIMIT:
        config._names.clear()
    w = config.weights
    out: list[Evidence] = []
    # How the name was read, when it took more than splitting it: abbreviations, glued English words, the prefix.
    raw_words, readings = name_readings(name, config)
    phrase_read = next((hit.read for hit in hits if hit.read), "")
    rows_own_name = False  # the column is the row's own name (a training's, an examination's), no fact about anyone
    if phrase_read:
        readings = (*readings, phrase_read)
    if prefix and raw_words and raw_words[0] == prefix and len(raw_words) > 1:
        readings = (f"'{prefix}' is the table's column prefix", *readings)
    read_note = "; ".join(readings)
    guessed = any("abbreviation" in r for r in readings)
    # (the last word but for a custom-field suffix: salesrep__c is glued as salesrep is)
    last_word = next((w for w in reversed(raw_words) if w not in config.ignore_trailing), "")
    glued_last = "as the words" in config._readings.get(last_word, "")
    message_type = None
    if messages:
        field_words = tokens
        while len(field_words) > 1 and field_words[0] in config.table_message_words:
            field_words = field_words[1:]  # msg.sender, message_to: the header field is what follows
        while len(field_words) > 1 and field_words not in config.message_fields and (
                field_words[-1] in config.suffix_keep and field_words[-1] not in config.semantic["key_words"]):
            field_words = field_words[:-1]  # to_formatted, from_raw: the header field written another way
        message_type = config.message_fields.get(field_words) or config.message_fields.get(
            tuple(english_singular(w) for w in field_words))
        if calls and message_type == "email":
            message_type = "phone"  # a call's or a text's from and to are phone numbers
    for hit in hits:
        if hit.pii_type is None:
            out.append(Evidence("name", f"'{hit.pattern}' in the name: {hit.reason}", hit.rules_out, _VETO))
            continue
        rule = config.rules[hit.pii_type]
        # provider_name, partner_latitude in a table about people named provider or partner: the table's own people
        owner_kind = hit.owner_kind
        if hit.owner is not None and hit.owner == entity_head and (
                capsule_kind == "person" or (capsule_kind == "organisation" and own_organisation)):
            owner_kind = capsule_kind  # CustomerName in customers that are companies (they have contact persons)
        elif owner_kind == "organisation" and capsule_kind == "person" and hit.owner in config.ambiguous_owners:
            owner_kind = "unknown"  # parent_name, partner_email in a table about people: a company's or a person's
        elif owner_kind == "unknown" and hit.owner in person_owners:
            owner_kind = "person"  # order_name01 beside order_sex and order_kana01: the orderer's
        said = f"name matches {hit.pii_type} pattern '{hit.pattern}' ({hit.strength})"
        if (message_type or ip_field or row_field) and not hit.veto:
            continue  # the whole name is a header field of a table of messages: that reading wins (to_address), as
            # it does for the name of a table of identity documents (the document's number, not a person's name)
        if hit.strength == "role" and (not hit.last
                                       or any(t in config.semantic["key_words"] for t in tokens)
                                       or any(t in config.suffix_stop for t in tokens[:hit.start])):
            continue  # inside a longer name (manager_email) it only names the owner; with an id it is a key; after
            # 'for' it is whom something is for (opportunity_access_for_account_owner: a permission)
        beside_login = logins and hit.pii_type == "credential" and capsule_kind != "person"
        # order_birth beside order_sex: the whole name but for the word that owns a person's fields here
        owned_bare = (owner_kind == "person" and hit.owner in person_owners
                      and tokens == (hit.owner, *hit.pattern.split()))
        # contact.first, profile.pin, contact['maiden']: the whole field of an object that is a person, as the
        # whole name (first) is the row's person's in a table about people
        held_whole = (hit.strength == "bare" and owner_kind == "person" and hit.start > 0
                      and tokens[hit.start - 1] == hit.owner and _field_of_path(name, config) == tokens[hit.start:]
                      == tuple(hit.pattern.split()))
        if hit.strength == "bare" and not owned_bare and (
                (tuple(hit.pattern.split()) not in (tokens, _unhashed(tokens, config)) and not held_whole)
                or (capsule_kind != "person" and not beside_login)):
            continue  # first_order, last_seen: only the whole name, in a table about people, is the person's
        if hit.strength in ("bare", "role") and glued_last:
            continue  # alertmanager, updateauthor: a word read inside glued English words names no person
        veto = hit.veto or (hit.bare_key if not reference else None)
        if veto:
            out.append(Evidence("name", f"{said}, but {veto}" + (f"; {read_note}" if read_note else ""),
                                hit.pii_type, _VETO))
            continue
        if rows == "statistics" and owner_kind == "none" and (
                hit.pii_type == "person_name" or (rule.kind == "attribute" and not rule.clinical)):
            # given_name in gender_stats, gender in age_distribution: each row counts a group, and this is the
            # group's key (a name counted, a gender), no one's
            out.append(Evidence("name", f"{said}, but the table's rows are statistics per group: the group's "
                                f"{hit.pii_type}, no one's", hit.pii_type, 0.0))
            continue
        if _table_own_key(hit, tokens, entity_head, config):
            # citizen_id in citizens, CitizenID in hlt_Citizen: the table's own key, not a citizen's id card (a
            # device's own id, device_id in user_devices, is what identifies that device wherever it goes)
            out.append(Evidence("name", f"{said}, but in a table of {entity_head} rows it is the row's own key",
                                hit.pii_type, _VETO))
            continue
        if hit.coded and hit.pattern == entity_head:
            # nationality_id in a table of nationalities: the row's own key, not a key to a person's code
            out.append(Evidence("name", f"{said}, but in a table of {hit.pattern} values it is the row's own key",
                                hit.pii_type, _VETO))
            continue
        if hit.coded and guessed:
            # client_reln_cv_id: a key is the value's code only when the value's word is written out, not guessed
            out.append(Evidence("name", f"{said}, but a key to a code whose word was read as an abbreviation is "
                                f"no more than a key; {read_note}", hit.pii_type, _VETO))
            continue
        notes = []
        if hit.strength == "bare" and owned_bare:
            weight = w["person"] + w["person_owner"]
            notes.append(f"the whole name after '{hit.owner}', which owns a person's own field in this table")
        elif hit.strength == "bare" and beside_login:
            weight = w["person"] + w["person_capsule"]
            notes.append("the whole name, beside a column holding the account's login")
        elif hit.strength == "bare":
            weight = w["person"] + w["person_capsule"]
            notes.append(f"the whole name, in a table about people ({why})" if why else
                         "the whole name, in a table about people")
        elif hit.strength == "role":
            weight = w["role"]
            notes.append("a column named after a person's role holds that person (a name when it is not an id)")
        elif rows == "terms" and hit.pii_type == "health" and owner_kind != "person":
            # medication_name in formulary_drugs, name in icd_codes: a reference list of health terms, with no key
            # to a patient: each row is the term itself, no one's health
            out.append(Evidence("name", f"{said}, but the table's rows are health terms with no key to a patient (a "
                                "reference list): the term's own, no one's health", hit.pii_type, 0.0))
            continue
        elif hit.strength in ("person", "bare") and rows in ("documents", "secrets", "things") and (
                hit.pii_type == "person_name") and (
                owner_kind == "none" or (owner_kind == "unknown" and hit.owner in config.suffix_keep)):
            # name, original_name in gym_userdocument: the document's own name (its file's), not a person's; name in
            # api_keys or otp_emaildevice: the label its owner gave the key or the second factor ("CI", "default");
            # name in employee_trainings: the training's
            what = _ROWS_OWN_NAME[rows]
            out.append(Evidence("name", f"{said}, but the table's rows are {what} own name", hit.pii_type, 0.0))
            rows_own_name = True
            continue
        elif hit.strength == "person" and rows == "devices" and owner_kind == "none" and (
                hit.pii_type == "person_name"):
            # display_name in devices: the device's own name as its owner set it ("Jane's iPhone"), as device_name
            out.append(Evidence("name", f"name matches person_name pattern '{hit.pattern}', but the table's rows are "
                                "devices: it is the device's own name, which names the device (often its owner)",
                                "device_id", w["medium"]))
            continue
        elif hit.strength == "person":
            if owner_kind == "person":
                weight = w["person"] + w["person_owner"]
                notes.append(f"owner '{hit.owner}' is a person")
            elif owner_kind == "none" and capsule_kind == "person":
                weight = w["person"] + w["person_capsule"]
                notes.append(f"the table is about people ({why})" if why else "the capsule is about people")
            elif owner_kind == "none" and rows == "located" and hit.pii_type == "geolocation" and (
                    capsule_kind == "neutral"):
                # pickup_latitude in trips with a rider_id: where that person was
                weight = w["person"] + w["person_capsule"]
                notes.append("each row is keyed by a person (a rider's, a member's): where that person was")
            elif owner_kind == "none" and health and hit.pii_type == "health" and (
                    config.table_record_states.isdisjoint(tokens)):
                # (drug_order_cancelled: the record's state, not the drug)
                # a table of patients' clinical records (vital signs keyed by the patient): its height, weight and
                # smoking status are the patient's
                weight = w["person"] + w["person_capsule"]
                notes.append("the table holds patients' clinical records")
            else:
                # Not a veto: a description that names a person can still carry it.
                whose = (f"'{hit.owner}' before it is not known to be a person" if hit.owner
                         else "nothing says it belongs to a person")
                out.append(Evidence("name", f"{said}, but {whose}", hit.pii_type, 0.0))
                continue
        else:
            weight = w[hit.strength]
            if owner_kind == "person":
                weight += w["person_bonus"]
                notes.append(f"owner '{hit.owner}' is a person")
        if firm and owner_kind == "none":
            # email, legal_name, license_no in sys_dept or pharmacies: the firm's own mailbox, name and licence (a
            # person's are owned there: contact_email, owner_name)
            weight *= w["organisation"]
            notes.append("each row is a firm: the whole name is the firm's own")
        elif rule.organisation_sensitive and owner_kind != "person" and hit.strength != "role":
            # (project_manager, account_owner: the word before a role says whose team the person is in, and a store's
            # manager is still a person)
            if owner_kind == "organisation":
                weight *= w["organisation"]
                notes.append(f"owner '{hit.owner}' {_ORGANISATION_OWNER}")
            elif capsule_kind == "organisation" and rule.organisation_sensitive is True:
                weight *= w["organisation"]
                notes.append(_ORGANISATION_CAPSULE)
        elif own_organisation and capsule_kind == "organisation" and owner_kind == "none" and rule.kind == "value":
            # each row is an organisation (it has a contact person): its own bank account or tax number is the
            # organisation's, not a person's
            weight *= w["organisation"]
            notes.append("each row is an organisation (it has a contact person)")
        if hit.unknown_suffix:
            weight *= w["unknown_suffix"]
            notes.append(f"'{hit.unknown_suffix}' after it may describe the value rather than hold it")
        if hit.masked:
            notes.append("masked (hashed or encrypted)")
        if guessed:
            weight *= w["read_as"]  # an abbreviation is a guess: a little less sure than the word written out
        if read_note:
            notes.append(read_note)
        detail = said + ("; " + "; ".join(notes) if notes else "")
        out.append(Evidence("name", detail, hit.pii_type, round(min(weight, 0.99), 4), masked=hit.masked))
    semantic = config.semantic
    # a vocabulary code, not a row key (OMOP's condition_concept_id, OpenMRS obs' concept_id)
    coded = len(tokens) > 1 and tokens[-2:] == ("concept", "id")
    sdtm = health and _sdtm_variable(tokens, config)
    if (health and tokens and (not config.table_health_fields.isdisjoint(tokens) or coded or sdtm)
            and config.table_health_skip.isdisjoint(tokens) and not _names_the_test(tokens, config)
            and not rows_own_name
            and not any(e.weight > 0 for e in out) and semantic["event_time_words"].isdisjoint(tokens)
            and (coded or semantic["key_words"].isdisjoint(tokens))):
        out.append(Evidence("name", f"'{' '.join(tokens)}' of a table of patients' clinical records: health data",
                            "health", w["medium"]))
    if secret_field and not any(e.weight > 0 or e.weight == _VETO for e in out):
        # token in access_tokens, key in api_keys: each row is a secret, and this column is the secret itself
        out.append(Evidence("name", f"'{' '.join(tokens)}' of a table whose name says each row is a token, key or "
                            "secret: the secret itself", "credential", w["medium"]))
    if ip_field and not any(e.weight == _VETO for e in out):
        out.append(Evidence("name", f"'{' '.join(tokens)}' of a table whose name says each row is an IP address or a "
                            "range of them: an IP address", "ip_address", w["medium"]))
    if row_field and not any(e.weight == _VETO for e in out):
        # value in party_contact_mechanism, code in party_identifier: each row is one, and this column holds it
        row_type, what = _ROW_VALUES[rows]
        if capsule_kind == "organisation" and config.rules[row_type].organisation_sensitive:
            # company_address: the floor of an organisation's address is the organisation's
            out.append(Evidence("name", f"'{' '.join(tokens)}' of a table whose name says each row is {what}; "
                                f"{_ORGANISATION_CAPSULE}", row_type, round(w["medium"] * w["organisation"], 4)))
        else:
            out.append(Evidence("name", f"'{' '.join(tokens)}' of a table whose name says each row is {what}",
                                row_type, w["medium"]))
    if message_type and not any(e.pii_type == message_type or e.weight == _VETO for e in out):
        out.append(Evidence("name", f"'{' '.join(tokens)}' is a header field of a table of messages: it holds a "
                            f"person's {message_type}", message_type, w["medium"]))
    lookalike = any(hit.pii_type is None for hit in hits)
    if role and not lookalike and not any(e.weight > 0 or e.weight == _VETO for e in out):
        out.append(_role_evidence(tokens, capsule_kind, why, config))  # last_poster: 'last' alone names no one
    result = (tokens, tuple(out), lookalike)
    config._names[key] = result
    return result


def _names_the_test(tokens: tuple[str, ...], config: PiiConfig) -> bool:
    """Whether the name is the code or name of the test a result answers (test_code, lab_name, TestName), not the
    result: a test word and, of the clinical fields, only a name, code or description."""
    return not config.table_test_words.isdisjoint(tokens) and all(
        t in config.table_test_fields for t in tokens if t in config.table_health_fields)


def _sdtm_variable(tokens: tuple[str, ...], config: PiiConfig) -> bool:
    """Whether the name is a CDISC domain's code glued to (or written before) a variable holding the subject's
    clinical fact: AETERM, AESEV, VSORRES, LBNRIND, CM_DOSE (not AESEQ, VSTESTCD, VSORRESU)."""
    glued = "".join(tokens)
    return len(glued) > 4 and glued[:2] in config.table_cdisc_domains and glued[2:] in config.table_cdisc_fields


# --------------------------------------------------------------------------------------------- description

_ORGANISATION_CAPSULE = "the capsule is about organisations"
_SETTINGS_TABLE = "the table's rows are settings or templates: its values are its keeper's"


def _settings_table(entity: Sequence[str], config: PiiConfig) -> bool:
    """Whether the table's head noun names settings, templates or kinds (mail_template, notification_settings) and
    no word of its name is a person's (user_preferences: a user's own settings, which may hold the user's phone)."""
    heads = [t for t in entity if t not in config.generic_heads]
    return bool(heads) and _setting_head(english_singular(heads[-1]), config) and (
        config.person_words.isdisjoint(entity))


@dataclass(frozen=True, slots=True)
class _DescriptionHit:
    pii_type: str
    phrase: str
    reason: str | None  # why the phrase does not count
    masked: bool
    counters_name: bool  # the sentence speaks of this type but of an organisation or of no person
    dated: bool = False  # a clinical fact said with its time ("Date contraceptives initially used"): a date holds it


@dataclass(frozen=True, slots=True)
class _DescriptionFacts:
    hits: tuple[_DescriptionHit, ...]
    against: str | None  # the description reads as a flag/count/key/time
    type_hint: str | None


_SENTENCE_RE = re.compile(r"[.;!?\n]+|\s-\s")
_DESC_WORD_RE = re.compile(r"'s\b|[a-z0-9]+")


def _description_facts(description: str, config: PiiConfig) -> _DescriptionFacts:
    """Phrases of each type in a description, each judged in its sentence; memoised per description.

    Walks the description's words through a trie (like names), so the cost grows with the words, not with
    the number of phrases: about 10 us for a two-sentence description.
    """
    cached = config._descriptions.get(description)
    if cached is not None:
        return cached
    if len(config._descriptions) > _CACHE_LIMIT:
        config._descriptions.clear()
    # Long markdown descriptions: what matters is said first.
    text = _plain(description[:_DESCRIPTION_CHARS])
    type_hint = None
    if config.desc_type_hint is not None:
        m = config.desc_type_hint.match(text)
        if m:
            type_hint = m.group(1)
            text = text[m.end():].lstrip()
    against = None
    if config.desc_leading_against is not None:
        m = config.desc_leading_against.match(text)
        if m:
            against = m.group(0)
    hits = []
    vocabulary = config.desc_words
    for index, sentence in enumerate(_SENTENCE_RE.split(text)):
        raw = _DESC_WORD_RE.findall(sentence)
        head = None
        if index < _HEAD_SENTENCES and raw:
            cut = _CLAUSE_END_RE.search(sentence)
            head = _head_phrase(raw, len(_DESC_WORD_RE.findall(sentence, 0, cut.start())) if cut else len(raw))
        phrases = not config.desc_first_words.isdisjoint(raw)
        if not phrases and (head is None or not _may_hold(head, config)):
            continue  # no phrase, and an opening not worth reading
        listed = _alternatives(sentence, vocabulary)
        words = []
        plural: set[int] = set()  # positions of words read as their singular
        for word in raw:
            if word not in vocabulary and len(word) > 3 and word.endswith("s"):
                stem = word[:-2] if word.endswith("es") and word[:-2] in vocabulary else word[:-1]
                if stem in vocabulary:
                    plural.add(len(words))
                    word = stem
            words.append(word)
        sentence_words = set(words)
        clauses = _clause_starts(sentence) if not _NEGATIONS.isdisjoint(words) else (0,)
        found_hits: list[tuple[_DescriptionHit, int, int]] = []
        i, n = 0, len(words) if phrases else 0
        while i < n:
            found, found_end = _longest_match(config.desc_trie, words, i)
            if found is None:
                i += 1
                continue
            hit = _judge_description(found, words, i, found_end, sentence_words, against, config,
                                     label=len(words) <= _LABEL_WORDS and _LABEL_RE.fullmatch(sentence) is not None,
                                     clause=max(c for c in clauses if c <= i))
            if hit.reason is None and found_end == i + 1 and i in plural and words[i] in config.desc_message_words:
                # "the emails sent to this contact": messages, not an address
                hit = _DescriptionHit(hit.pii_type, hit.phrase, f"'{raw[i]}' speaks of messages, not of an address",
                                      hit.masked, False)
            if listed and hit.reason is None:
                hit = _DescriptionHit(hit.pii_type, hit.phrase, f"the description lists the values the column takes "
                                      f"('{listed}'), so '{hit.phrase}' names a kind, not a person's value",
                                      hit.masked, False)
            found_hits.append((hit, i, found_end))
            i = found_end
        if head is not None and not listed and (_may_hold(head, config) or any(
                head.start <= i < head.end or _about_word(head, config) for _, i, _ in found_hits)):
            # (else the reading can neither confirm, reject nor add a phrase)
            found_hits = _read_head(head, found_hits, words, sentence_words, against if index == 0 else None, config)
        hits.extend(hit for hit, _, _ in found_hits)
    facts = _DescriptionFacts(tuple(hits), against, type_hint)
    config._descriptions[description] = facts
    return facts


_ALTERNATIVES_RE = re.compile(r"\s*(?:,|\bor\b|/|\|)\s*")
_ITEM_WORD_RE = re.compile(r"[a-z0-9_'-]+")


def _alternatives(sentence: str, vocabulary: frozenset[str]) -> str | None:
    """The sentence when it is nothing but a list of short alternatives of which at least one is no kind of
    personal data ("email, chat or phone", "credit_card, paypal or gift_card"): a categorical column's values,
    not a datum. "email or username" still holds one of two personal values; a list joined by "and" describes
    a composite value ("street, city and zip"). Neither counts."""
    text = sentence.strip(" :")
    if not text or (" or " not in f" {text} " and "/" not in text and "|" not in text) or " and " in f" {text} ":
        return None
    items = [_ITEM_WORD_RE.findall(item) for item in _ALTERNATIVES_RE.split(text) if item]
    if len(items) < 2 or any(len(words) > 3 for words in items):
        return None
    if all(any(word in vocabulary for word in words) for words in items):
        return None
    return text


_NO_PERSON = "no person is named in the sentence"
# Words that may stand right before "name of the <person>" without making it another thing's name.
_NAME_DETERMINERS = frozenset({"the", "a", "an", "their", "his", "her", "whose", "is", "of", "and", "or", "'s"})


def _clause_starts(sentence: str) -> tuple[int, ...]:
    """Where each clause of a sentence (up to a comma, a colon or a bracket) starts, in its words."""
    starts, count = [0], 0
    for part in _CLAUSE_END_RE.split(sentence)[:-1]:
        count += len(_DESC_WORD_RE.findall(part))
        starts.append(count)
    return tuple(starts)


def _judge_description(pii_type: str, words: list[str], start: int, end: int, sentence: set[str],
                       against: str | None, config: PiiConfig, *, label: bool = False,
                       clause: int = 0) -> _DescriptionHit:
    phrase = " ".join(words[start:end]).replace(" 's", "'s")
    rule = config.rules[pii_type]
    reason, counters = None, False
    # In prose only content words count: "full name on edx.org" is not "created_on".
    after = words[end] if end < len(words) and len(words[end]) > 2 else None
    owner = next((w for w in reversed(words[max(0, start - 3):start]) if w not in config.neutral), None)
    before = words[start - 1] if start > 0 else None
    negated = next((w for w in words[clause:start] if w in _NEGATIONS), None)
    if against and not _holds_despite(rule, against.split(), words[start:end]):
        reason = f"the description reads as '{against}...'"
    elif negated:
        reason = f"'{negated}' before '{phrase}' says the column does not hold it"
    elif words[start] == "name" and before is not None and before not in _NAME_DETERMINERS:
        reason = f"'{before}' before '{phrase}' says whose name it is (the {before}'s, not a person's)"
    else:
        near = [w for w in words[max(0, start - 4):start] if w in config.desc_near_against
                and not _holds_despite(rule, (w,), words[start:end])]
        if near:
            reason = f"'{near[-1]}' before '{phrase}' says the text is about the {pii_type}, not the value"
        elif after in (config.aggregate if rule.kind == "attribute" else config.suffix_veto):
            reason = f"'{after}' after '{phrase}' says the text is about the {pii_type}, not the value"
        elif label and end < len(words) and words[-1] in (
                config.aggregate if rule.kind == "attribute" else config.suffix_veto):
            # "Address Record Type", "Phone Number Status": a label ending in an attribute of the value
            reason = f"the label ends in '{words[-1]}': it is about the {pii_type}, not the value"
        elif label and _label_head(words, start, end, rule, config):
            # "IBAN Institute", "IBAN Mandate Reference": a field's label whose last word is its head noun, which the
            # phrase only qualifies (as email_segment in a name); "Email address", "IBAN number" stay the value
            reason = f"the label's last word '{words[-1]}' names what it holds; '{phrase}' only qualifies it"
        elif rule.organisation_sensitive and owner in config.organisation_words:
            reason = f"'{owner}' before '{phrase}' is not a person"
        elif (pii_type == "person_name" and owner == "'s" and start > 1
              and words[start - 2] in config.organisation_words):
            reason = f"'{words[start - 2]}'s {phrase}' is not a person's name"  # "Team's full name"
        elif rule.organisation_sensitive is True and sentence & config.desc_organisation:
            reason = f"the sentence is about an organisation ('{sorted(sentence & config.desc_organisation)[0]}')"
            counters = True
        elif pii_type in ("age", "geolocation") and not sentence & config.desc_person:
            reason = _NO_PERSON
            counters = len(words) > end - start  # a bare label ("Latitude") says nothing against the name
    dated = reason is None and rule.clinical and not _TIME_WORDS.isdisjoint(
        [*words[max(0, start - 4):start], *(against.split() if against else ())])
    return _DescriptionHit(pii_type, phrase, reason, bool(sentence & config.desc_masking), counters, dated)


# Words that say a sentence denies the value ("does not contain the customer's email"): "no" is left out, it is
# also a number ("Phone no.").
_NEGATIONS = frozenset({"not", "never", "without", "nor", "t"})
# Words saying when something happened or whether it holds: about a value in general, but a date of birth is a
# date, and a dated or flagged clinical fact is still one patient's health ("Date contraceptives initially used",
# "Whether the patient has asthma"). Counts and kinds stay against both.
_TIME_WORDS = frozenset({"date", "time", "timestamp", "when"})
_FLAG_WORDS = frozenset({"whether", "if", "flag", "flags", "boolean", "true", "indicates", "indicating", "indicator",
                         "indicate", "confirmed"})


def _holds_despite(rule, words: Sequence[str], phrase: Sequence[str]) -> bool:
    """Whether words that make a sentence about a value (a leading "Date when", a "whether" before it) leave a
    value of this type in the column: time words for a type whose values are dates when the phrase says the event
    itself ("Date the patient was born"; not "Date the birth date was verified"), time and flag words for a
    clinical fact."""
    said = set(words)
    if said <= _TIME_WORDS | _PHRASE_FILLERS and said & _TIME_WORDS and "date" in rule.typical_data_types and (
            phrase[0] in _EVENT_WORDS):
        return True
    return rule.clinical and said <= _TIME_WORDS | _FLAG_WORDS | _PHRASE_FILLERS and bool(said - _PHRASE_FILLERS)


_PHRASE_FILLERS = frozenset({"the", "of", "on", "which", "that", "at"})
_EVENT_WORDS = frozenset({"was", "were", "born"})  # a phrase that is the event a date is of ("was born")


# ------------------------------------------------------------------------------ the description's opening as a name

# A description's first sentences are read for their opening noun phrase ("Email address of the account holder",
# "The customer's email", "Contains the member's phone number", "Telefonnummer des Kunden"), which is then read as a
# column name is, with its owner before it (account_holder_email_address): the name reader's vocabulary, owners and
# vetoes then say what the column holds, in every language the vocabulary knows.
_HEAD_SENTENCES = 3
_CLAUSE_END_RE = re.compile(r"[,:(\[|]|\s/\s")  # not "Date/Time of birth"
_HEAD_LEADS = frozenset({"contains", "holds", "stores", "records", "captures", "represents", "gives", "is", "has"})
_HEAD_OPENERS = frozenset({"this", "the"})
_HEAD_ARTICLES = frozenset({"the", "a", "an", "their", "its", "his", "her", "our"})
# Words that end the noun phrase: prepositions, relative words, verbs of a clause, a second article.
_HEAD_STOPS = frozenset({"as", "from", "in", "on", "at", "by", "with", "to", "that", "which", "who", "whom", "whose",
                         "where", "when", "if", "and", "or", "is", "was", "are", "were", "has", "have", "had", "may",
                         "can", "will", "should", "used", "provided", "entered", "given", "not", "per", "via", "the",
                         "a", "an", "this", "these", "those", "but", "than", "into", "about", "after", "before",
                         "using", "including", "such", "associated", "linked", "related", "eg", "ie"})
# A noun phrase that only holds its owner's values: "The list of payment cards", "Normalised version of the email"
# hold the cards and the email.
_HEAD_CONTAINERS = frozenset({"list", "array", "set", "collection", "value", "values", "copy", "version", "digits"})
# Head nouns that name where a value is kept, not something about it ("Field holding the customer's email").
_HEAD_STRUCTURE = frozenset({"field", "column", "attribute", "attributes", "key", "keys", "id", "ids", "is", "at",
                             "on", "value", "list"})
# "of", "for" and their Romance, German and Dutch forms with an article: what follows is the value's owner
# ("Nome do cliente", "Telefonnummer des Kunden", "Telefoonnummer van de klant").
_HEAD_OWNER = frozenset({"of", "for", "des", "der", "du", "del", "do", "da", "dos", "das", "della", "dello", "dei",
                         "degli", "van"})
_HEAD_OWNER_ARTICLES = frozenset({"the", "a", "an", "each", "every", "this", "that", "de", "het", "la", "le", "l", "el",
                                  "il", "lo", "o", "os", "die", "dem", "den", "their", "its"})
_HEAD_WORDS = 6  # a longer noun phrase is prose, not a value's name


@dataclass(frozen=True, slots=True)
class _Head:
    name: str  # the owner's words and the noun phrase's, joined as a column name is
    start: int  # where the noun phrase starts in the sentence's words
    np_end: int  # where it ends
    end: int  # where the owner ends
    np_words: tuple[str, ...]
    owner: tuple[int, int]  # where the owner's words are (before "'s" or after "of"), or (0, 0)


def _head_phrase(raw: list[str], clause: int) -> _Head | None:
    """The opening noun phrase of a sentence's first clause and its owner (after "of"/"for", or before "'s"), or
    None. ``clause``: how many of the words the first clause holds (up to a comma, a colon or a bracket)."""
    n = min(clause, len(raw))
    i = 0
    if n > 2 and raw[0] in _HEAD_OPENERS and raw[1] in ("column", "field", "attribute", "value") and (
            raw[2] in _HEAD_LEADS):
        i = 3
    elif n > 1 and raw[0] in _HEAD_LEADS - {"is", "has"}:
        i = 1
    while i < n and raw[i] in _HEAD_ARTICLES:
        i += 1
    start = i
    while i < n and raw[i] not in _HEAD_STOPS and raw[i] not in _HEAD_OWNER and i - start < _HEAD_WORDS:
        i += 1
    phrase = raw[start:i]
    if not phrase or i - start >= _HEAD_WORDS or phrase[-1] == "'s":
        return None
    np_end, owner, span = i, [], (0, 0)
    if "'s" in phrase:  # the customer's email: the owner is before 's
        k = phrase.index("'s")
        owner, phrase, span = phrase[:k], phrase[k + 1:], (start, start + k)
    elif i < n and raw[i] in _HEAD_OWNER:
        j = i + 1
        while j < n and raw[j] in _HEAD_OWNER_ARTICLES:
            j += 1
        k = j
        while k < n and raw[k] not in _HEAD_STOPS and raw[k] not in _HEAD_OWNER and k - j < 4:
            k += 1
        if k > j:
            owner, span = [w for w in raw[j:k] if w != "'s"], (j, k)
            i = k
            if phrase[-1] in _HEAD_CONTAINERS:
                phrase, span = [], (0, 0)  # the owner is the value
    return _Head("_".join(owner + phrase), start, np_end, i, tuple(phrase), span)


def _about_word(head: _Head, config: PiiConfig) -> str | None:
    """The opening's head noun when it names something about a value (format, source, length, country), not the
    value or where it is kept."""
    noun = head.np_words[-1] if head.np_words else None
    return noun if noun not in _HEAD_STRUCTURE and (noun in config.suffix_veto or noun in config.aggregate) else None


def _read_head(head: _Head, found: list[tuple[_DescriptionHit, int, int]], words: list[str], sentence: set[str],
               against: str | None, config: PiiConfig) -> list[tuple[_DescriptionHit, int, int]]:
    """The sentence's phrase hits judged by its opening read as a name: a phrase inside the opening that the
    reading does not confirm is what the text talks about, not the value (the "billing address" of "Country code
    of the billing address", the "phone number" of "Length of the phone number"); a phrase after an opening headed
    by a word about a value ("Format used to display the guest's full name") likewise; and what the reading finds
    that no phrase said is a hit of its own ("Contact number of the applicant", "Telefonnummer des Kunden")."""
    found_types, vetoed = _head_reading(head.name, head.np_words, config)
    about = _about_word(head, config)
    out = []
    confirmed = set()
    for hit, i, end in found:
        rule = config.rules[hit.pii_type]
        if hit.reason is None and not rule.clinical:
            inside = head.start <= i < head.end
            whole = i <= head.start and end >= head.end
            # the head noun is a part of this type's value (the "day" a player was born, a street "line")
            about_it = about if about not in rule.suffix_keep and about not in config.suffix_keep else None
            reason = None
            if inside and not whole and hit.pii_type not in found_types and (
                    found_types or (hit.pii_type in vetoed and not rule.coded)
                    or (about_it and head.owner[0] <= i < head.owner[1])):
                # (a coded value's key, "Gender Key", holds the code: not vetoed by its key word)
                reason = (f"the description's opening reads as the name '{head.name}', which holds no person's "
                          f"{hit.pii_type} ('{hit.phrase}' is what it speaks of, not the value)")
            elif i >= head.end and about_it and not found_types:
                reason = f"'{about_it}' opens the sentence: it speaks of the {hit.pii_type}, not the value"
            if reason:
                hit = _DescriptionHit(hit.pii_type, hit.phrase, reason, hit.masked, False)
            elif inside:
                confirmed.add(hit.pii_type)
        out.append((hit, i, end))
    phrase = " ".join(words[head.start:head.end]).replace(" 's", "'s")
    if any(h.reason is None and (i <= head.start and end >= head.end or head.start <= i < head.np_end)
           for h, i, end in out):
        # a phrase saying the whole opening ("name of the user") or standing in its noun phrase ("The IP address of
        # the client") already says what it holds
        return out
    for pii_type in found_types:
        if config.rules[pii_type].clinical and not _TIME_WORDS.isdisjoint(head.np_words):
            continue  # "Date/Time of last treatment": a clinical record's time (a phrase in prose may still say more)
        if pii_type in confirmed or any(h.pii_type == pii_type and h.reason is None for h, _, _ in out):
            continue
        hit = _judge_description(pii_type, words, head.start, max(head.np_end, head.start + 1), sentence, against,
                                 config)
        # the reading weighed the owner already ("Age of the guest": a guest is a person)
        reason = hit.reason if hit.reason != _NO_PERSON else None
        hit = _DescriptionHit(pii_type, phrase, reason, hit.masked, hit.counters_name and reason is not None)
        out.append((hit, head.start, head.end))
    return out


def _head_reading(name: str, np_words: tuple[str, ...], config: PiiConfig) -> tuple[frozenset[str], frozenset[str]]:
    """``_read_opening``, memoised per config, name and noun phrase (openings repeat across descriptions)."""
    cache = config._openings
    key = (name, np_words)
    found = cache.get(key)
    if found is None:
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        found = cache[key] = _read_opening(name, np_words, config)
    return found


def _read_opening(name: str, np_words: tuple[str, ...], config: PiiConfig) -> tuple[frozenset[str], frozenset[str]]:
    """The types a description's opening, read as a column name in no table, holds and the ones its words rule
    out. A type counts when the name reads it at a medium pattern's weight or above (a role alone, "Player Manager",
    is too weak in prose), from whole words (prose does not abbreviate: "describes" is no desc|rib), with its
    pattern inside the noun phrase (not across the owner: "The name of the browser family" is no family name), and
    the opening's last word, its head noun, ends one of the type's patterns or keeps the value (number, hash): in
    prose the value is the head noun ("Treatment pronouns" are pronouns)."""
    tokens, evidence, _ = _name_evidence(name, "neutral", "", config)
    vetoed = frozenset(e.pii_type for e in evidence if e.pii_type is not None and e.weight == _VETO)
    frequencies = english_log_frequencies()
    if any(word in frequencies and len(tokenize_column_name(word, config=config)) > 1 for word in name.split("_")):
        return frozenset(), vetoed
    if not any(e.pii_type is not None and e.weight >= config.weights["medium"] for e in evidence):
        return frozenset(), vetoed
    last = next((t for t in reversed(tokens) if not t.isdigit()), "")  # "SHA-256 of the email": sha
    ends = _pattern_ends(config)
    value = set(_name_evidence("_".join(np_words), "neutral", "", config)[0]) if np_words else None
    owner = name.split("_")[:-len(np_words)] if np_words else []
    whose = set(_name_evidence("_".join(owner), "neutral", "", config)[0]) if owner else set()
    found = [e for e in evidence if e.pii_type is not None and e.pii_type not in vetoed
             and e.weight >= config.weights["medium"] and "read as an abbreviation" not in e.detail
             and (value is None or _within(set(_matched_pattern(e.detail)), value, whose))
             and (last in ends.get(e.pii_type, ()) or last in config.suffix_keep
                  or last in config.rules[e.pii_type].suffix_keep or last in config.masking)]
    # one type, the reading's strongest (the first of equals, as the name's evidence lists them): two would tie
    best = max(found, key=lambda e: e.weight, default=None)
    return (frozenset((best.pii_type,)) if best else frozenset()), vetoed


_PATTERN_RE = re.compile(r"pattern '([^']+)'")


def _within(pattern: set[str], value: set[str], whose: set[str]) -> bool:
    """Whether a pattern read from an opening lies in its noun phrase, or takes in its whole owner ("Date/Time of
    Birth": birth date time; "Account number of bank account"), rather than the owner's last words alone ("The name
    of the browser family": no family name)."""
    return pattern <= value or (bool(whose) and whose <= pattern)


def _matched_pattern(detail: str) -> tuple[str, ...]:
    """The words of the pattern a name's evidence says it matched."""
    m = _PATTERN_RE.search(detail)
    return tuple(m.group(1).split()) if m else ()


def _may_hold(head: _Head, config: PiiConfig) -> bool:
    """Whether an opening with no phrase in it is worth reading as a name (most are not: "The type of the
    contact"): its head noun ends some type's pattern (or an alias of one), keeps or masks a value, or is no
    English word (a compound of another language: "E-mailadres")."""
    last = head.name.rsplit("_", 1)[-1]
    words = config._openings.get("heads")
    if words is None:
        ends = set().union(*_pattern_ends(config).values())
        ends |= {alias for alias, expansion in config.aliases.items() if expansion and expansion[-1] in ends}
        ends |= config.suffix_keep | config.masking
        for rule in config.rules.values():
            ends |= rule.suffix_keep
        words = config._openings["heads"] = frozenset(ends)
    return last in words or (len(last) > 5 and last not in english_log_frequencies())


def _pattern_ends(config: PiiConfig) -> dict[str, frozenset[str]]:
    """Per type, the last words of its name patterns (from the name trie), once per config."""
    found = config._openings.get("ends")
    if found is None:
        ends: dict[str, set[str]] = {}
        stack = list(config.trie.items())
        while stack:
            word, node = stack.pop()
            for key, child in node.items():
                if key == "":
                    if child.pii_type is not None:
                        ends.setdefault(child.pii_type, set()).add(word)
                else:
                    stack.append((key, child))
        found = config._openings["ends"] = {t: frozenset(w) for t, w in ends.items()}
    return found


_MD_HEADING_RE = re.compile(r"^[ \t]*#{1,6}[ \t]*(.*)$", re.M)
_MD_BREAK_RE = re.compile(r"\n[ \t]*(?:\n|[-*+][ \t])")
_MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")  # [text](url): the text
_MD_DROP_RE = re.compile(r"https?://\S+|<[^>]{1,40}>|\*{1,3}|`+|~~|(?<!\w)__|__(?!\w)")  # urls, tags, emphasis, code


_MD_MARKS = ("http", "<", "*", "`", "~~", "__")


def _plain(text: str) -> str:
    """A description as words to read: Markdown links as their text, URLs, HTML tags, emphasis and code marks
    dropped, accents folded (número: numero), lower case, one space between words."""
    if "\n" in text:  # a heading, a bullet or a blank line ends a sentence; a wrapped line does not
        text = _MD_BREAK_RE.sub(" . ", _MD_HEADING_RE.sub(r"\1 . ", text))
    if "[" in text:
        text = _MD_LINK_RE.sub(r"\1", text)
    if any(mark in text for mark in _MD_MARKS):
        text = _MD_DROP_RE.sub(" ", text)
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.lower().split())


# A sentence of at most this many words and nothing but words (no comma, no bracket) is a field's label
# ("IBAN Institute"), not prose ("Email for licensing", "First name (Katakana)").
_LABEL_WORDS = 4
_LABEL_RE = re.compile(r"\s*[a-z0-9]+(?:[ '-]+[a-z0-9]+)*\s*")
# Words that make the rest of a label prose or a numbering, not a head noun of its own ("Email for licensing",
# "Street one").
_LABEL_NOT_HEAD = frozenset({"for", "of", "to", "in", "on", "at", "by", "with", "from", "and", "or", "the", "a", "an",
                             "one", "two", "three", "four", "first", "second", "third",
                             # how the value is written, not another thing ("Street Abbreviation")
                             "abbreviation", "abbreviated", "abbr", "abbrev", "short", "shortened", "long", "spelling"})


def _label_head(words: list[str], start: int, end: int, rule, config: PiiConfig) -> bool:
    """Whether a description that is only a short label ("IBAN Institute") opens with the phrase and ends with a
    head noun of another thing: words after the phrase that are neither prose nor a numbering, the last of them
    neither of the description vocabulary nor one that keeps the value after it (number, code, home, line:
    ``tokens.suffix_keep`` and the type's own)."""
    if start or end >= len(words):
        return False
    last = words[-1]
    return (len(last) > 2 and not last.isdigit() and last not in config.desc_words and last not in config.suffix_keep
            and last not in rule.suffix_keep and last not in config.neutral
            and _LABEL_NOT_HEAD.isdisjoint(words[end:]))


# --------------------------------------------------------------------------------------------- data type


_COUNT_N_RE = re.compile(r"[nN](?:[_\- ]+(?=[A-Za-z])|(?=[A-Z][a-z]))")


def _type_family(data_type: str | None, config: PiiConfig) -> str:
    if not data_type:
        return "unknown"
    cached = config._families.get(data_type)
    if cached is not None:
        return cached
    text = data_type.strip().lower()
    m = re.match(r"[a-z_][a-z0-9_]*", text)
    word = m.group(0) if m else ""
    family = config.data_type_families.get(word, "unknown")
    if family == "unknown" and len(word) > 5 and word.endswith("field"):
        # an ORM's field class names the value's type (Django's BooleanField, DateTimeField, SmallIntegerField)
        family = config.data_type_families.get(word[:-5], "unknown")
    if family == "numeric" and re.search(r"\(\s*\d+\s*(?:,\s*0\s*)?\)", text):
        family = "integer"  # number(38,0), decimal(18) hold whole numbers
    if len(config._families) > 10_000:
        config._families.clear()
    config._families[data_type] = family
    return family


# a data type written as a class name of two or more capitalised words (EasyVereinReference, ContactDetails, IstKonto)
_CLASS_NAME = re.compile(r"(?:[A-Z][a-z0-9]+){2,}")
_CLASS_WORDS = re.compile(r"[A-Z][a-z0-9]+")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


@functools.lru_cache(maxsize=4096)
def _names_object(data_type: str, name: str) -> bool:
    """The data type is a class naming another record, not a value: its last word says a reference (an API
    client's ``EasyVereinReference``), or it is the model the column's own last word names (``konto: IstKonto``,
    ``contactDetails: ContactDetails``). Such a column holds that record (or its id), whose fields are columns
    of their own, so it is read as an ORM's key is (``data_types.reference``). SQL types are one word in capitals
    or lower case and never match; ``EmailStr``, ``IBANField``, ``DateTime`` name a value, not the column."""
    if not _CLASS_NAME.fullmatch(data_type):
        return False
    last = _CLASS_WORDS.findall(data_type)[-1].lower()
    if last in ("reference", "ref"):
        return True
    words = _NAME_WORDS.findall(name)
    return bool(words) and words[-1].lower() == last


def _held_in(data_type: str | None, config: PiiConfig) -> str | None:
    """The PII type a data type holds by itself (inet: ip_address), or None."""
    if not data_type or not config.held_in:
        return None
    found = config._held.get(data_type, False)
    if found is False:
        if len(config._held) > 10_000:
            config._held.clear()
        m = re.match(r"[a-z_][a-z0-9_]*", data_type.strip().lower())
        found = config._held[data_type] = config.held_in.get(m.group(0)) if m else None
    return found


_HINT_FAMILIES = {
    "bool": "boolean", "boolean": "boolean", "int": "integer", "integer": "integer", "bigint": "integer",
    "str": "string", "string": "string", "varchar": "string", "text": "string", "timestamp": "timestamp",
    "datetime": "timestamp", "date": "date", "float": "numeric", "double": "numeric", "numeric": "numeric",
    "decimal": "numeric", "array": "semi", "json": "semi", "object": "semi",
}


# --------------------------------------------------------------------------------------------- capsules


def _capsule_facts(capsule_name: str | None, config: PiiConfig) -> tuple[str, tuple[str, ...]]:
    """(kind, entity tokens) for a capsule: kind is person, organisation or neutral.

    ``stg_stripe__customers`` -> entity ("customer",): the part after the last ``__`` without dbt layer prefixes,
    made singular.
    """
    if not capsule_name:
        return "neutral", ()
    cached = config._capsules.get(capsule_name)
    if cached is not None:
        return cached
    parts = [p for p in capsule_name.split("__") if p]
    while len(parts) > 1 and parts[-1].lower() in config.ignore_trailing:
        parts.pop()  # sbqq__quote__c: a Salesforce custom object, the entity is "quote"
    base = parts[-1] if parts else capsule_name
    # the vocabulary's own abbreviations only (dim_cust, hr_emp_children), never guessed readings (grp_events)
    tokens = [w for t in tokenize_column_name(base, config=config, read=False)
              for w in (config.aliases.get(t, (t,)) if len(config.aliases.get(t, ())) == 1 else (t,))]
    while tokens and tokens[0] in config.capsule_prefixes:
        tokens.pop(0)
    while tokens and tokens[-1] in ("source", "base", "snapshot", "snapshots", "history", "xf", "daily"):
        tokens.pop()
    entity = tuple(english_singular(t) for t in tokens)
    everything = {singular(t, config) for t in tokenize_column_name(capsule_name, config=config, read=False)}
    # The head noun decides (contact_groups are groups, customer_segments segments), past structural words
    # (customer_entity, member_details).
    heads = [t for t in tokens if t not in config.generic_heads]
    head, head_singular = (heads[-1], english_singular(heads[-1])) if heads else (None, None)
    kind = ""
    if head and _setting_head(head_singular, config) and head not in config.organisation_words and (
            (everything - {head, head_singular}).isdisjoint(config.organisation_words)):
        # membership_type, customer_categories: each row is a kind or a setting of the people its other words
        # name, not one of them (its name is the kind's name); its columns may still say otherwise (a table named
        # after organisations' kinds stays theirs: server_hosting_type)
        kind = "neutral"
    elif head and head_singular not in config.person_words and head_singular not in config.organisation_words and (
            not is_known_word(head, config)):
        # dim_mbr, stdnt: the head noun written as an abbreviation of a person or organisation word is that word
        # (only the head: grp_events is about events, not a group)
        reading = read_abbreviation(head, config)
        if reading not in config.person_words and reading not in config.organisation_words:
            # clienti, klanten: another language's plural of a person or organisation noun is that noun
            reading = next((form for form in foreign_singulars(head) if form in config.person_words
                            or form in config.organisation_words), None)
        if reading is not None and (reading in config.person_words or reading in config.organisation_words):
            head = head_singular = reading
    if kind:
        pass
    elif head in config.organisation_words or head_singular in config.organisation_words:
        kind = "organisation"
    elif head in config.person_words or head_singular in config.person_words or (
            everything & config.person_words) or (head_singular is not None and agent_noun(head_singular, config)):
        # (dentists, trainees, technicians: an agent noun of a person is people too)
        kind = "person"
    elif everything & config.organisation_words:
        kind = "organisation"
    else:
        kind = "neutral"
    if len(config._capsules) > _CACHE_LIMIT:
        config._capsules.clear()
    config._capsules[capsule_name] = result = (kind, entity)
    return result


_LABEL_END_RE = re.compile(r"[/.;:(\n]")  # where a description's opening label ends ("Long name / ...")


def _respelled(name_ev: tuple[Evidence, ...], name: str, description: str, config: PiiConfig) -> tuple[Evidence, ...]:
    """The name's evidence, with a veto for each type it names when the name is an abbreviation
    (``tokens.aliases``: lname, fname) that the description, a label of as many words with the same initials, spells
    out otherwise ("Long name", "File name"): the label says what the letters stand for."""
    expansion = config.aliases[name]
    label = _DESC_WORD_RE.findall(_LABEL_END_RE.split(description.lower(), 1)[0])
    if (len(expansion) < 2 or len(label) != len(expansion) or list(expansion) == label
            or [w[0] for w in label] != [w[0] for w in expansion]):
        return name_ev
    said = " ".join(label)
    vetoes = tuple(Evidence("description", f"the description spells '{name}' out as '{said}', not "
                            f"'{' '.join(expansion)}'", e.pii_type, _VETO)
                   for e in name_ev if e.pii_type is not None and e.weight > 0)
    return name_ev + vetoes


def _setting_head(word: str, config: PiiConfig) -> bool:
    """Whether a table's head noun names kinds or settings (``table_context.setting_words``): the word itself
    (``type``, ``template``), or one glued after a word of at least four letters that opens with a word the
    vocabulary knows (``membershiptype``, ``usertype``; not ``prototype``, ``genotype``)."""
    words = config.table_setting_words
    if word in words:
        return True
    for setting in words:
        if word.endswith(setting) and len(word) - len(setting) >= 4:
            rest = word[: -len(setting)]
            if is_known_word(rest, config) or any(rest.startswith(w) for w in config.person_words if len(w) > 3) or any(
                    rest.startswith(w) for w in config.organisation_words if len(w) > 3):
                return True
    return False


# --------------------------------------------------------------------------------------------- semantic type


def _semantic_type(tokens: tuple[str, ...], family: str, entity: tuple[str, ...], tests: tuple[str, ...],
                   config: PiiConfig) -> str | None:
    if not tokens:
        return None
    sem = config.semantic
    test_names = {t.rsplit(".", 1)[-1].lower() for t in tests}
    last = tokens[-1]
    if {"unique", "not_null"} <= test_names or tokens in (("id",), ("pk",)) or last == "pk":
        return "primary_key"
    if entity and (last == "key" or last in sem["key_words"]) and len(tokens) >= 2 and (
            tokens[:-1] == entity or tokens[-2] == entity[-1]):
        return "primary_key"
    if "relationships" in test_names or (last in sem["key_words"] and len(tokens) > 1):
        return "foreign_key"
    if family in ("date", "timestamp") or last in sem["event_time_words"] or (
            last == "on" and len(tokens) > 1 and tokens[-2].endswith("ed")):
        return "event_time"
    if family not in ("string", "boolean", "date", "timestamp", "uuid", "binary", "semi") and (
            any(t in sem["metric_words"] for t in tokens) or tokens[0] in sem["metric_leading_words"]):
        return "metric"
    if last in sem["business_key_words"] or tokens == ("sku",):
        return "business_key"
    return None


# --------------------------------------------------------------------------------------------- explicit signals


def _lookup(meta: Mapping, path: tuple[str, ...]) -> Any:
    value: Any = meta
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


_TRUE = frozenset(("true", "yes", "y", "1"))
_FALSE = frozenset(("false", "no", "n", "0", "none"))


def _explicit(meta: Mapping, tags: Sequence[str], config: PiiConfig) -> tuple[list[Evidence], str | None, str | None,
                                                                              bool]:
    """Evidence from meta and tags and the verdict they force.

    Returns (evidence, verdict, signal, masked); verdict is ``"no"``, ``"yes:<type>"`` (type may be empty),
    ``"context"`` (marked sensitive, type unknown) or None. Precedence: meta no, meta yes (a stated type
    first, from meta or else from tags), tag no, tag yes, meta context.
    """
    out: list[Evidence] = []
    w = config.weights
    meta_no = meta_yes = meta_context = tag_no = tag_yes = masked = False
    meta_types: list[str] = []
    tag_types: list[str] = []

    def resolve(value: str) -> str | None:
        return config.type_aliases.get(_norm_type_name(value))

    if meta:
        for path in config.meta_flag_keys:
            value = _lookup(meta, path)
            if value is None:
                continue
            key, text = ".".join(path), str(value).strip().lower()
            if value is True or text in _TRUE:
                out.append(Evidence("meta", f"meta {key}: {value}", None, w["meta"]))
                meta_yes = True
            elif value is False or text in _FALSE:
                out.append(Evidence("meta", f"meta {key}: {value} (explicitly not PII)", None, _VETO))
                meta_no = True
            elif resolve(text):
                out.append(Evidence("meta", f"meta {key}: {value}", resolve(text), w["meta"]))
                meta_types.append(resolve(text))
            else:
                out.append(Evidence("meta", f"meta {key}: {value} (not a known PII type; read as yes)", None,
                                    w["meta"]))
                meta_yes = True
        for path in config.meta_type_keys:
            value = _lookup(meta, path)
            if value is None or value == "":
                continue
            key = ".".join(path)
            if resolve(str(value)):
                out.append(Evidence("meta", f"meta {key}: {value}", resolve(str(value)), w["meta"]))
                meta_types.append(resolve(str(value)))
            else:
                out.append(Evidence("meta", f"meta {key}: {value} (not a known PII type; read as yes)", None,
                                    w["meta"]))
                meta_yes = True
        for path in config.meta_level_keys:
            value = _lookup(meta, path)
            if value is None:
                continue
            key = ".".join(path)
            level = config.meta_levels.get(_norm_type_name(str(value)))
            if level == "yes":
                out.append(Evidence("meta", f"meta {key}: {value}", None, w["meta"]))
                meta_yes = True
            elif level == "no":
                out.append(Evidence("meta", f"meta {key}: {value} (explicitly not PII)", None, _VETO))
                meta_no = True
            elif level == "context":
                out.append(Evidence("meta", f"meta {key}: {value} (sensitive; the type comes from other signals)",
                                    None, 0.0))
                meta_context = True
            else:
                out.append(Evidence("meta", f"meta {key}: {value} (level not in the config; ignored)", None, 0.0))
        for path in config.meta_masking_keys:
            value = _lookup(meta, path)
            if value is None or value is False or str(value).strip().lower() in ("", "none", "false"):
                continue
            masked = meta_context = True
            out.append(Evidence("meta", f"meta {'.'.join(path)}: {value} (masked in the warehouse)", None, 0.0,
                                masked=True))
    for tag in tags or ():
        text = str(tag).strip().lower()
        if text in config.tag_negative:
            out.append(Evidence("tag", f"tag '{tag}' (explicitly not PII)", None, _VETO))
            tag_no = True
        elif text in config.tag_flags:
            out.append(Evidence("tag", f"tag '{tag}'", None, w["tag"]))
            tag_yes = True
        else:
            for prefix in config.tag_type_prefixes:
                if text.startswith(prefix) and resolve(text[len(prefix):]):
                    out.append(Evidence("tag", f"tag '{tag}'", resolve(text[len(prefix):]), w["tag"]))
                    tag_types.append(resolve(text[len(prefix):]))
                    break
    if meta_no:
        return out, "no", "meta", masked
    if meta_yes or meta_types:
        return out, "yes:" + (meta_types + tag_types + [""])[0], "meta", masked
    if tag_no:
        return out, "no", "tag", masked
    if tag_yes or tag_types:
        return out, "yes:" + (tag_types + [""])[0], "tag", masked
    if meta_context:
        return out, "context", "meta", masked
    return out, None, None, masked


# --------------------------------------------------------------------------------------------- classify


def _count_reading(name: str, family: str, entity: tuple[str, ...], abbreviation: str,
                   table: TableContext | None) -> str:
    """The name as a count (num_emails) when a leading n says one: n_emails, nPhoneNumbers, N_DOB in a number
    column, or in a table whose initial n is not (no type known); else the name itself. A single letter before a name
    is otherwise the table's initial (TPC-H's n_name in nation, c_phone in customer), so never in a text column or in
    a table starting with n."""
    count_n = _COUNT_N_RE.match(name) if name[:1] in "nN" else None
    if count_n is None:
        return name
    number = family in ("integer", "numeric") or family == "unknown" and table is not None and bool(entity)
    return "num_" + name[count_n.end():] if number and not _initial_n(entity, abbreviation, table) else name


def _initial_n(entity: tuple[str, ...], abbreviation: str, table: TableContext | None) -> bool:
    """A leading n is the table's initial (n_name in nation), not a number word."""
    return bool(entity) and entity[0][:1] == "n" or abbreviation == "n" or (table is not None and table.prefix == "n")


def _number_first(name: str, family: str, entity: tuple[str, ...], abbreviation: str, table: TableContext | None,
                  config: PiiConfig) -> str:
    """The name with a leading number word moved after the thing it numbers (num_pasaporte: pasaporte number), or
    written whole before a phrase the vocabulary opens with it (num_exterior varchar: numero exterior), when the
    name says the thing's number, as languages that write the number word first do; else the name itself.

    The thing is the next word, singular, naming a numbered type's value (a document, a phone, an account: the
    count of them would be plural, num_telefonos), in a column that is no number (an integer num_telefono is a
    count) and no flag. English writes the number word after (phone_number), so before a word of its own (an
    English word of four letters or more, telephone, or one abbreviating its reading, lic of license) the number
    word is a count or a flag (num_phone, no_telephone), unless the column holds text, the number word is a
    number's (no and n are also a flag's and a count's) and the word names the value itself (num_passport varchar,
    not num_tax); before a word the vocabulary reads as another (pasaporte, telp, rekening, tel: words of other
    languages) it is the number."""
    words = name_readings(name, config)[0]
    if len(words) < 2 or words[0] not in config.number_first or (
            words[0] == "n" and _initial_n(entity, abbreviation, table)):
        return name
    thing = words[1]
    if singular(thing, config) != thing:
        return name
    reading = config.aliases.get(thing)
    english = reading is None or _abbreviates(thing, " ".join(reading)) or (
        len(thing) > 3 and english_log_frequencies().get(thing, -99.0) >= COMMON_WORD_LOG)
    number = config.aliases.get(words[0]) == ("number",)
    if english and (family != "string" or not number):
        return name
    if number:
        # num_exterior varchar: a phrase the vocabulary writes with the number word first and whole (numero exterior)
        found, _ = _longest_match(config.trie, match_tokens(("numero", *words[1:]), config), 0)
        if found is not None and found.pii_type is not None:
            return "_".join(("numero", *words[1:]))
    # the thing is the value's own word (phone, passport; in another language with the number word, documento),
    # not a word saying which (num_tax, num_birth)
    found, _ = _longest_match(config.trie, match_tokens(words[1:] if english else (*words[1:], "number"), config),
                              0)
    if found is None or found.pii_type is None or not config.rules[found.pii_type].numbered:
        return name
    return "_".join((*words[1:], "number"))


def _abbreviates(word: str, reading: str) -> bool:
    """The word is its reading glued (cellphone) or keeps, in four letters at most, its reading's first letter and
    some of its letters in order (lic license, mob mobile, cont contact): English written short, not a word of
    another language (pasaporte, paspor, telp, gsm)."""
    glued = reading.replace(" ", "")
    return word == glued or len(word) <= 4 and word[0] == glued[0] and _subsequence(word, glued)


def classify_column(
    *,
    name: str,
    data_type: str | None,
    description: str | None,
    meta: Mapping | None,
    tags: Sequence[str] | None,
    config: PiiConfig,
    auto_detect: bool = True,
    tests: Sequence[str] = (),
    capsule_name: str | None = None,
    capsule_meta: Mapping | None = None,
    table: TableContext | None = None,
    extra_evidence: Sequence[Evidence] = (),
) -> Classification:
    """Classify one column: which PII type it holds (if any), how sure we are and why, and its semantic type.

    1. Explicit signals decide when present: a steward's ``Evidence(signal="steward")`` in ``extra_evidence``,
       then meta (``pii: false`` is a firm no that beats names), then tags. A bare yes takes its type from
       the inferred signals, else ``personal_data``.
    2. Otherwise (and only with ``auto_detect``) the name's tokens, the description and the data type are
       scored, together with any ``Evidence(signal="lineage")`` from upstream columns; the best candidate
       at or above ``config.threshold`` wins. Candidates below it, and vetoed ones, stay in the evidence.
    3. The semantic type comes from the name, data type, ``tests`` (dbt test names) and the capsule's entity.

    Memoises per name, description, data type and capsule; a call costs a few microseconds when warm.
    """
    if table is not None:
        capsule_kind, entity, messages, why = table.kind, table.entity, table.messages, table.reason
        health, place = table.health, table.place
    else:
        (capsule_kind, entity), messages, why, health = _capsule_facts(capsule_name, config), False, "", False
        place = False
    # whose a description-only value is: an organisation's in a table about organisations (res_bank's "VAT code"),
    # the keeper's in a table of settings or templates (mail_template's bcc "comma separated addresses")
    settings = table.settings if table is not None else (
        bool(description) and capsule_kind != "person" and _settings_table(entity, config))
    organisation = _ORGANISATION_CAPSULE if capsule_kind == "organisation" else _SETTINGS_TABLE if settings else ""
    family = _type_family(data_type, config)
    if family == "unknown" and data_type and _names_object(data_type, name):
        family = "reference"
    type_hint_family = None

    abbreviation = _initials(entity)
    reading = _count_reading(name, family, entity, abbreviation, table)
    if reading[:1] in "nN" and family in ("string", "unknown"):  # (most names: no number word first)
        reading = _number_first(reading, family, entity, abbreviation, table, config)
    tokens, name_ev, rejected_lookalike = _name_evidence(reading, capsule_kind, abbreviation, config, messages, why,
                                                         health,
                                                         entity[-1] if entity and not (table and table.activity)
                                                         and entity[-1] not in config.table_activity_words
                                                         else None,
                                                         table.prefix if table is not None else "",
                                                         table is not None and table.calls,
                                                         table is not None and table.own_organisation,
                                                         table is not None and table.logins,
                                                         table.person_owners if table is not None else frozenset(),
                                                         table.rows if table is not None else "",
                                                         family == "reference", table is not None and table.firm)
    facts = _description_facts(description, config) if description else None
    if facts is not None and name_ev and name.lower() in config.aliases:
        name_ev = _respelled(name_ev, name.lower(), description, config)
    if facts and facts.type_hint and family == "unknown":
        type_hint_family = _HINT_FAMILIES.get(facts.type_hint)
        family = type_hint_family or family
    semantic = _semantic(tokens, family, entity, tests, config)
    # an opaque name in a date or number column is an event time or a metric by its type alone, which a
    # description saying a birth date or an age may correct (a name saying created_at or order_count may not)
    typed_only = semantic in ("event_time", "metric") and facts is not None and bool(facts.hits) and (
        _semantic(tokens, "unknown", entity, tests, config) != semantic)

    held_in = _held_in(data_type, config)
    if not name_ev and not (facts and facts.hits) and not meta and not tags and not extra_evidence and not held_in:
        return _UNWEIGHED[semantic]  # most columns: nothing to weigh
    if meta or tags or extra_evidence or capsule_meta:
        return _weigh(name_ev, tokens, rejected_lookalike, facts, family, type_hint_family, semantic, held_in,
                      data_type, place, auto_detect, meta, tags, extra_evidence, capsule_meta, config, organisation,
                      typed_only)
    # Nothing but the column's own name, description and type: the name's evidence already holds all that the
    # table says of it, so columns that repeat these (the same name in many tables) share one verdict.
    key = (name_ev, tokens, rejected_lookalike, description, data_type, semantic, place, auto_detect, organisation,
           typed_only)
    verdicts = config._verdicts
    found = verdicts.get(key)
    if found is None:
        if len(verdicts) > _CACHE_LIMIT:
            verdicts.clear()
        verdicts[key] = found = _weigh(name_ev, tokens, rejected_lookalike, facts, family, type_hint_family,
                                       semantic, held_in, data_type, place, auto_detect, None, None, (), None,
                                       config, organisation, typed_only)
    return found


def _weigh(name_ev: tuple[Evidence, ...], tokens: tuple[str, ...], rejected_lookalike: bool,
           facts: _DescriptionFacts | None, family: str, type_hint_family: str | None, semantic: str | None,
           held_in: str | None, data_type: str | None, place: bool, auto_detect: bool, meta: Mapping | None,
           tags: Sequence[str] | None, extra_evidence: Sequence[Evidence], capsule_meta: Mapping | None,
           config: PiiConfig, organisation: str = "", typed_only: bool = False) -> Classification:
    """The verdict of a column with something to weigh (``classify_column``'s steps 1 and 2), from the name's
    evidence, the description's facts and the data type's family. ``organisation``, when not empty, says whose a
    value the description alone names is (an organisation's, a table of settings' keeper's)."""
    w = config.weights
    evidence: list[Evidence] = []
    explicit, verdict, verdict_signal, meta_masked = _explicit(meta or {}, tags or (), config)
    evidence.extend(explicit)
    steward = [e for e in extra_evidence if e.signal == "steward"]
    lineage = [e for e in extra_evidence if e.signal == "lineage"]
    evidence.extend(steward)
    if steward:
        decision = max(steward, key=lambda e: abs(e.weight))
        verdict = f"yes:{decision.pii_type or ''}" if decision.weight > 0 else "no"
        verdict_signal = "steward"

    # Inferred candidates: type -> list of evidence
    inferred: dict[str, list[Evidence]] = {}
    # With detection off, names still name the type of a column declared PII without one.
    use_inferred = auto_detect or verdict == "yes:"
    if use_inferred:
        for e in name_ev:
            evidence.append(e)
            if e.pii_type is not None:
                inferred.setdefault(e.pii_type, []).append(e)
        if facts:
            name_blocks_description = rejected_lookalike or semantic in ("primary_key", "foreign_key") or (
                semantic in ("event_time", "metric") and not typed_only) or (tokens and tokens[0] in ("is", "has")) or (
                len(tokens) > 1 and tokens[-1] in config.suffix_veto)  # accommodation_type: a kind, not the value
            if facts.against:
                for e in [e for e in evidence if e.signal == "name" and e.weight > 0]:
                    lowered = Evidence("description", f"the description reads as '{facts.against}...', so the "
                                       f"name match is weaker", e.pii_type,
                                       round(-e.weight * (1 - w["description_against"]), 4))
                    evidence.append(lowered)
                    inferred.setdefault(e.pii_type, []).append(lowered)
            seen: set[tuple[str, bool]] = set()
            for hit in facts.hits:
                pii_type, phrase, reason = hit.pii_type, hit.phrase, hit.reason
                if (pii_type, reason is None) in seen:
                    continue
                seen.add((pii_type, reason is None))
                vetoed_by_name = any(e.weight == _VETO for e in inferred.get(pii_type, ()))
                name_ev_for_type = [e for e in inferred.get(pii_type, ()) if e.signal == "name" and e.weight > 0]
                if reason is None and not name_ev_for_type and (name_blocks_description or vetoed_by_name):
                    why = ("the name rules it out" if vetoed_by_name or rejected_lookalike
                           else f"the name reads as {semantic or 'a flag'}")
                    reason = f"{why}; a description alone does not override it"
                if reason is None and place and name_ev_for_type and all(_ORGANISATION_CAPSULE in e.detail
                                                                         for e in name_ev_for_type):
                    # postal_code "postal code" in postal_codes: the description repeats what the name says, not
                    # whose it is, and the table says each row is a place
                    reason = "it repeats the name, and the table's rows are places"
                against_words = config.rules[pii_type].name_words_against
                if reason is None and not name_ev_for_type and against_words and not against_words.isdisjoint(tokens):
                    word = next(t for t in tokens if t in against_words)
                    reason = f"the name says the column holds a {word}, which is not the {pii_type} itself"
                if reason:
                    evidence.append(Evidence("description", f"description mentions '{phrase}', but {reason}",
                                             pii_type, 0.0))
                    if hit.counters_name and name_ev_for_type and not facts.against:
                        top = max(e.weight for e in name_ev_for_type)
                        e = Evidence("description", f"the description speaks of '{phrase}' but {reason}, so the "
                                     "name match is weaker", pii_type, round(-top * (1 - w["description_against"]), 4))
                        evidence.append(e)
                        inferred[pii_type].append(e)
                    continue
                sensitive = config.rules[pii_type].organisation_sensitive
                # (a template's email setting is its keeper's too: email is sensitive to an owner word only)
                if organisation and not name_ev_for_type and (
                        sensitive is True or (sensitive and organisation == _SETTINGS_TABLE)):
                    # res_bank's vat "VAT code": a description alone names the value, the table says whose it is, as
                    # it does for a name (an organisation's phone, address, tax number)
                    e = Evidence("description", f"description mentions '{phrase}'; {organisation}",
                                 pii_type, round(w["description"] * w["organisation"], 4), masked=hit.masked)
                else:
                    e = Evidence("description", f"description mentions '{phrase}'", pii_type, w["description"],
                                 masked=hit.masked)
                evidence.append(e)
                inferred.setdefault(pii_type, []).append(e)
    for e in lineage:
        evidence.append(e)
        if e.pii_type:
            inferred.setdefault(e.pii_type, []).append(e)
    # The SQL copying the value unchanged is a fact; a name that reads like a lookalike is a guess
    # (email_send_email selected as `s.email as email_send_email`). The data type can still veto.
    copied = {e.pii_type for e in lineage if e.weight > 0 and e.transformation in COPY_TRANSFORMATIONS}
    for pii_type in copied:
        for i, e in enumerate(inferred[pii_type]):
            if e.weight == _VETO and e.signal in ("name", "description"):
                softened = Evidence(e.signal, f"{e.detail} (set aside: the SQL copies the value unchanged)", pii_type,
                                    0.0)
                inferred[pii_type][i] = softened
                evidence[evidence.index(e)] = softened

    if held_in and use_inferred and semantic not in ("primary_key", "foreign_key"):
        # inet, macaddr: the data type itself says what the values are; the name may still say whose they are
        # (nas_ip_address, server_addr: a network element's, so the type only supports the name)
        label = config.types[held_in].label
        whose = config.rules[held_in].organisation_sensitive and any(
            e.weight > 0 and _ORGANISATION_OWNER in e.detail for e in name_ev)
        e = Evidence("type", f"type '{data_type}' holds {held_in} values ({label})"
                     + (", but the name says an organisation's" if whose else ""), held_in,
                     w["type_support"] if whose else w["strong"])
        evidence.append(e)
        for pii_type in [t for t in inferred if t != held_in]:
            veto = Evidence("type", f"type '{data_type}' holds {held_in} values, not {pii_type}", pii_type, _VETO)
            evidence.append(veto)
            inferred[pii_type].append(veto)
        inferred.setdefault(held_in, []).append(e)
    # Data type: veto or support each candidate (inferred signals only).
    if family != "unknown":
        source = f"type '{data_type}'" if not type_hint_family else f"type '{facts.type_hint}' (from the description)"
        for pii_type in list(inferred):
            rule = config.rules[pii_type]
            if rule.data_types and family not in rule.data_types and not (
                    family in ("date", "timestamp") and facts and any(
                        h.dated and h.reason is None and h.pii_type == pii_type for h in facts.hits)):
                e = Evidence("type", f"{source} ({family}) is not compatible with {pii_type}", pii_type, _VETO)
                evidence.append(e)
                inferred[pii_type].append(e)
            elif family in rule.typical_data_types:
                e = Evidence("type", f"{source} is typical for {pii_type}", pii_type, w["type_support"])
                evidence.append(e)
                inferred[pii_type].append(e)

    scores = {pii_type: _score(items, config) for pii_type, items in inferred.items()}
    if capsule_meta:
        flag = next((_lookup(capsule_meta, p) for p in config.meta_flag_keys if _lookup(capsule_meta, p) is not None),
                    None)
        if flag is not None and scores:
            text = str(flag).strip().lower()
            bump = w["capsule_contains_pii"] if (flag is True or text in _TRUE) else (
                w["capsule_no_pii"] if (flag is False or text in _FALSE) else 0.0)
            if bump:
                evidence.append(Evidence("meta", f"capsule meta says contains PII: {flag}", None, bump))
                scores = {k: max(0.0, min(0.99, v + bump)) if v > 0 else v for k, v in scores.items()}

    # Lineage never overrides the column's own evidence: when its own signals already name a type, the
    # winner is among those (an `age` computed from a birth date is an age, with the lineage on record).
    own_types: set[str] = set()
    if lineage:
        for pii_type, items in inferred.items():
            if _score([e for e in items if e.signal != "lineage"], config) >= config.threshold:
                own_types.add(pii_type)
    best_type, best_score = None, 0.0
    for pii_type, score in scores.items():
        if score > best_score and (not own_types or pii_type in own_types):
            best_type, best_score = pii_type, score

    evidence.sort(key=lambda e: (_SIGNAL_RANK.get(e.signal, 9), -e.weight))
    ev = tuple(evidence)

    if verdict == "no":
        return Classification(None, 0.0, ev, verdict_signal, semantic, meta_masked)
    if verdict is not None and verdict.startswith("yes:"):
        pii_type = verdict[4:] or (best_type if best_type and best_score > 0 else None) or "personal_data"
        confidence = 1.0 if verdict_signal in ("steward", "meta") else w["tag"]
        masked = meta_masked or _masked(inferred.get(pii_type, ()))
        return Classification(pii_type, confidence, ev, verdict_signal, _suppress(semantic, pii_type, config),
                              masked)
    if verdict == "context":
        if best_type and best_score > 0:
            confidence = max(best_score, 0.75)
            return Classification(best_type, round(confidence, 4), ev, "meta",
                                  _suppress(semantic, best_type, config),
                                  meta_masked or _masked(inferred[best_type]))
        return Classification("personal_data", 0.7, ev, "meta", semantic, meta_masked)
    if best_type is not None and best_score >= config.threshold:
        decider = max((e for e in inferred[best_type] if e.weight > 0), key=lambda e: e.weight)
        return Classification(best_type, round(best_score, 4), ev, decider.signal,
                              _suppress(semantic, best_type, config), _masked(inferred[best_type]))
    return Classification(None, round(best_score, 4), ev, None, semantic, False)


# The verdict of a column with nothing to weigh, one per semantic type: shared (a Classification is frozen), since
# building one costs more than the rest of such a column's classification.
_UNWEIGHED = {semantic: Classification(None, 0.0, (), None, semantic, False) for semantic in (None, *SEMANTIC_TYPES)}


def _score(items: list[Evidence], config: PiiConfig) -> float:
    """Combine the evidence for one type: a veto wins; else the strongest signal, plus a bonus when two
    different signals agree, plus small supports and minus soft penalties."""
    if any(e.weight == _VETO for e in items):
        return 0.0
    support = config.weights["type_support"]
    # A type evidence above the support weight is a data type that holds the value itself (inet): a signal.
    positive = [e for e in items if e.weight > 0 and (e.signal != "type" or e.weight > support)]
    if not positive:
        return 0.0
    best = max(e.weight for e in positive)
    signals = {e.signal for e in positive}
    score = best + (config.weights["agree"] if len(signals) > 1 else 0.0)
    score += sum(e.weight for e in items if e.signal == "type" and 0 < e.weight <= support)
    score += sum(e.weight for e in items if e.weight < 0)
    return max(0.0, min(0.99, score))


@functools.lru_cache(maxsize=4096)
def _initials(entity: tuple[str, ...]) -> str:
    """A table's initials (ca for customer_address): its columns may start with them. Once per table name."""
    return "".join(word[0] for word in entity) if len(entity) > 1 else ""


def _masked(items: Iterable[Evidence]) -> bool:
    """Masked when the column's own signals say so (email_hash, a masking policy), or when every lineage
    path that brings the value in is hashed: one raw copy among hashed ones leaves the value readable."""
    positive = [e for e in items if e.weight > 0]
    if any(e.masked for e in positive if e.signal != "lineage"):
        return True
    lineage = [e for e in positive if e.signal == "lineage"]
    return bool(lineage) and all(e.masked for e in lineage)


def _semantic(tokens: tuple[str, ...], family: str, entity: tuple[str, ...], tests: Sequence[str],
              config: PiiConfig) -> str | None:
    if not (len(tokens) >= 2 and (tokens[-1] == "key" or tokens[-1] in config.semantic["key_words"])):
        entity = ()  # the table's words only tell its own key (customer_id in customers): one memo entry per name
    key = (tokens, family, entity, tuple(tests))
    cached = config._semantics.get(key, False)
    if cached is not False:
        return cached
    if len(config._semantics) > _CACHE_LIMIT:
        config._semantics.clear()
    config._semantics[key] = result = _semantic_type(tokens, family, entity, tuple(tests), config)
    return result


def _suppress(semantic: str | None, pii_type: str, config: PiiConfig) -> str | None:
    """A PII value is not a business key or a metric; a birth date is not an event time."""
    if semantic in ("business_key", "metric") and config.rules[pii_type].kind == "value":
        return None
    if semantic == "event_time" and pii_type == "date_of_birth":
        return None
    return semantic
