"""Write use-cases of the catalog."""

from __future__ import annotations

import functools
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.dispatch import Signal
from django.utils import timezone

from catalog.choices import PiiDecision
from catalog.models import Capsule, Column
from catalog.pii import Classification, Evidence, PiiConfig, classify_column, default_pii_config, load_pii_config
from dab_project.bulk import bulk_update, json_text


@dataclass(frozen=True, slots=True)
class LineageStatusUpdate:
    """A capsule's column-lineage status and the reason when it is not fully parsed."""

    capsule_id: Any
    status: str
    error: str | None = None


def capsules_set_lineage_status(*, updates: Iterable[LineageStatusUpdate]) -> int:
    """Set ``lineage_status`` and ``lineage_error`` of many capsules; returns how many updates were sent.

    On PostgreSQL the rows are COPYed into a temporary table and applied with one UPDATE; elsewhere in
    batched UPDATEs. Must run inside the caller's transaction.
    """
    rows = [(u.capsule_id, u.status, u.error) for u in updates]
    return bulk_update(Capsule._meta.db_table, ("lineage_status", "lineage_error"), rows)


# ---------------------------------------------------------------------------------------------------------------------
# PII classification of columns and stewards' decisions (issue #6). Pure classification is in catalog/pii.py;
# propagation along column lineage is lineage/pii.py, which writes its results through ``columns_pii_write``.

PII_WRITE_FIELDS = ("pii_type", "pii_detected_by", "pii_confidence", "pii_evidence", "pii_masked", "semantic_type")
# Sent after stewards' decisions were stored, with ``column_ids``: lineage re-propagates PII from them.
pii_decisions_changed = Signal()


@functools.cache
def _pii_config_at(path: str) -> PiiConfig:
    return load_pii_config(path)


def pii_config() -> PiiConfig:
    """The PII config at PII_CONFIG_PATH (default config/pii.yaml), compiled once per process."""
    path = getattr(settings, "PII_CONFIG_PATH", None)
    return _pii_config_at(str(path)) if path else default_pii_config()


class ColumnFacts(NamedTuple):
    """What a column's own classification reads: its dbt facts and its capsule's name and meta.

    A NamedTuple, not a frozen dataclass: hundreds of thousands are made per ingestion and tuples are built
    several times faster."""

    name: str
    data_type: str | None = None
    description: str | None = None
    meta: Mapping[str, Any] | None = None
    tags: Sequence[str] = ()
    tests: Sequence[str] = ()
    capsule_name: str | None = None
    capsule_meta: Mapping[str, Any] | None = None


def pii_steward_evidence(
    *, decision: str | None, decided_type: str | None, decided_by: str | None, decided_at: Any, note: str | None
) -> tuple[Evidence, ...]:
    """A stored steward decision as the classifier's strongest evidence (empty when there is none).

    A confirmation carries the steward's type; a rejection is a veto whatever the detector says.
    """
    if decision not in (PiiDecision.CONFIRMED, PiiDecision.REJECTED):
        return ()
    when = str(decided_at)[:10] if decided_at else None
    who = " ".join(part for part in (f"by {decided_by}" if decided_by else "", f"on {when}" if when else "") if part)
    said = f"confirmed as {decided_type or 'personal data'}" if decision == PiiDecision.CONFIRMED else "rejected"
    detail = f"steward {said}" + (f" {who}" if who else "") + (f": {note.strip()}" if note and note.strip() else "")
    if decision == PiiDecision.CONFIRMED:
        return (Evidence("steward", detail, decided_type or None, 1.0),)
    return (Evidence("steward", detail, None, -1.0),)


