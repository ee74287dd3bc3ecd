"""English word frequencies, to read column names glued from ordinary words (``passportissueddate``,
``hometext``) that the vocabulary alone cannot split.

The frequencies are the unigram counts of the ``wordsegment`` package (a pinned dependency: counts of the
Google web corpus, shipped as a text file): only words seen at least ``MIN_COUNT`` times are kept, about 53,000,
read once per process on first use (about 0.03 s). Pure Python, no Django.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path

__all__ = ["english_log_frequencies", "segment_words"]

MIN_COUNT = 300_000  # rarer words are mostly misspellings, names and run-together text
_LONGEST_WORD = 20


@functools.cache
def english_log_frequencies() -> dict[str, float]:
    """{word: log10 of its share of the corpus}; empty when the word list cannot be read (names then split on
    the vocabulary only)."""
    try:
        import wordsegment
    except ImportError:  # the splitter degrades to the vocabulary alone
        return {}
    path = Path(wordsegment.__file__).with_name("unigrams.txt")
    counts: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8") as lines:
            for line in lines:  # sorted by count, most frequent first
                word, _, count = line.partition("\t")
                value = int(count)
                if value < MIN_COUNT:
                    break
                counts[word] = value
    except OSError:
        return {}
    total = sum(counts.values()) or 1
    return {word: math.log10(count / total) for word, count in counts.items()}


def segment_words(word: str, *, allowed: Callable[[str], bool],
                  known: Callable[[str], bool]) -> tuple[str, ...] | None:
    """The most probable split of ``word`` into two or more English words, or None.

    ``allowed(piece)`` says whether a piece may stand in a split at all (the vocabulary bars two-letter pieces and
    words that hide inside others, such as 'sex' in 'middlesex'); ``known(piece)`` marks the vocabulary's own
    words, which count as common. A split is returned only when it is more probable than the word standing alone,
    so an ordinary word (``passage``) is never cut into pieces (``pass age``).
    """
    logs = english_log_frequencies()
    if not logs:
        return None
    floor = math.log10(MIN_COUNT) - 12.0  # a vocabulary word missing from the corpus counts as a rare word
    n = len(word)
    best: list[tuple[float, tuple[str, ...]] | None] = [None] * (n + 1)
    best[0] = (0.0, ())
    for end in range(2, n + 1):
        for start in range(max(0, end - _LONGEST_WORD), end - 1):
            prefix = best[start]
            if prefix is None:
                continue
            piece = word[start:end]
            score = logs.get(piece)
            if score is None:
                if not known(piece):
                    continue
                score = floor
            if not allowed(piece):
                continue
            candidate = (prefix[0] + score, (*prefix[1], piece))
            current = best[end]
            if current is None or candidate[0] > current[0]:
                best[end] = candidate
    found = best[n]
    if found is None or len(found[1]) < 2:
        return None
    alone = logs.get(word)
    if alone is not None and alone >= found[0]:
        return None
    return found[1]
