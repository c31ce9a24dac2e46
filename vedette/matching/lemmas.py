"""Dictionary lemmas: the keys of English and Lithuanian words, from simplemma's dictionaries.

Snowball stems merge derivations analysts keep apart ("product" = "production",
"patriotic" = "Patriot"); a dictionary's lemma keeps them apart and still joins a word's
inflections. The measurements behind the choices are in docs/performance.md ("Lemma
sources, measured"):

- English: the form's lemma, and that lemma's lemma when the dictionary has one
  ("defences" → defence → defense). A word it lacks ("UAVs", names, "coproducts") loses
  a plural ending only (Harman's S-stemmer): Snowball would also strip derivational
  endings, and "coproducts" would be "coproduction" again.
- Lithuanian: the Snowball stem of the form's lemma ("tankų" → tankus and "tankai" →
  tankas both give "tank"; "šaudmenų" and "šaudmenys" both give "šaudm").

A `Lexicon` keeps only the forms whose key differs from their *fallback* (the key of a word
the dictionary lacks: the S-stem in English, the Snowball stem in Lithuanian): for every
other word, known or not, the key is the fallback. The matcher then needs far less than the dictionary:
`Lexicon.table` cuts it to the forms whose key or stem some term uses. Every other word
gets the code of words no term uses whichever key it takes, so a text word's key is
`table.get(form, stem)`, one C-level lookup beside the stem the matcher computed before;
the table goes into the compiled topics, and a process that reads them from the matching
cache never loads a dictionary.
"""

from __future__ import annotations

import functools
import itertools
import logging
import operator
import re
import threading
import time
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

import Stemmer

from vedette.matching.lexiconfile import UserLexicons
from vedette.matching.tokens import forms

log = logging.getLogger(__name__)

LEMMATISED = ("en", "lt")
"""Languages whose keys come from a dictionary's lemmas (the others: `stemming`)."""
_SNOWBALL = {"en": "english", "lt": "lithuanian"}
# Harman's S-stemmer, first rule that applies: -ies → -y (not -eies, -aies), -es → -e (not
# -aes, -ees, -oes), -s → "" (not -us, -ss); words of three letters or fewer are left
# alone ("gps", "ies": acronyms, not plurals). Applied in turn over a newline-joined batch
# of words, the three rules act as "the first that applies": a word the first changes ends
# in -y and the second's in -e, which the later rules leave alone. Each pattern starts with
# its ending and looks behind only there: a pattern starting with a look-behind is tried
# at every character (4 times slower).
_PLURAL_RULES = (
    (re.compile("ies(?<=[^\nea]ies)$", re.MULTILINE), "y"),
    (re.compile("es(?<=[^\n][^\naeo]es)$", re.MULTILINE), "e"),
    (re.compile("s(?<=[^\n][^\n][^\nus]s)$", re.MULTILINE), ""),
)


def _singulars(text: str) -> str:
    for rule, replacement in _PLURAL_RULES:
        text = rule.sub(replacement, text)
    return text


def fallbacks(lang: str, folded: list[str]) -> list[str]:
    """The keys of folded words a lemmatised language's dictionary lacks, as a batch."""
    if lang == "en":
        found = _singulars("\n".join(folded)).split("\n")
        return found if len(found) == len(folded) else list(map(_singulars, folded))
    with _STEMMING:
        return list(_stemmer(lang).stemWords(folded))


@dataclass(frozen=True)
class Lexicon:
    """One language's dictionary as keys, for the forms whose key is not their fallback."""

    lang: str
    keys: dict[str, str]
    """Folded form → key, for every dictionary form whose key differs from its fallback."""
    stems: tuple[str, ...]
    """The fallback key of each form of `keys`, in the same order."""

    def table(self, used: Collection[str]) -> dict[str, str]:
        """The forms whose key or fallback is in `used` (the keys of every term), with their
        keys: all a text needs besides the fallbacks, since a word whose key and fallback
        are both unused gets the code of unused words under either."""
        return {form: key for form, key, stem in zip(self.keys, self.keys.values(), self.stems,
                                                     strict=True)
                if key in used or stem in used}

    def plural_twins(self, key: str) -> list[str]:
        """English plurals the dictionary keeps as lemmas of their own ("sales", "means",
        "remains") beside their singular: a term word with one key also gets the other,
        where the two share a stem (so this joins only what stems joined: "news" stays
        apart from "new")."""
        if self.lang != "en":
            return []
        twins = []
        for other in (key + "s", key + "es", key[:-1] if key.endswith("s") else "",
                      key[:-2] if key.endswith("es") else ""):
            if other and self.key(other) == other and other != key and _stem(
                    "en", other) == _stem("en", key):
                twins.append(other)
        return twins

    def key(self, form: str) -> str:
        """The key of one folded word of the language."""
        return self.keys.get(form) or fallbacks(self.lang, [form])[0]

    def encode(self) -> bytes:
        """Forms, keys and fallbacks as three newline-joined texts: no word holds a
        newline or a NUL, and reading them back runs no code whatever the file holds."""
        return "\0".join(map("\n".join, (self.keys, self.keys.values(), self.stems))).encode()

    @classmethod
    def decode(cls, lang: str, data: bytes) -> Lexicon | None:
        """What `encode` wrote, or None for anything else."""
        try:
            parts = [part.split("\n") for part in data.decode().split("\0")]
        except UnicodeDecodeError:
            return None
        if len(parts) != 3 or not len(parts[0]) == len(parts[1]) == len(parts[2]):
            return None
        words, keys, stems = parts if parts[0] != [""] else ([], [], [])
        return cls(lang, dict(zip(words, keys, strict=True)), tuple(stems))