def pii_column_classify(
    *,
    facts: ColumnFacts,
    config: PiiConfig,
    auto_detect: bool,
    steward: Sequence[Evidence] = (),
    lineage: Sequence[Evidence] = (),
) -> Classification:
    """Classify one column from its own facts, a steward's decision and lineage evidence (see catalog/pii.py)."""
    return classify_column(
        name=facts.name, data_type=facts.data_type, description=facts.description, meta=facts.meta,
        tags=facts.tags, config=config, auto_detect=auto_detect, tests=facts.tests, capsule_name=facts.capsule_name,
        capsule_meta=facts.capsule_meta, extra_evidence=(*steward, *lineage),
    )  # fmt: skip


# (pii_type, pii_detected_by, pii_confidence, pii_evidence as a list of dicts, pii_masked, semantic_type)
PiiValues = tuple[str | None, str | None, float | None, list[dict[str, Any]], bool, str | None]


def pii_values(classification: Classification) -> PiiValues:
    """The stored form of a classification; confidence is None when nothing was even considered."""
    confidence = classification.confidence if (classification.pii_type or classification.confidence) else None
    return (
        classification.pii_type,
        classification.detected_by,
        confidence,
        [e.as_dict() for e in classification.evidence],
        bool(classification.masked and classification.pii_type),
        classification.semantic_type,
    )


def columns_pii_write(*, rows: Iterable[tuple[Any, PiiValues]]) -> int:
    """Store classifications in bulk: ``rows`` are (column id, values from ``pii_values``).

    COPY into a temporary table and one UPDATE on PostgreSQL; batched UPDATEs elsewhere. Must run inside
    the caller's transaction. Never touches the steward's decision fields. Returns how many rows were sent.
    """
    encoded = (
        (pk, pii_type, detected_by, confidence, json_text(evidence), masked, semantic)
        for pk, (pii_type, detected_by, confidence, evidence, masked, semantic) in rows
    )
    return bulk_update(Column._meta.db_table, PII_WRITE_FIELDS, encoded)


def _json_or(text: Any, empty: Any) -> Any:
    """JSON read as text (PostgreSQL casts, SQLite stores text); the common empty values skip the decoder."""
    if text is None or text in ("{}", "[]", ""):
        return empty
    if isinstance(text, str | bytes):
        return orjson.loads(text)
    return text


def _sql_id(pk: Any) -> str:
    """A UUID key as raw SQL compares it: text on PostgreSQL, 32 hex characters on SQLite (Django's storage)."""
    if connection.vendor == "postgresql":
        return str(pk)
    return pk.hex if hasattr(pk, "hex") else str(pk).replace("-", "")


class _JsonLists(dict):
    """JSON lists of strings (tags, test names) decoded to tuples, memoised: a project repeats a few dozen."""

    def __missing__(self, text: Any) -> tuple:
        value = tuple(_json_or(text, ()))
        if len(self) < 50_000:
            self[text] = value
        return value


class StoredColumn(NamedTuple):
    """One column as the PII steps read it: its facts, its stored classification and any steward decision.

    ``values`` is the stored form (see ``pii_values``) except that empty evidence reads as None (the query
    returns NULL for it, which skips decoding most rows).
    """

    pk: Any
    capsule_pk: Any
    facts: ColumnFacts
    values: tuple[str | None, str | None, float | None, list | None, bool, str | None]
    steward: tuple[Evidence, ...]
    urn: str

    def lineage_evidence(self) -> tuple[Evidence, ...]:
        """The lineage evidence of the stored classification (propagation's last result)."""
        return _lineage_of(self.values[3])

    def unchanged(self, new: PiiValues) -> bool:
        return _unchanged(self.values, new)


def _lineage_of(evidence: list | None) -> tuple[Evidence, ...]:
    return tuple(Evidence.from_dict(e) for e in evidence or () if e.get("signal") == "lineage")


def _unchanged(old: tuple, new: PiiValues) -> bool:
    return (
        old[0] == new[0] and old[1] == new[1] and old[2] == new[2] and old[4] == new[4] and old[5] == new[5]
        and (old[3] or []) == new[3]
    )  # fmt: skip


