"""Column names as word tokens: snake_case, camelCase, digits, punctuation and glued compounds.

Pure Python, no Django; memoised on the ``PiiConfig`` whose word list splits compounds.
"""

from __future__ import annotations

import re

from pii.vocabulary import _CACHE_LIMIT, PiiConfig, default_pii_config

__all__ = ["english_singular", "match_tokens", "singular", "tokenize_column_name"]

_CHUNK_RE = re.compile(r"[^A-Za-z0-9]+")
_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def tokenize_column_name(name: str, *, config: PiiConfig | None = None) -> tuple[str, ...]:
    """Split a column name into lower-case word tokens.

    Handles snake_case, camelCase, PascalCase, UPPER_CASE, digits (``ssn_last4`` -> ssn, last, 4) and
    compounds made of known words (``emailaddress`` -> email, address; the words come from the config).
    Memoised per config.
    """
    config = config or default_pii_config()
    cache = config._tokens
    tokens = cache.get(name)
    if tokens is None:
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        tokens = cache[name] = _tokenize(name, config)
    return tokens


def _tokenize(name: str, config: PiiConfig) -> tuple[str, ...]:
    out: list[str] = []
    words = config._words
    for chunk in _CHUNK_RE.split(name):
        for word in _WORD_RE.findall(chunk):
            word = word.lower()
            split = words.get(word)
            if split is None:
                if len(words) > _CACHE_LIMIT:
                    words.clear()
                split = words[word] = _split_compound(word, config)
            out.extend(split)
    return tuple(out)


def _known(word: str, config: PiiConfig) -> bool:
    if word in config.words:
        return True
    if len(word) > 3 and word.endswith("s"):
        stem = word[:-2] if word.endswith("es") and word[:-2] in config.words else word[:-1]
        return stem in config.words
    return False


def _split_compound(word: str, config: PiiConfig) -> tuple[str, ...]:
    """Split ``word`` into the fewest known words, or keep it whole when it is known or cannot be split."""
    n = len(word)
    if n < 5 or word.isdigit() or _known(word, config):
        return (word,)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for end in range(2, n + 1):
        for start in range(max(0, end - 20), end - 1):
            prefix = best[start]
            if prefix is None:
                continue
            piece = word[start:end]
            if len(piece) == 2 and piece not in config.short_words or piece in config.hidden_words:
                continue
            if not _known(piece, config):
                continue
            candidate = (*prefix, piece)
            if best[end] is None or len(candidate) < len(best[end]):
                best[end] = candidate
    return best[n] if best[n] and len(best[n]) > 1 else (word,)


def singular(word: str, config: PiiConfig) -> str:
    if word in config.words or len(word) <= 3 or not word.endswith("s"):
        return word
    if word.endswith("ies") and word[:-3] + "y" in config.words:
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2] in config.words:
        return word[:-2]
    return word[:-1] if word[:-1] in config.words else word


def english_singular(word: str) -> str:
    """customers -> customer, categories -> category, addresses -> address, status -> status."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def match_tokens(tokens: tuple[str, ...], config: PiiConfig) -> tuple[str, ...]:
    """Tokens as the matcher sees them: singular, aliases expanded, trailing custom-field suffixes dropped."""
    out: list[str] = []
    for token in tokens:
        token = singular(token, config)
        out.extend(config.aliases.get(token, (token,)))
    while len(out) > 1 and out[-1] in config.ignore_trailing:
        out.pop()
    return tuple(out)

