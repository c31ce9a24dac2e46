"""Per-word keys: the normalised, stemmed or lemmatised forms that matching compares.

A word gets one key per language slot. For a language of the word's own script the key is
its dictionary lemma (simplemma: English; pymorphy3: Ukrainian), the stem of its lemma
(Lithuanian) or its stem (Snowball: Polish, Russian, and words the dictionaries lack; see
`lemmas`); for any other language it is the case-folded word itself. Text words and term words go
through the same functions, so both sides of a comparison always have comparable keys.
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, cast

import pymorphy3
import pymorphy3_dicts_uk
import Stemmer
from pymorphy3 import MorphAnalyzer
from pymorphy3.units import DictionaryAnalyzer

from vedette.matching import lemmas
from vedette.matching.languages import EXACT, LANGUAGES, SCRIPT
from vedette.matching.tokens import (
    EDGE,
    TOKEN_RE,
    folded_form,
    forms,
    of_script,
    script_of,
)

_SNOWBALL = {"en": "english", "lt": "lithuanian", "pl": "polish", "ru": "russian"}
_MAX_VARIANTS = 16  # lemma combinations per term and language (ambiguous Ukrainian words)

KEYS_VERSION = 2
"""Bump whenever a word's key changes for a reason `keys_edition` doesn't show by itself:
folding or cleaning in `tokens`, a new stemmer or lemma source (dictionary lemmas), a
change of slots. Word keys stored by an earlier edition are then never read (see
`wordkeys`)."""


@functools.cache
def keys_edition() -> str:
    """Everything the stored keys of a text's chunks depend on, as one string: keys stored
    under another edition may differ from what this code computes."""
    dictionary = Path(pymorphy3_dicts_uk.get_path(), "meta.json")
    return json.dumps({
        "keys": KEYS_VERSION,
        "slots": LANGUAGES,
        "words": [TOKEN_RE.pattern, EDGE],  # how a chunk splits into words
        "unicode": unicodedata.unidata_version,  # NFKC and case folding
        "PyStemmer": Stemmer.version(),
        "lemmas": lemmas.edition(),
        "pymorphy3": pymorphy3.__version__,
        "pymorphy3-dicts-uk": pymorphy3_dicts_uk.__version__,
        "uk-dictionary": dict(json.loads(dictionary.read_text(encoding="utf-8"))),
    }, sort_keys=True, ensure_ascii=False)


@functools.cache
def _morph_uk() -> MorphAnalyzer:
    # Loading the dictionary takes a tenth of a second and tens of MB: once per process,
    # and only when Cyrillic text first turns up.
    return MorphAnalyzer(lang="uk")


@functools.cache
def _dictionary_lemma() -> Callable[[str], str | None]:
    """The most likely lemma of a folded Ukrainian word the dictionary holds, or None:
    `parse(word)[0].normal_form` when that reading comes from the dictionary.

    `parse` builds every reading of a word with its tag and score (11 µs a dictionary
    word here); the first reading of a dictionary word is the first entry the dictionary
    holds for it, so that entry alone gives the same lemma (3 µs). This holds while no
    probability estimate reorders the readings (pymorphy3 has none for Ukrainian) and
    the dictionary is the first analyser consulted; otherwise every word gets None.
    """
    morph = _morph_uk()
    units = getattr(morph, "_units", None)
    if morph.prob_estimator is not None or not units or not isinstance(
            units[0][0], DictionaryAnalyzer):
        return lambda word: None
    dictionary, substitutes = morph.dictionary, morph.char_substitutes
    entries, normal_form = dictionary.words.similar_items, dictionary.build_normal_form

    def lemma(word: str) -> str | None:
        found = entries(word.lower(), substitutes)  # what `parse` looks up
        if not found:
            return None
        fixed, ((paradigm, index), *_) = found[0]
        return normal_form(paradigm, index, fixed)

    return lemma


class KeyMemory(Protocol):
    """Keys of costly words kept between processes (`wordkeys.StoredKeys`)."""

    def recall(self, lang: str, words: list[str]) -> dict[str, str]:
        """The stored keys of those of `words` it holds."""

    def learn(self, lang: str, keys: dict[str, str]) -> None:
        """Keys just worked out, to keep."""


class Analyzer:
    """Computes the keys of words. Safe to share between threads.

    Text words' keys are cached per matcher by `encoding.StreamEncoder`, per slot and only
    for the slots a text is scanned in: an English article never lemmatises its words as
    Ukrainian, and a Ukrainian one never stems as Russian unless the Russian stream runs.
    The costly ones (lemmas guessed for words the dictionary lacks) also outlive the
    process in a `KeyMemory`.
    """

    def __init__(self, memory: KeyMemory | None = None,
                 tables: dict[str, dict[str, str]] | None = None,
                 lexicons: lemmas.LexiconStore | None = None) -> None:
        """`memory`: where the keys of costly words outlive the process, if anywhere.
        `tables`: for text words, the lemmatised languages' dictionaries cut to the forms
        compiled topics use (`lemmas.Lexicon.table`); without them, the whole lexicons,
        as compiling needs, loaded on first use (from `lexicons`, where they are kept
        between processes, if given)."""
        self._memory = memory
        self._tables = tables
        self._lexicons = lexicons
        self._stemmers = {lang: Stemmer.Stemmer(algo) for lang, algo in _SNOWBALL.items()}
        for stemmer in self._stemmers.values():
            # PyStemmer's own cache of 10,000 words makes a stem cost 3-6 µs instead of
            # 1.2 once it is full; every word reaches the stemmer once anyway (our caches).
            stemmer.maxCacheSize = 0
        # PyStemmer objects are not thread-safe; misses are rare after warm-up, so one lock
        # around them costs nothing measurable.
        self._lock = threading.Lock()
        self._term_words: dict[tuple[str, str], list[str]] = {}  # compiling: see term_keys

    def word_keys(self, words: Sequence[str], slot: int) -> list[str]:
        """The keys of words as written in a text, in one slot, computed as a batch.

        A batch costs far less per word than one call each: the words are normalised
        together (`tokens.forms`), written forms that fold alike ("Drones", "drones") are
        stemmed once, and Snowball stems a list in one C call (`stemWords`, about a third
        of the cost of `stemWord` per word).
        """
        if slot == EXACT:
            return forms(list(words), fold=False)
        lang = LANGUAGES[slot - 1]
        folded = forms(list(words), fold=True)
        keys = dict(zip(folded, folded, strict=True))  # another script keeps its folded form
        own = of_script(list(keys), SCRIPT[lang])
        if own:
            with self._lock:
                keys.update(zip(own, self._keys(own, lang), strict=True))
        return list(map(keys.__getitem__, folded))

    def term_keys(self, words: list[str], lang: str) -> list[tuple[str, ...]]:
        """Every key sequence a term's words may take in `lang`.

        Text words take their most likely lemma, but an inflected form may be ambiguous, so
        a term word is compiled under each of its lemmas ("коса" → коса, косий, кос), and
        the term under each combination (capped).
        """
        choices = [self._term_word_keys(word, lang) for word in words]
        return list(itertools.islice(itertools.product(*choices), _MAX_VARIANTS))

    def _term_word_keys(self, word: str, lang: str) -> list[str]:
        # Ten thousand terms are written with a few thousand distinct words: each word's
        # keys are worked out once per language (most of compiling, before).
        found = self._term_words.get((word, lang))
        if found is None:
            folded = folded_form(word)
            if lang == "uk" and script_of(folded) == "cyrl":
                found = self._lemmas_uk(folded)
            else:
                found = [self._key(folded, lang)]
                if lang in lemmas.LEMMATISED and script_of(folded) == SCRIPT[lang]:
                    found += self.lexicon(lang).plural_twins(found[0])
            self._term_words[word, lang] = found
        return found

    def lexicon(self, lang: str) -> lemmas.Lexicon:
        """The whole lexicon of a lemmatised language (`lemmas.LEMMATISED`)."""
        return lemmas.lexicon(lang, self._lexicons)

    def _key(self, folded: str, lang: str) -> str:
        if script_of(folded) != SCRIPT[lang]:
            return folded
        with self._lock:
            return self._keys([folded], lang)[0]

    def _keys(self, folded: list[str], lang: str) -> list[str]:
        """Stems or lemmas of folded words of `lang`'s own script; call under the lock."""
        if lang == "uk":
            return self._lemmas(folded)
        if lang in lemmas.LEMMATISED:
            table = (self._tables.get(lang, {}) if self._tables is not None
                     else self.lexicon(lang).keys)
            # A dictionary form's key where it differs from the fallback, else the fallback.
            return list(map(table.get, folded, lemmas.fallbacks(lang, folded)))
        if lang == "ru":
            # Russian writes ё as е more often than not
            folded = [form.replace("ё", "е") for form in folded]
        return self._stemmers[lang].stemWords(folded)

    def _lemmas(self, folded: list[str]) -> list[str]:
        """Text words' lemmas: the dictionary's (3 µs), else remembered from an earlier
        run, else pymorphy3's guess from the word's ending (50 µs), then remembered."""
        lemmas = list(map(_dictionary_lemma(), folded))
        unknown = [form for form, lemma in zip(folded, lemmas, strict=True) if lemma is None]
        if not unknown:
            return cast(list[str], lemmas)
        known = self._memory.recall("uk", unknown) if self._memory is not None else {}
        parse = _morph_uk().parse
        guessed = {form: parse(form)[0].normal_form for form in unknown if form not in known}
        if guessed and self._memory is not None:
            self._memory.learn("uk", guessed)
        known.update(guessed)
        return [known[form] if lemma is None else lemma
                for form, lemma in zip(folded, lemmas, strict=True)]

    def _lemmas_uk(self, folded: str) -> list[str]:
        lemmas = dict.fromkeys(p.normal_form for p in _morph_uk().parse(folded))
        return list(lemmas) or [folded]