def _column_select_sql(where: str) -> str:
    """One SELECT of everything the PII steps need per column; JSON and ids come back as text (cheap to read)."""
    if connection.vendor == "postgresql":
        text, empty_evidence = "::text", "'[]'::jsonb"
    else:
        text, empty_evidence = "", "'[]'"
    return (
        f"SELECT c.id{text}, c.capsule_id{text}, c.name, c.data_type, c.description, c.meta{text}, c.tags{text},"
        f" c.tests{text}, c.pii_type, c.pii_detected_by, c.pii_confidence, c.pii_masked, c.semantic_type,"
        f" CASE WHEN c.pii_evidence = {empty_evidence} THEN NULL ELSE c.pii_evidence{text} END,"
        f" c.pii_decision, c.pii_decided_type, c.pii_decided_by, c.pii_decided_at, c.pii_decision_note, c.urn"
        f" FROM {Column._meta.db_table} c {where}"
    )


def _capsule_facts_read(where: str, params: Sequence[Any]) -> dict[Any, tuple[str, Any]]:
    """{capsule id as text: (name, meta)} for the capsules matching ``where`` (SQL over alias ``k``)."""
    text = "::text" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT k.id{text}, k.name, k.meta{text} FROM {Capsule._meta.db_table} k {where}", list(params))
        return {pk: (name, _json_or(meta, None)) for pk, name, meta in cursor.fetchall()}


def _column_rows(where: str, params: Sequence[Any]):
    """The raw rows of ``_column_select_sql`` in batches (a server-side fetch would hold no fewer rows)."""
    with connection.cursor() as cursor:
        cursor.execute(_column_select_sql(where), list(params))
        while batch := cursor.fetchmany(20_000):
            yield batch


def pii_columns_read(*, where: str, params: Sequence[Any], capsule_where: str, capsule_params: Sequence[Any]):
    """Yield ``StoredColumn`` for the columns matching ``where`` (SQL over alias ``c``), whose capsules
    match ``capsule_where`` (SQL over alias ``k``). Two queries; ids are text, as the bulk writers take them."""
    capsules = _capsule_facts_read(capsule_where, capsule_params)
    lists = _JsonLists()
    for batch in _column_rows(where, params):
        for row in batch:
            (pk, capsule_pk, name, data_type, description, meta, tags, tests, pii_type, detected_by, confidence,
             masked, semantic, evidence, decision, decided_type, decided_by, decided_at, note, urn) = row
            capsule_name, capsule_meta = capsules.get(capsule_pk, (None, None))
            steward = () if decision is None else pii_steward_evidence(
                decision=decision, decided_type=decided_type, decided_by=decided_by, decided_at=decided_at, note=note,
            )
            yield StoredColumn(
                pk, capsule_pk,
                ColumnFacts(name, data_type, description, _json_or(meta, None), lists[tags], lists[tests],
                            capsule_name, capsule_meta),
                (pii_type, detected_by, confidence, _json_or(evidence, None), bool(masked), semantic),
                steward, urn,
            )  # fmt: skip


def pii_columns_by_ids(*, ids: Sequence[str]):
    """Yield ``StoredColumn`` for the given column ids (as ``_sql_id`` spells them), a few thousand per query."""
    size = 20_000 if connection.vendor == "postgresql" else 900
    table = Column._meta.db_table
    for start in range(0, len(ids), size):
        chunk = list(ids[start : start + size])
        if connection.vendor == "postgresql":
            where, params = "WHERE c.id = ANY(%s::uuid[])", [chunk]
        else:
            where, params = f"WHERE c.id IN ({', '.join(['%s'] * len(chunk))})", chunk
        capsule_where = f"WHERE k.id IN (SELECT c.capsule_id FROM {table} c {where})"
        yield from pii_columns_read(where=where, params=params, capsule_where=capsule_where, capsule_params=params)