class LexiconStore(Protocol):
    """Where a built lexicon is kept between processes (the matching cache file)."""

    def lexicon(self, lang: str) -> bytes | None:
        """The stored lexicon of `lang`, as `Lexicon.encode` wrote it, if any."""

    def add_lexicon(self, lang: str, data: bytes) -> None:
        """Keep a lexicon just built."""


_LEXICONS: dict[str, Lexicon] = {}
_BUILDING = threading.Lock()


def lexicon(lang: str, store: LexiconStore | None = None) -> Lexicon:
    """The language's lexicon: once per process, read back from `store` (the state's
    matching cache) or the user's cache folder (`lexiconfile`) when either holds it, else
    built from simplemma's dictionary (about a second and 100 MB at its peak) and kept in
    both. Only processes that compile topics need it."""
    found = _LEXICONS.get(lang)
    if found is not None:
        return found
    with _BUILDING:
        found = _LEXICONS.get(lang)
        if found is None:
            found = _LEXICONS[lang] = _load(lang, store)
    return found


def _load(lang: str, store: LexiconStore | None) -> Lexicon:
    user = UserLexicons(edition())
    for where, source in (("the matching cache", store), ("the user's cache folder", user)):
        data = source.lexicon(lang) if source is not None else None
        found = Lexicon.decode(lang, data) if data is not None else None
        if data is not None and found is not None:
            log.debug("%s lexicon read back from %s", lang, where)
            if source is user and store is not None:
                store.add_lexicon(lang, data)
            return found
    started = time.perf_counter()
    found = _build(lang)
    log.debug("%s lexicon built from simplemma's dictionary in %.2f s", lang,
              time.perf_counter() - started)
    data = found.encode()
    for target in (store, user):
        if target is not None:
            target.add_lexicon(lang, data)
    return found


def _build(lang: str) -> Lexicon:
    raw_forms, raw_lemmas = _entries(lang)
    if lang == "en":
        # The lemma's lemma: "defences" → defence, and "defence" → defense.
        lemma_of = dict(zip(raw_forms, raw_lemmas, strict=True))
        raw_lemmas = list(map(lemma_of.get, raw_lemmas, raw_lemmas))
        del lemma_of
    folded_forms = forms(raw_forms, fold=True)
    lemmas = forms(raw_lemmas, fold=True)
    lower = list(map(operator.eq, raw_forms, folded_forms))
    del raw_forms, raw_lemmas
    # Where two entries fold alike ("US" → US, "us" → we), the one written in lower case
    # is the word a folded text word stands for: it goes last, and wins.
    kept = dict(zip(itertools.compress(folded_forms, map(operator.not_, lower)),
                    itertools.compress(lemmas, map(operator.not_, lower)), strict=True))
    kept.update(zip(itertools.compress(folded_forms, lower), itertools.compress(lemmas, lower),
                    strict=True))
    del folded_forms, lemmas, lower
    words = list(kept)
    fallback = fallbacks(lang, words)
    if lang == "en":
        keys = list(kept.values())
    else:
        distinct = list(dict.fromkeys(kept.values()))  # a lemma has many forms
        with _STEMMING:
            stem_of = dict(zip(distinct, _stemmer(lang).stemWords(distinct), strict=True))
        keys = list(map(stem_of.__getitem__, kept.values()))
    differ = list(map(operator.ne, keys, fallback))
    return Lexicon(lang, dict(zip(itertools.compress(words, differ),
                                  itertools.compress(keys, differ), strict=True)),
                   tuple(itertools.compress(fallback, differ)))


LEXICON_VERSION = 1
"""Bump when building a lexicon changes (its fallbacks, folding or choice of entries):
lexicons kept by an earlier one are then never read."""


@functools.cache
def edition() -> str:
    """What a lexicon depends on, for the files that keep them and the keys (`keys_edition`)."""
    import simplemma  # imported when needed: a process that reads compiled topics never is

    return (f"simplemma {simplemma.__version__}, lexicon {LEXICON_VERSION}, "
            f"PyStemmer {Stemmer.version()}, unicode {unicodedata.unidata_version}")


def _entries(lang: str) -> tuple[list[str], list[str]]:
    """The dictionary's forms and the lemma of each."""
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    dictionary = DefaultDictionaryFactory(cache_max_size=0).get_dictionary(lang)
    stored = getattr(dictionary, "_dict", None)
    if isinstance(stored, dict):
        # simplemma keeps UTF-8 bytes and decodes an entry per lookup (1-2 µs each):
        # decoding them all as two joined strings costs a tenth of that.
        raw_forms = b"\n".join(stored).decode().split("\n")
        raw_lemmas = b"\n".join(stored.values()).decode().split("\n")
        if len(raw_forms) == len(raw_lemmas) == len(stored):
            return raw_forms, raw_lemmas
    raw_forms = list(dictionary)
    return raw_forms, list(map(dictionary.__getitem__, raw_forms))


@functools.cache
def _stemmer(lang: str) -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer(_SNOWBALL[lang])
    stemmer.maxCacheSize = 0
    return stemmer


_STEMMING = threading.Lock()  # PyStemmer objects are not thread-safe


def _stem(lang: str, form: str) -> str:
    with _STEMMING:
        return str(_stemmer(lang).stemWord(form))
