"""dab_project.ids: time-ordered UUIDs, growing in the order they are given, never given twice."""

from __future__ import annotations

import itertools
import threading
import time
import uuid

from dab_project.ids import ordered_uuid, ordered_uuid_hexes


def test_ordered_uuids_are_version_7_and_grow_in_the_order_given():
    ids = [ordered_uuid() for _ in range(2000)]
    assert all(pk.version == 7 and pk.variant == uuid.RFC_4122 for pk in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_an_ordered_uuid_holds_the_time_it_was_given_in_milliseconds():
    before = time.time_ns() // 1_000_000
    pk = ordered_uuid()
    after = time.time_ns() // 1_000_000
    assert before <= pk.int >> 80 <= after


def test_hex_runs_grow_and_continue_past_the_first_block_and_after_single_ids():
    first = list(itertools.islice(ordered_uuid_hexes(), 5000))  # more than one reserved block
    single = ordered_uuid()
    second = list(itertools.islice(ordered_uuid_hexes(), 10))
    values = [int(h, 16) for h in first] + [single.int] + [int(h, 16) for h in second]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert all(len(h) == 32 and uuid.UUID(h).version == 7 for h in first + second)


def test_runs_drawn_side_by_side_in_threads_never_share_an_id():
    found: list[list[str]] = [[], [], []]

    def draw(out: list[str]) -> None:
        out.extend(itertools.islice(ordered_uuid_hexes(), 9000))

    threads = [threading.Thread(target=draw, args=(out,)) for out in found]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [h for out in found for h in out]
    assert len(set(everything)) == len(everything) == 27000


def test_forked_children_never_continue_the_parents_run(monkeypatch):
    # The clock stands still and the parent's last id had the largest random start the clock allows: a child that
    # kept the parent's counter would continue from it, and two such children would give the same ids.
    import os
    import secrets

    import dab_project.ids as ids

    monkeypatch.setattr(ids.time, "time_ns", lambda: 4_000_000_000_000_000_000)  # after every id given so far
    with monkeypatch.context() as patched:
        patched.setattr(ids.secrets, "randbits", lambda bits: (1 << bits) - 1)
        parent = ordered_uuid()
    assert ids.secrets.randbits is secrets.randbits
    given = []
    for _ in range(2):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: one id, written to the parent, then gone
            os.close(read)
            os.write(write, ordered_uuid().bytes)
            os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            given.append(uuid.UUID(bytes=pipe.read()))
        os.waitpid(pid, 0)
    assert given[0] != given[1]
    assert [(pk.version, pk.int >> 80) for pk in given] == [(7, parent.int >> 80)] * 2, (parent, given)
