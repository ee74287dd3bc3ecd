"""The pure tests' way to classify one name: in a table made of it (or of the columns given), as the pipeline
does, with no meta and no tags."""

from __future__ import annotations

from pii.classifier import classify_column
from pii.context import table_context


def classify(config, name, *, table="stg_people", columns=None, data_type=None):
    context = table_context(name=table, description=None, column_names=columns or [name], config=config)
    return classify_column(name=name, data_type=data_type, description=None, meta={}, tags=(), config=config,
                           capsule_name=table, table=context)
