"""Parser for dbt artifacts: manifest.json (schemas v1 to v12), catalog.json and run_results.json.

Pure functions: bytes in, frozen records (``ingestion/records.py``) out. No Django, settings or I/O.
This package is the only code that knows how dbt's schemas changed between versions.

Decisions worth knowing (tested in ingestion/tests/test_parsers.py):

* Capsules are the enabled models, sources, seeds, snapshots, exposures, metrics, semantic models and
  saved queries, of the root project and of installed packages alike. Analyses, operations (hooks),
  macros, docs, unit tests and UDF functions are not; they are counted in ``ParsedProject.stats``.
  Disabled resources are never capsules; a depends_on or a test pointing at one is reported in warnings.
* Data tests are the separate ``test.*`` nodes dbt writes in every version. Each is attached to the
  capsule dbt names in ``attached_node`` (dbt >= 1.5); otherwise to the node its ``model`` argument
  names among its dependencies (for relationships tests: the tested model, not the ``to`` target);
  otherwise to its only capsule dependency. Singular tests reading several capsules are attached to
  none. Every unattached test is named in a warning.
* Columns are the case-insensitive union of the YAML's and the warehouse's: ``EMAIL`` in the catalog and
  ``email`` in the manifest are one column named ``email`` (the YAML spelling wins), placed at the
  catalog's position. ``doc_coverage`` is documented columns / columns and None when a capsule has no
  columns at all. Without a catalog only the YAML-declared columns are known.
* ``meta`` is top-level meta overlaid by config.meta (for sources: the source's meta, then the table's);
  ``owner`` is the exposure's owner field, else meta.owner, else the owner of the capsule's group.
* Edges follow depends_on.nodes between capsules; the edge type depends on the downstream capsule
  (see ``ingestion.records.EDGE_TYPES``).
* Strings are kept intact except NUL characters, which are removed everywhere (PostgreSQL text cannot
  hold them).
* URNs: see ``urns.py``.

``attributes`` keys by capsule type: models/seeds/snapshots ``relation_name`` (as dbt quoted it),
``unique_key``, ``incremental_strategy``, ``on_schema_change`` (incremental only), ``deprecation_date``,
``primary_key``, ``constraints``, snapshots also ``strategy``, ``updated_at``, ``check_cols``,
``target_schema``; sources ``relation_name``, ``source_name``, ``source_description``, ``loader``,
``identifier``, ``loaded_at_field``, ``freshness`` (only when it sets a threshold), ``external``;
exposures ``type``, ``url``, ``maturity``, ``label``; metrics ``type``, ``label``, ``expression``,
``measures``, ``metrics``, ``numerator``, ``denominator`` (and the dbt < 1.6 ``timestamp``,
``time_grains``, ``dimensions``); semantic models ``model``, ``label``, ``relation_name``,
``primary_entity``, ``entities``, ``measures``, ``dimensions``; saved queries ``label``, ``metrics``,
``group_by``, ``where``, ``exports``. Any capsule run by an executing command gets ``last_run``
(status, execution_time, completed_at, rows_affected, message); a model whose manifest has no
compiled SQL but whose run_results has gets it from there, marked ``compiled_sql_source``.
"""

from ._loading import ParseError
from .catalog import CatalogData, parse_catalog
from .manifest import NEWEST_MANIFEST_SCHEMA, ManifestData, parse_manifest
from .merge import merge_artifacts, normalise_column_name, parse_dbt_artifacts
from .run_results import RunResult, RunResultsData, parse_run_results
from .urns import capsule_urn, column_urn, test_urn

__all__ = [
    "NEWEST_MANIFEST_SCHEMA",
    "CatalogData",
    "ManifestData",
    "ParseError",
    "RunResult",
    "RunResultsData",
    "capsule_urn",
    "column_urn",
    "merge_artifacts",
    "normalise_column_name",
    "parse_catalog",
    "parse_dbt_artifacts",
    "parse_manifest",
    "parse_run_results",
    "test_urn",
]
