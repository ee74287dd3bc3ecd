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