@dataclass(frozen=True, slots=True)
class PiiClassifyRun:
    """What one classification run did; ``as_dict`` is the step's stats in the ingestion job."""

    columns: int  # classified this run
    pii: int  # PII columns of the project (or catalog) after the run, rejected ones excluded
    masked: int
    written: int
    decisions: int  # steward decisions among the classified columns
    by_signal: dict[str, int]
    detection_enabled: bool
    seconds: float
    capsules: int = 0
    capsules_skipped: int = 0  # unchanged since their columns were classified with this config

    def as_dict(self) -> dict[str, Any]:
        return {
            "capsules": self.capsules,
            "capsules_unchanged": self.capsules_skipped,
            "columns": self.columns,
            "pii": self.pii,
            "masked": self.masked,
            "written": self.written,
            "steward_decisions": self.decisions,
            "by_signal": self.by_signal,
            "detection_enabled": self.detection_enabled,
            "seconds": round(self.seconds, 3),
        }


PII_FINGERPRINT_KEY = "pii_fingerprint"  # in Capsule.attributes: what its columns were last classified from


def pii_config_fingerprint(*, config: PiiConfig, auto_detect: bool) -> str:
    """What classification depends on besides a capsule's own facts: the config file, the classifier's code
    and the detection switch. Editing a pattern or upgrading DAB changes it, so every column is re-checked."""
    import catalog.pii

    digest = hashlib.md5(usedforsecurity=False)
    for path in (config.path, catalog.pii.__file__):
        try:
            digest.update(Path(path).read_bytes())
        except OSError:
            digest.update(str(path).encode())
    digest.update(b"detect" if auto_detect else b"declared-only")
    return digest.hexdigest()


def _capsule_fingerprint(config_fingerprint: str, content_hash: str | None, columns_hash: str | None) -> str | None:
    if not content_hash or not columns_hash:
        return None  # rows made outside the loader have no hashes: always classify them
    key = f"{config_fingerprint}|{content_hash}|{columns_hash}".encode()
    return hashlib.md5(key, usedforsecurity=False).hexdigest()


def _capsule_states_read(where: str, params: Sequence[Any]) -> dict[Any, tuple[str, Any, str | None, str | None]]:
    """{capsule id as text: (name, meta, content_hash + columns_hash as one key or None, stored PII fingerprint)}."""
    if connection.vendor == "postgresql":
        text, stored = "::text", f"k.attributes->>'{PII_FINGERPRINT_KEY}'"
    else:
        text, stored = "", f"json_extract(k.attributes, '$.{PII_FINGERPRINT_KEY}')"
    sql = (f"SELECT k.id{text}, k.name, k.meta{text}, k.content_hash, k.columns_hash, {stored}"
           f" FROM {Capsule._meta.db_table} k {where}")
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return {pk: (name, _json_or(meta, None), content_hash, columns_hash, fingerprint)
                for pk, name, meta, content_hash, columns_hash, fingerprint in cursor.fetchall()}


def _capsules_set_pii_fingerprint(rows: list[tuple[str, str]]) -> None:
    """Record each capsule's PII fingerprint in ``attributes`` (other keys kept): COPY + one UPDATE on
    PostgreSQL, batched UPDATEs elsewhere."""
    if not rows:
        return
    table = connection.ops.quote_name(Capsule._meta.db_table)
    key = PII_FINGERPRINT_KEY
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE TEMPORARY TABLE _dab_pii_fp (id uuid, fp text) ON COMMIT DROP")
            with cursor.cursor.copy("COPY _dab_pii_fp (id, fp) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"UPDATE {table} c SET attributes = c.attributes || jsonb_build_object('{key}', u.fp)"
                           " FROM _dab_pii_fp u WHERE c.id = u.id")
            cursor.execute("DROP TABLE _dab_pii_fp")
            return
        sql = f"UPDATE {table} SET attributes = json_set(attributes, '$.{key}', %s) WHERE id = %s"
        for start in range(0, len(rows), 2000):
            cursor.executemany(sql, [(fp, pk) for pk, fp in rows[start : start + 2000]])


