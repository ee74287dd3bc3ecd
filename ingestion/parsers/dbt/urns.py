"""Stable URNs for what a dbt project defines. Built from parts, never by rewriting dbt's unique_ids.

    capsule   urn:dab:dbt:<resource_type>:<package>.<name>            model, seed, snapshot, exposure,
                                                                       metric, semantic_model, saved_query
    versioned urn:dab:dbt:model:<package>.<name>.v<version>            model.pkg.orders.v2 -> ...:pkg.orders.v2
    source    urn:dab:dbt:source:<package>.<source_name>.<table name>
    column    <capsule urn>:<column name in lower case>
    test      urn:dab:dbt:test:<package>.<test name>[.<hash>]          dbt's own test id without "test."

The dbt ``name`` of a source table is used, not its warehouse ``identifier``, so renaming the physical
table behind a source keeps its URN (as dbt keeps its unique_id).
"""

from __future__ import annotations

__all__ = ["URN_PREFIX", "capsule_urn", "column_urn", "format_version", "test_urn"]

URN_PREFIX = "urn:dab:dbt:"


def format_version(version: object) -> str | None:
    """dbt model versions are ints, floats or strings; 2 and 2.0 are the same version, "2"."""
    if version is None or version == "":
        return None
    if isinstance(version, float) and version.is_integer():
        return str(int(version))
    return str(version)


def capsule_urn(
    *,
    resource_type: str,
    package_name: str,
    name: str,
    source_name: str | None = None,
    version: str | None = None,
) -> str:
    """URN of a capsule. ``source_name`` is required for sources; ``version`` only applies to models."""
    if resource_type == "source":
        return f"{URN_PREFIX}source:{package_name}.{source_name}.{name}"
    if version is not None:
        return f"{URN_PREFIX}{resource_type}:{package_name}.{name}.v{version}"
    return f"{URN_PREFIX}{resource_type}:{package_name}.{name}"


def column_urn(*, capsule_urn: str, column_name: str) -> str:
    return f"{capsule_urn}:{column_name.lower()}"


def test_urn(*, unique_id: str) -> str:
    """Tests are identified by dbt's unique_id (names of generic tests can repeat; the hash cannot)."""
    _, _, rest = unique_id.partition(".")
    return f"{URN_PREFIX}test:{rest or unique_id}"


test_urn.__test__ = False  # a URN builder, not a pytest test function
