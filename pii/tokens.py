"""Column names as word tokens: snake_case, camelCase, digits, punctuation, glued compounds and abbreviations.

A word the vocabulary does not know is read, in this order, as: known words glued together (``contactemail``);
an abbreviation of one word of the vocabulary (``tele`` telephone, ``cntct`` contact, ``perso`` person; see
``read_abbreviation``); ordinary English words glued together (``passportissueddate``, from pii/lexicon.py).
How a word was read is kept (``name_readings``) so that the evidence can say it.

Pure Python, no Django; memoised on the ``PiiConfig`` whose word list splits compounds.
"""

from __future__ import annotations

import re
import unicodedata

from pii.lexicon import english_log_frequencies, segment_words
from pii.vocabulary import _CACHE_LIMIT, PiiConfig, consonant_skeleton, default_pii_config

__all__ = ["COMMON_WORD_LOG", "english_singular", "is_known_word", "match_tokens", "name_readings",
           "read_abbreviation", "singular", "tokenize_column_name"]

# An English word this frequent is read as itself, never as an abbreviation (sign is not signer, pat not patient).
_COMMON_WORD_LOG = -5.3
COMMON_WORD_LOG = _COMMON_WORD_LOG  # for the classifier: a word this frequent is a word of its own
_CLEARLY_MORE_LOG = 0.5  # three times as frequent
_VOWELS = frozenset("aeiou")
_COMMON_PIECE_LOG = -5.5  # an English word glued to others must be at least this frequent

_CHUNK_RE = re.compile(r"[^A-Za-z0-9]+")
# Letters with no decomposition into a base letter and an accent (ø, æ, ß): their usual ASCII spelling.
_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "œ": "oe", "Œ": "OE", "đ": "d",
                       "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "ð": "d"})


