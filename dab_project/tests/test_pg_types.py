"""dab_project.pg_types: the uuid loader gives what psycopg's own gives."""

from __future__ import annotations

import uuid

import pytest
from psycopg.types.uuid import UUIDLoader

from dab_project.pg_types import UUIDTextLoader

SAMPLES = (uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), uuid.UUID("12345678-9abc-4def-8123-456789abcdef"),
           *(uuid.uuid4() for _ in range(50)))  # fmt: skip


@pytest.mark.parametrize("text", [str, lambda u: str(u).upper(), lambda u: u.hex])
def test_the_fast_uuid_loader_builds_the_uuid_psycopg_builds(text):
    for value in SAMPLES:
        data = text(value).encode()
        ours, theirs = UUIDTextLoader(2950).load(memoryview(data)), UUIDLoader(2950).load(data)
        assert (type(ours), ours, hash(ours), str(ours), ours.is_safe) == (
            uuid.UUID, theirs, hash(theirs), str(theirs), theirs.is_safe
        )


@pytest.mark.django_db
def test_the_connection_reads_uuids_with_it():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's uuid type")
    value = uuid.uuid4()
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::uuid", [value])
        assert cursor.fetchone()[0] == value
        loader = cursor.cursor.adapters.get_loader(cursor.cursor.adapters.types["uuid"].oid, 0)
        assert loader is UUIDTextLoader