def _ids_where(ids: list[str], column: str) -> list[tuple[str, list[Any]]]:
    """``column IN ids`` as (SQL, params) pieces small enough for the database."""
    if connection.vendor == "postgresql":
        return [(f"WHERE {column} = ANY(%s::uuid[])", [ids])]
    return [(f"WHERE {column} IN ({', '.join(['%s'] * len(chunk))})", chunk)
            for chunk in (ids[i : i + 900] for i in range(0, len(ids), 900))]


def pii_classify_columns(
    *, source_system_id: Any = None, config: PiiConfig | None = None, auto_detect: bool | None = None,
    force: bool = False, progress: Callable[[str], None] = lambda message: None,
) -> PiiClassifyRun:
    """Classify every column of one dbt project (``source_system_id``), or of the whole catalog when None.

    1. Read the capsules' facts and fingerprints. A capsule whose content and columns hashes (the loader's)
       and the config fingerprint (``pii_config_fingerprint``) are those its columns were last classified
       from is skipped: nothing it depends on changed. ``force`` (and a whole-catalog run) classifies all.
    2. Read the other capsules' columns: facts, stored classification and steward decision (JSON as text).
    3. Classify each (catalog/pii.py) with the steward's decision as evidence; lineage evidence stored by
       the last propagation is carried over unchanged (lineage/pii.py recomputes it right after).
    4. Write only the rows whose classification changed (one bulk update), then the capsules' fingerprints.
    5. Count the project's PII columns for the stats (one GROUP BY).

    ``auto_detect`` defaults to PII_DETECTION_ENABLED: off, only meta, tags and stewards count. Must run
    inside a transaction. About 3 s of CPU for 376,000 columns to classify; 0.1 s when nothing changed.
    """
    started = time.perf_counter()
    config = config or pii_config()
    auto_detect = settings.PII_DETECTION_ENABLED if auto_detect is None else auto_detect
    table = Capsule._meta.db_table
    if source_system_id is None:
        force = True
        capsule_where, capsule_params = "", []
    else:
        capsule_where, capsule_params = "WHERE k.source_system_id = %s", [_sql_id(source_system_id)]
    capsules = _capsule_states_read(capsule_where, capsule_params)
    config_fingerprint = pii_config_fingerprint(config=config, auto_detect=auto_detect)
    fingerprints: list[tuple[str, str]] = []
    todo: list[str] = []
    for pk, (_name, _meta, content_hash, columns_hash, stored) in capsules.items():
        fingerprint = _capsule_fingerprint(config_fingerprint, content_hash, columns_hash)
        if force or fingerprint is None or fingerprint != stored:
            todo.append(pk)
            if fingerprint is not None and fingerprint != stored:
                fingerprints.append((pk, fingerprint))
    if len(todo) == len(capsules):
        pieces = [("" if source_system_id is None else
                   f"WHERE c.capsule_id IN (SELECT id FROM {table} WHERE source_system_id = %s)", capsule_params)]
    else:
        pieces = _ids_where(todo, "c.capsule_id") if todo else []
    progress(f"pii classification: {len(todo)} of {len(capsules)} capsules to classify")

    columns = decisions = 0
    changed: list[tuple[Any, PiiValues]] = []
    lists = _JsonLists()
    # The loop works on raw rows (no per-row objects): at 376,000 columns every microsecond is 0.4 s.
    for where, params in pieces:
        for batch in _column_rows(where, params):
            for row in batch:
                (pk, capsule_pk, name, data_type, description, meta, tags, tests, pii_type, detected_by, confidence,
                 is_masked, semantic, evidence, decision, decided_type, decided_by, decided_at, note, _urn) = row
                capsule_name, capsule_meta = capsules[capsule_pk][:2] if capsule_pk in capsules else (None, None)
                extra: tuple[Evidence, ...] = ()
                if decision is not None:
                    decisions += 1
                    extra = pii_steward_evidence(decision=decision, decided_type=decided_type,
                                                 decided_by=decided_by, decided_at=decided_at, note=note)
                if evidence is not None:
                    evidence = _json_or(evidence, None)
                    extra = (*extra, *_lineage_of(evidence))
                result = classify_column(
                    name=name, data_type=data_type, description=description, meta=_json_or(meta, None),
                    tags=lists[tags], config=config, auto_detect=auto_detect, tests=lists[tests],
                    capsule_name=capsule_name, capsule_meta=capsule_meta, extra_evidence=extra,
                )  # fmt: skip
                values = pii_values(result)
                if not _unchanged((pii_type, detected_by, confidence, evidence, bool(is_masked), semantic), values):
                    changed.append((pk, values))
                columns += 1
    progress(f"pii classification: writing {len(changed)} of {columns} columns")
    written = columns_pii_write(rows=changed) if changed else 0
    _capsules_set_pii_fingerprint(fingerprints)

    pii = masked = 0
    by_signal: dict[str, int] = {}
    counts = Column.objects.filter(pii_type__isnull=False)
    if source_system_id is not None:
        counts = counts.filter(capsule__source_system_id=source_system_id)
    for signal, count, masked_count in (
        counts.order_by().values_list("pii_detected_by")
        .annotate(n=Count("id"), m=Count("id", filter=Q(pii_masked=True))).order_by("pii_detected_by")
    ):  # fmt: skip
        pii += count
        masked += masked_count
        by_signal[signal or "?"] = count
    return PiiClassifyRun(
        columns=columns, pii=pii, masked=masked, written=written, decisions=decisions, by_signal=by_signal,
        detection_enabled=bool(auto_detect), seconds=time.perf_counter() - started,
        capsules=len(capsules), capsules_skipped=len(capsules) - len(todo),
    )  # fmt: skip