def ascii_letters(name: str) -> str:
    """The name with accented letters written in ASCII (kjønn: kjonn, número: numero, Staatsangehörigkeit:
    Staatsangehorigkeit), so that words of other languages are read, not cut at the accent."""
    if name.isascii():
        return name
    decomposed = unicodedata.normalize("NFKD", name.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def tokenize_column_name(name: str, *, config: PiiConfig | None = None, read: bool = True) -> tuple[str, ...]:
    """Split a column name into lower-case word tokens.

    Handles snake_case, camelCase, PascalCase, UPPER_CASE, digits (``ssn_last4`` -> ssn, last, 4) and
    compounds made of known words (``emailaddress`` -> email, address; the words come from the config); with
    ``read`` (column names) also abbreviations and glued English words (the module docstring). Table names are
    split without them: a table's name is read for its head noun, and ``grp_events`` is not about a group.
    Memoised per config.
    """
    config = config or default_pii_config()
    cache = config._tokens if read else config._plain_tokens
    tokens = cache.get(name)
    if tokens is None:
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        tokens = cache[name] = _tokenize(name, config, read)
    return tokens


def _tokenize(name: str, config: PiiConfig, read: bool) -> tuple[str, ...]:
    out: list[str] = []
    words = config._words
    chunks = _CHUNK_RE.split(ascii_letters(name))
    letters = [chunk for chunk in chunks if chunk]
    if len(letters) > 1 and all(len(chunk) == 1 and chunk.isalpha() for chunk in letters):
        chunks = ["".join(letters)]  # an initialism written with dots or spaces (D.O.B., S S N) is one word
    for chunk in chunks:
        pieces = _WORD_RE.findall(chunk)
        if len(pieces) > 1 and chunk.isalpha() and chunk.lower() in config.words:
            pieces = [chunk]  # a vocabulary word written in camel case as its brand does (LinkedIn, GitHub)
        elif len(pieces) > 1:
            pieces = _split_hash_names(pieces)
        for word in pieces:
            word = word.lower()
            if not read:
                plain = config._plain_words.get(word)
                if plain is None:
                    if len(config._plain_words) > _CACHE_LIMIT:
                        config._plain_words.clear()
                    plain = config._plain_words[word] = _split_compound(word, config)
                out.extend(plain)
                continue
            split = words.get(word)
            if split is None:
                if len(words) > _CACHE_LIMIT:
                    # the readings go with the words they explain (and the names that quote them)
                    words.clear()
                    config._readings.clear()
                    config._name_readings.clear()
                split = words[word] = _read_word(word, config)
            out.extend(split)
    return tuple(out)


_HASH_NAMES = ("md", "sha")  # md5, sha1, sha256: digits follow


def _split_hash_names(pieces: list[str]) -> list[str]:
    """A hash algorithm's name glued to the value it hashes (macsha1, didmd5, emailsha256: the value, hashed) is
    a word of its own, as it is when written apart (mac_sha1)."""
    out: list[str] = []
    for i, piece in enumerate(pieces):
        lower = piece.lower()
        if i + 1 < len(pieces) and pieces[i + 1].isdigit() and piece.isalpha():
            for algorithm in _HASH_NAMES:
                if lower.endswith(algorithm) and len(lower) >= len(algorithm) + 2:
                    out.extend((piece[:-len(algorithm)], piece[-len(algorithm):]))
                    break
            else:
                out.append(piece)
        else:
            out.append(piece)
    return out


def _read_word(word: str, config: PiiConfig) -> tuple[str, ...]:
    split = _split_compound(word, config)
    if len(split) > 1 or _known(word, config) or word.isdigit():
        return split
    target = read_abbreviation(word, config)
    if target is not None:
        config._readings[word] = f"'{word}' read as an abbreviation of '{target}'"
        return (target,)
    pieces = segment_words(word, allowed=lambda piece: _piece_allowed(piece, config),
                           known=lambda piece: _known(piece, config))
    if pieces is not None and any(len(piece) > 2 and _known(piece, config) for piece in pieces):
        config._readings[word] = f"'{word}' read as the words '{' '.join(pieces)}'"
        return pieces
    pieces = _glued_code(word, config)
    if pieces is not None:
        config._readings[word] = f"'{word}' read as the words '{' '.join(pieces)}'"
        return pieces
    return split


_CODE_OPENING = 5  # the longest opening read as a code of its own before vocabulary words (onvif)


def _glued_code(word: str, config: PiiConfig) -> tuple[str, ...] | None:
    """A word that is no English word, glued from two vocabulary words, one of them a short word that hides in
    ordinary ones (locationlat, ssnlast), or from ordinary English words before such a short word
    (administrativesex), or from a code of two to five letters and vocabulary words after it (a
    system's, a source's or a table's initials: hswhatsappphonenumber, cazip, onvifpassword, opername), read as
    those words, as they read written apart; the code is read as an abbreviation when it is one (cand:
    candidate). An English word (middlesex, linkages, microphone) is itself; so is a code before a short word that
    is no abbreviation of the vocabulary's (patid, vsstresn: no esn), and ordinary English words are never read as a
    code and what follows (threadid is no thre|adid); None when no reading fits."""
    if len(word) < 5 or not word.isalpha() or word in english_log_frequencies():
        return None
    whole = _split_compound(word, config, hidden=True)
    if len(whole) == 2 and all(len(piece) > 2 for piece in whole):
        return whole
    for hidden in sorted(config.hidden_words, key=lambda w: (-len(w), w)):
        # administrativesex, previousage: ordinary English words, then a short word that hides in others
        if word.endswith(hidden) and len(word) - len(hidden) >= 4:
            rest = word[:-len(hidden)]
            if _known(rest, config) or english_log_frequencies().get(rest, -99.0) >= _COMMON_PIECE_LOG:
                return (rest, hidden)
            pieces = segment_words(rest, allowed=lambda piece: _piece_allowed(piece, config),
                                   known=lambda piece: _known(piece, config))
            if pieces is not None:
                return (*pieces, hidden)
    if segment_words(word, allowed=lambda piece: _piece_allowed(piece, config),
                     known=lambda piece: _known(piece, config)) is not None:
        return None  # ordinary English words (threadid: thread id, albumid), however they end: no code before them
    for cut in range(2, min(_CODE_OPENING, len(word) - 3) + 1):
        opening, tail = word[:cut], word[cut:]
        pieces = (tail,) if _known(tail, config) else _split_compound(tail, config)
        if (len(pieces) > 1 or _known(pieces[0], config)) and all(
                len(piece) > 3 or piece in config.aliases for piece in pieces):
            code = opening if _known(opening, config) else read_abbreviation(opening, config) or opening
            return (code, *pieces)
    return None


def _piece_allowed(piece: str, config: PiiConfig) -> bool:
    if len(piece) < 2 or (len(piece) == 2 and piece not in config.short_words) or piece in config.hidden_words:
        return False
    # a rare piece is more likely a misreading (canddidate is not can+ddi+date) than a word
    return _known(piece, config) or english_log_frequencies().get(piece, -99.0) >= _COMMON_PIECE_LOG


def name_readings(name: str, config: PiiConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The name's raw lower-case words, and how those read as an abbreviation or as glued English words were
    read (for the evidence). Memoised per name."""
    found = config._name_readings.get(name)
    if found is None:
        if len(config._name_readings) > _CACHE_LIMIT:
            config._name_readings.clear()
        tokenize_column_name(name, config=config)
        words = tuple(w.lower() for chunk in _CHUNK_RE.split(ascii_letters(name)) for w in _WORD_RE.findall(chunk))
        found = config._name_readings[name] = (words, tuple(config._readings[w] for w in words
                                                            if w in config._readings))
    return found


def read_abbreviation(word: str, config: PiiConfig) -> str | None:
    """The one vocabulary word (``config.reading_targets``) that ``word`` abbreviates, or None.

    Three readings, the first that finds any candidate decides: the consonant skeleton (cntct contact, ptnt
    patient), a truncation of four letters or more (tele telephone, emerg emergency, perso person), a
    subsequence keeping the first and last letters, of four letters or more and at least half the word, written
    like an abbreviation (at most one vowel after the first letter, none at the end: pswd password, mngr manager;
    poste is no postcode, bots no biometrics); failing those, for words of four to six letters, pieces of a compound
    the vocabulary knows (gbdat: geburtsdatum, see ``_compound_abbreviation``).
    Candidates that only extend another one are dropped (perso: person, not personal); of several left, one
    three times as frequent in English as the others wins (tele: telephone, not telegram), else there is no
    reading. Frequent English words (sign, nick, pat) and words under three letters are never read as
    abbreviations. Memoised per word (table names repeat their head nouns).
    """
    n = len(word)
    if n < 3 or n > 12 or not word.isalpha():
        return None
    found = config._abbreviations.get(word, False)
    if found is False:
        if len(config._abbreviations) > _CACHE_LIMIT:
            config._abbreviations.clear()
        found = config._abbreviations[word] = _read_abbreviation(word, config)
    return found


def _read_abbreviation(word: str, config: PiiConfig) -> str | None:
    n = len(word)
    logs = english_log_frequencies()
    if max(logs.get(word, -99.0), logs.get(word[:-1], -99.0) if word.endswith("s") else -99.0) > _COMMON_WORD_LOG:
        return None  # an English word (or its plural: bots) is itself
    targets = config.reading_targets
    found = [t for t in config.skeletons.get(word, ()) if t != word]
    if not found and n >= 4:
        found = [t for t in targets if len(t) > n and t.startswith(word)]
    if not found and n >= 4 and word[-1] not in _VOWELS and sum(ch in _VOWELS for ch in word[1:]) <= 1:
        found = [t for t in targets
                 if n < len(t) <= 2 * n and t[0] == word[0] and word[-1] in (t[-1], consonant_skeleton(t)[-1])
                 and n >= len(consonant_skeleton(t)) - 2 and _subsequence(word, t)]
    if not found and 4 <= n <= 6 and word[-1] != "e":  # a final e ends words, not abbreviations (poste)
        found = _compound_readings(word, config)
    if not found and 4 <= n <= 6:
        found = _initial_compounds(word, config)
    if not found:
        return None
    # a target that is itself an abbreviation (passwd) stands for its written-out word
    found = [_spelled_out(t, config) for t in found]
    # perso: person (personal and personnummer only extend it)
    found = [t for t in found if not any(t != other and t.startswith(other) for other in found)]
    found = sorted(set(found))
    if len(found) == 1:
        return found[0]
    # tele: telephone rather than telegram, lice: license rather than licence: a clearly more frequent word
    ranked = sorted(found, key=lambda t: logs.get(t, -99.0), reverse=True)
    if logs.get(ranked[0], -99.0) - logs.get(ranked[1], -99.0) >= _CLEARLY_MORE_LOG:
        return ranked[0]
    return None


def _compound_readings(word: str, config: PiiConfig) -> list[str]:
    """The compounds ``word`` abbreviates whose last part it reads most closely (gbort: geburtsort, whose "ort" it
    spells, rather than geboorteplaats); several left that mean the same (gbdat: geburtsdatum, geboortedatum) are
    one reading."""
    scored = [(tail, compound) for compound in config.compounds
              if (tail := _compound_tail(word, compound)) is not None]
    if not scored:
        return []
    best = min(tail for tail, _ in scored)
    found = sorted(compound for tail, compound in scored if tail == best)
    return found[:1] if len({config.aliases.get(c) for c in found}) == 1 else found


def _initial_compounds(word: str, config: PiiConfig) -> list[str]:
    """The name part ``word`` writes as its compound's first letter and its last part whole (vname: vor|name,
    nname: nach|name, anaam: achter|naam, snome: sobre|nome), as registers shorten a name's parts: the part is a
    word for name and the compound a kind of name; the compounds it fits mean one thing (enavn: etternavn and
    efternavn), else none. (Other compounds keep their own readings: pcode is no postcode, pindex no postindex.)"""
    rest = word[1:]
    if len(rest) < 3 or config.aliases.get(rest, (rest,)) != ("name",):
        return []
    found = sorted(c for c in config.compounds if c[0] == word[0] and c.endswith(rest) and len(c) >= len(word) + 2
                   and config.aliases[c][-1] == "name")
    return found[:1] if len({config.aliases.get(c) for c in found}) == 1 else []


def _compound_tail(word: str, compound: str) -> int | None:
    """How many letters of ``compound`` the last piece of ``word`` reads, when ``word`` is two pieces of two letters
    or more, each starting a part of ``compound`` and taken from it in order (GBDT: geburts|datum, FMNA:
    familien|name, VSNR: versicherungs|nummer, as German and Dutch registers and SAP HR abbreviate compounds); the
    first piece comes from the compound's opening letters (flsa is no familienstand); else None."""
    best = None
    for cut in range(2, len(word) - 1):
        head, tail = word[:cut], word[cut:]
        if compound[0] != head[0]:
            return None
        # the last piece reads the compound's second half (poste is no post|code, datef no date|of|birth)
        for split in range(len(compound) - len(tail), max(len(head), len(compound) // 2 - 1) - 1, -1):
            if (compound[split] == tail[0] and _subsequence(tail, compound[split:])
                    and _subsequence(head, compound[:min(split, len(head) + 2)])):
                if best is None or len(compound) - split < best:
                    best = len(compound) - split
                break
    return best


def _spelled_out(word: str, config: PiiConfig) -> str:
    expansion = config.aliases.get(word)
    return expansion[0] if expansion and len(expansion) == 1 and len(expansion[0]) > len(word) else word


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def is_known_word(word: str, config: PiiConfig) -> bool:
    """A word of the vocabulary (or its plural)."""
    return _known(word, config)


def _known(word: str, config: PiiConfig) -> bool:
    if word in config.words:
        return True
    if len(word) > 3 and word.endswith("s"):
        stem = word[:-2] if word.endswith("es") and word[:-2] in config.words else word[:-1]
        return stem in config.words
    return False


def _split_compound(word: str, config: PiiConfig, hidden: bool = False) -> tuple[str, ...]:
    """Split ``word`` into the fewest known words, or keep it whole when it is known or cannot be split; with
    ``hidden``, words that hide in ordinary ones (lat, sex, ssn) may be pieces too (the word is no English word)."""
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
            if len(piece) == 2 and piece not in config.short_words or (piece in config.hidden_words
                                                                        and not hidden):
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


def agent_noun(word: str, config: PiiConfig) -> bool:
    """Whether a singular English word is built as a noun of a person from what the person does or receives: -ician
    (technician, electrician), -ee (trainee, licensee, nominee) and -ist (dentist, therapist, pharmacist), long
    enough to be such a word (not a list: playlist, checklist; not assist, persist), and none of
    ``tokens.not_agents`` (committee, guarantee)."""
    if word in config.not_agents or not word.isalpha():
        return False
    if word.endswith("ician"):
        return len(word) >= 8
    if word.endswith("ee"):
        return len(word) >= 7 and not word.endswith("eee")
    if word.endswith("ist"):
        return len(word) >= 7 and not word.endswith(("list", "sist", "hist", "dist"))
    return False


def person_role(word: str, config: PiiConfig) -> bool:
    """Whether a word (singular or plural) names a person by the role they play: a listed role (witness,
    signatories: ``context.roles``), a single-word role pattern of a person's name (supervisor) or an agent noun
    built as a person's (trainee, dentist; an -ist word only when English: a transliterated Ukrainian kilkist, a
    count, ends so too). Nouns ending in -er or -or are roles only when listed: as many name a thing (printer,
    folder, connector) as a person (painter, mentor)."""
    single = english_singular(word)
    return word in config.role_words or single in config.role_words or (
        agent_noun(single, config) and (not single.endswith("ist") or single in english_log_frequencies()))


def thing(word: str, config: PiiConfig) -> bool:
    """Whether a word (singular or plural) names a thing or a machine (folder, printers: ``context.things``)."""
    return word in config.thing_words or english_singular(word) in config.thing_words


def foreign_singulars(word: str) -> tuple[str, ...]:
    """The singular forms a plural of another language may stand for: Italian -i (clienti cliente, dipendenti
    dipendente, soci socio), Dutch and German -en and -n (klanten klant, kunden kunde). Candidates only: a caller
    keeps the one its word list knows (a person or an organisation noun), so an English word is never misread."""
    if len(word) < 4:
        return ()
    if word.endswith("i"):
        return word[:-1] + "e", word[:-1] + "o", word + "o"
    if word.endswith("en"):
        return word[:-2], word[:-1]
    return ()


def match_tokens(tokens: tuple[str, ...], config: PiiConfig) -> tuple[str, ...]:
    """Tokens as the matcher sees them: singular, aliases expanded, trailing custom-field suffixes dropped."""
    out: list[str] = []
    for token in tokens:
        token = singular(token, config)
        out.extend(config.aliases.get(token, (token,)))
    while len(out) > 1 and out[-1] in config.ignore_trailing:
        out.pop()
    return tuple(out)

