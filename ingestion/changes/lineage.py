"""Column lineage of one state's models, derived on demand with DAB's extractor. Pure: no Django.

The change report needs lineage for a few models only (those whose columns were removed or renamed, and
what reads them), so each is extracted when first asked and kept for the rest of the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .state import CapsuleState, ProjectState

if TYPE_CHECKING:
    from lineage.sql_lineage import ModelLineage, UpstreamRelation

__all__ = ["FILTER_READER", "StateLineage"]

FILTER_READER = "(filter or join)"


class StateLineage:
    """Lazily extracted column lineage over one ProjectState, with a reverse index built as models are read."""

    def __init__(self, state: ProjectState) -> None:
        # Imported here: sqlglot takes a quarter of a second to import, and an ingestion that derives no lineage
        # (identical artifacts) or a report without removed columns never needs it.
        from lineage import sql_lineage

        self._sql = sql_lineage
        self.state = state
        self.dialect = sql_lineage.dialect_for_adapter(state.adapter)
        self._models: dict[tuple, ModelLineage | None] = {}
        self._upstream: dict[str, list[str]] | None = None

    def _upstream_urns(self, urn: str) -> list[str]:
        if self._upstream is None:
            self._upstream = {}
            for up, downs in self.state.downstream.items():
                for down in downs:
                    self._upstream.setdefault(down, []).append(up)
        return self._upstream.get(urn, [])

    def _relation(self, capsule: CapsuleState, extra: tuple[str, ...] = ()) -> UpstreamRelation:
        if capsule.materialization == "ephemeral":
            names: tuple[str, ...] = (f"{self._sql.DBT_CTE_PREFIX}{capsule.name}",)
        else:
            names = (capsule.relation,) if capsule.relation else (capsule.name,)
        columns = tuple(c.name for c in self.state.columns_of(capsule.urn).values()) + extra
        return self._sql.UpstreamRelation(urn=capsule.urn, names=names, columns=columns, columns_complete=bool(columns))

    def model(self, urn: str, *, assume: tuple[str, str] | None = None) -> ModelLineage | None:
        """The model's lineage, or None when it is not a model with SQL in this state. ``assume`` (URN, column)
        pretends an upstream still has a column, to see whether the SQL still reads one that was removed."""
        key = (urn, assume)
        if key in self._models:
            return self._models[key]
        capsule = self.state.capsules.get(urn)
        sql = self.state.compiled_sql(urn)
        if capsule is None or not sql:
            return None
        upstream = [
            self._relation(self.state.capsules[u], (assume[1],) if assume and assume[0] == u else ())
            for u in self._upstream_urns(urn) if u in self.state.capsules
        ]  # fmt: skip
        result = self._sql.extract_column_lineage(
            sql=sql, dialect=self.dialect, upstream=upstream,
            target_columns=tuple(c.name for c in self.state.columns_of(urn).values()),
        )  # fmt: skip
        self._models[key] = result
        return result

    def still_reads(self, reader: str, urn: str, column: str) -> bool | None:
        """Whether ``reader``'s SQL reads ``urn``.``column`` even if that column no longer exists; None when
        the reader's lineage cannot be derived."""
        lineage = self.model(reader, assume=(urn, column))
        if lineage is None or lineage.status not in ("parsed", "partial"):
            return None
        key = (urn, column.lower())
        return any((e.source_urn, e.source_column.lower()) == key for e in lineage.edges) or any(
            (u, c.lower()) == key for u, c in lineage.filter_columns
        )

    def sources_of(self, urn: str, column: str) -> frozenset[tuple[str, str]] | None:
        """Upstream (capsule URN, lower-case column) feeding one output column; None when not derivable."""
        lineage = self.model(urn)
        if lineage is None or lineage.status not in ("parsed", "partial"):
            return None
        name = column.lower()
        return frozenset(
            (e.source_urn, e.source_column.lower()) for e in lineage.edges if e.target_column.lower() == name
        )

    def readers(self, urn: str, column: str) -> list[tuple[str, str]] | None:
        """Columns of direct downstream models that read ``urn``.``column`` (lower case); None when some
        downstream model's lineage could not be derived, so only the model level is known."""
        found: list[tuple[str, str]] = []
        known = True
        key = (urn, column.lower())
        for down in sorted(self.state.downstream.get(urn, ())):
            capsule = self.state.capsules.get(down)
            if capsule is None or capsule.capsule_type not in ("model", "snapshot"):
                continue
            lineage = self.model(down)
            if lineage is None or lineage.status not in ("parsed", "partial"):
                known = False
                continue
            targets = {e.target_column.lower() for e in lineage.edges if (e.source_urn, e.source_column.lower()) == key}
            if any((u, c.lower()) == key for u, c in lineage.filter_columns):
                targets.add(FILTER_READER)  # read by a WHERE / JOIN / GROUP BY: the model breaks all the same
            found.extend((down, target) for target in sorted(targets))
        return found if known or found else None