def pii_classify_after_load(*, load_result, job, progress: Callable[[str], None] = lambda message: None) -> dict:
    """Pipeline step 1: classify every column of the project just loaded (see ``pii_classify_columns``)."""
    return pii_classify_columns(source_system_id=load_result.source_system_id, progress=progress).as_dict()


def pii_detector_reading(evidence: Iterable[Mapping[str, Any]] | None) -> str | None:
    """The type a column's own evidence points to most strongly, leaving stewards aside (shown, and used as
    the default type, when a steward rejected or is about to confirm it)."""
    best = None
    for item in evidence or ():
        if item.get("signal") != "steward" and item.get("pii_type") and item.get("weight", 0) > 0 and (
                best is None or item["weight"] > best["weight"]):
            best = item
    return best["pii_type"] if best else None


def columns_pii_decide(
    *, column_ids: Sequence[Any], decision: str | None, actor: str, pii_type: str | None = None,
    note: str | None = None, config: PiiConfig | None = None,
) -> int:
    """Record a steward's decision on columns and re-classify them at once; returns how many changed.

    ``decision`` is ``confirmed`` (the column holds ``pii_type``; without one, the type each column has now,
    else personal_data), ``rejected`` (not PII, whatever the detector says) or None (withdraw the decision
    and let detection speak again). The decision survives re-ingestion and re-detection. Afterwards
    ``pii_decisions_changed`` is sent so lineage re-propagates (downstream columns follow the decision).
    Raises ValueError for an unknown decision or type. Three queries plus the bulk write.
    """
    config = config or pii_config()
    if decision not in (None, PiiDecision.CONFIRMED, PiiDecision.REJECTED):
        raise ValueError(f"unknown decision {decision!r}: expected confirmed, rejected or none")
    if pii_type and pii_type not in config.types:
        raise ValueError(f"unknown PII type {pii_type!r}: expected one of {', '.join(sorted(config.types))}")
    ids = [_sql_id(pk) for pk in column_ids]
    if not ids:
        return 0
    now = timezone.now()
    note = (note or "").strip() or None
    with transaction.atomic():
        rows = Column.objects.filter(pk__in=column_ids).values_list("pk", "pii_type", "pii_evidence")
        current = {pk: existing or pii_detector_reading(evidence) for pk, existing, evidence in rows}
        # One UPDATE per decided type: a confirmation without a type keeps each column's own (or, after a
        # rejection, what the detector read).
        by_type: dict[str | None, list[Any]] = defaultdict(list)
        for pk, existing in current.items():
            if decision == PiiDecision.CONFIRMED:
                by_type[pii_type or existing or "personal_data"].append(pk)
            else:
                by_type[None].append(pk)
        for decided_type, pks in by_type.items():
            Column.objects.filter(pk__in=pks).update(
                pii_decision=decision, pii_decided_type=decided_type, pii_decided_by=actor if decision else None,
                pii_decided_at=now if decision else None, pii_decision_note=note if decision else None,
            )  # fmt: skip
        placeholders = ", ".join(["%s"] * len(ids))
        table = Column._meta.db_table
        changed = []
        for stored in pii_columns_read(
            where=f"WHERE c.id IN ({placeholders})", params=ids,
            capsule_where=f"WHERE k.id IN (SELECT capsule_id FROM {table} WHERE id IN ({placeholders}))",
            capsule_params=ids,
        ):  # fmt: skip
            result = pii_column_classify(
                facts=stored.facts, config=config, auto_detect=settings.PII_DETECTION_ENABLED, steward=stored.steward,
                lineage=stored.lineage_evidence(),
            )  # fmt: skip
            values = pii_values(result)
            if not stored.unchanged(values):
                changed.append((stored.pk, values))
        columns_pii_write(rows=changed)
        pii_decisions_changed.send(sender=Column, column_ids=list(current))
    return len(changed)


