"""Per-word keys: the normalised, stemmed or lemmatised forms that matching compares.

A word gets one key per language slot. For a language of the word's own script the key is
its stem (Snowball: English, Lithuanian, Polish, Russian) or lemma (pymorphy3: Ukrainian);
for any other language it is the case-folded word itself. Text words and term words go
through the same functions, so both sides of a comparison always have comparable keys.
"""

from __future__ import annotations

import functools
import itertools
import threading

import Stemmer
from pymorphy3 import MorphAnalyzer

from vedette.matching.languages import EXACT, LANGUAGES, SCRIPT
from vedette.matching.tokens import exact_form, folded_form, script_of

_SNOWBALL = {"en": "english", "lt": "lithuanian", "pl": "polish", "ru": "russian"}
_MAX_VARIANTS = 16  # lemma combinations per term and language (ambiguous Ukrainian words)


@functools.cache
def _morph_uk() -> MorphAnalyzer:
    # Loading the dictionary takes a tenth of a second and tens of MB: once per process,
    # and only when Cyrillic text first turns up.
    return MorphAnalyzer(lang="uk")


class Analyzer:
    """Computes the keys of words. Safe to share between threads.

    Text words' keys are cached per matcher by `encoding.StreamEncoder`, per slot and only
    for the slots a text is scanned in: an English article never lemmatises its words as
    Ukrainian, and a Ukrainian one never stems as Russian unless the Russian stream runs.
    """

    def __init__(self) -> None:
        self._stemmers = {lang: Stemmer.Stemmer(algo) for lang, algo in _SNOWBALL.items()}
        # PyStemmer objects are not thread-safe; misses are rare after warm-up, so one lock
        # around them costs nothing measurable.
        self._lock = threading.Lock()

    def word_key(self, word: str, slot: int) -> str:
        """The key of one word as written in a text, in one slot."""
        if slot == EXACT:
            return exact_form(word)
        with self._lock:
            return self._key(folded_form(word), LANGUAGES[slot - 1])

    def term_keys(self, words: list[str], lang: str) -> list[tuple[str, ...]]:
        """Every key sequence a term's words may take in `lang`.

        Text words take their most likely lemma, but an inflected form may be ambiguous, so
        a term word is compiled under each of its lemmas ("коса" → коса, косий, кос), and
        the term under each combination (capped).
        """
        choices: list[list[str]] = []
        for word in words:
            folded = folded_form(word)
            if lang == "uk" and script_of(folded) == "cyrl":
                choices.append(self._lemmas_uk(folded))
            else:
                choices.append([self._key(folded, lang)])
        return list(itertools.islice(itertools.product(*choices), _MAX_VARIANTS))

    def _key(self, folded: str, lang: str) -> str:
        if script_of(folded) != SCRIPT[lang]:
            return folded
        if lang == "uk":
            return _morph_uk().parse(folded)[0].normal_form
        if lang == "ru":
            folded = folded.replace("ё", "е")  # Russian writes ё as е more often than not
        return self._stemmers[lang].stemWord(folded)

    def _lemmas_uk(self, folded: str) -> list[str]:
        lemmas = dict.fromkeys(p.normal_form for p in _morph_uk().parse(folded))
        return list(lemmas) or [folded]