def column_pii_decide(
    *, column: Column, decision: str | None, actor: str, pii_type: str | None = None, note: str | None = None
) -> Column:
    """One column's steward decision (see ``columns_pii_decide``); returns the column as now stored."""
    columns_pii_decide(column_ids=[column.pk], decision=decision, actor=actor, pii_type=pii_type, note=note)
    column.refresh_from_db()
    return column


@dataclass(frozen=True)
class NewColumnClassifier:
    """Step 1's classification for columns the loader is about to insert, so they are written classified.

    A new column has no steward decision and no lineage evidence yet, so its classification depends only on
    what the loader already holds; storing it with the insert spares step 1 rewriting every new row (at
    376,000 columns that rewrite cost more than the insert). ``capsule_fingerprint`` lets step 1 skip a new
    capsule whose columns were all classified here. The inputs are normalised exactly as step 1 reads them
    back (empty meta as None, tags and tests as tuples), so both produce the same stored values.
    """

    config: PiiConfig
    auto_detect: bool
    config_fingerprint: str

    def values(self, *, name: str, data_type: str | None, description: str | None, meta: Mapping | None,
               tags: Sequence[str], tests: Sequence[str], capsule_name: str | None,
               capsule_meta: Mapping | None) -> PiiValues:  # fmt: skip
        return pii_values(
            classify_column(
                name=name, data_type=data_type, description=description, meta=meta or None, tags=tuple(tags),
                config=self.config, auto_detect=self.auto_detect, tests=tuple(tests), capsule_name=capsule_name,
                capsule_meta=capsule_meta or None,
            )
        )  # fmt: skip

    def capsule_fingerprint(self, *, content_hash: str, columns_hash: str) -> str | None:
        return _capsule_fingerprint(self.config_fingerprint, content_hash, columns_hash)


def pii_new_column_classifier() -> NewColumnClassifier:
    """The classifier for the loader's new columns, with the configuration step 1 will use."""
    config = pii_config()
    auto_detect = bool(settings.PII_DETECTION_ENABLED)
    return NewColumnClassifier(config, auto_detect, pii_config_fingerprint(config=config, auto_detect=auto_detect))
