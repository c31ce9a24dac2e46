"""The first pass over new text takes short cuts (words without the regex, keys in batches):
each must give exactly what the plain way gives."""

from __future__ import annotations

import random

import Stemmer

from vedette.matching.languages import EXACT, LANGUAGES, SCRIPT, SLOT
from vedette.matching.stemming import Analyzer, _morph_uk
from vedette.matching.tokens import EDGE, TOKEN_RE, chunk_words, exact_form, folded_form, script_of

# Letters, digits, in-word marks, every apostrophe (U+02BC is a letter to the regex),
# underscores, and the punctuation that may surround a word.
PIECES = [*"abcXYZдроніїєґёыéłųß5_", "\u0301", "\u00ad", "\u200b", *"'’ʼ`＇", *EDGE[::3],
          "ﬁ", "Ⅻ", "²", "½", "١", "ǅ"]


def test_words_of_chunks_are_what_the_word_regex_finds() -> None:
    rng = random.Random(11)
    chunks = list({"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 9)))
                   for _ in range(20_000)})
    assert dict(chunk_words(chunks)) == {chunk: tuple(TOKEN_RE.findall(chunk))
                                         for chunk in chunks}


def test_edge_punctuation_is_never_part_of_a_word() -> None:
    for char in EDGE:
        assert not char.isspace() and TOKEN_RE.findall(char * 3) == [], repr(char)
        assert TOKEN_RE.findall(f"{char}word{char}") == ["word"], repr(char)


def _reference_key(word: str, slot: int) -> str:
    """A word's key computed one word at a time, straight from the libraries."""
    if slot == EXACT:
        return exact_form(word)
    lang, folded = LANGUAGES[slot - 1], folded_form(word)
    if script_of(folded) != SCRIPT[lang]:
        return folded
    if lang == "uk":
        return _morph_uk().parse(folded)[0].normal_form
    algorithm = {"en": "english", "lt": "lithuanian", "pl": "polish", "ru": "russian"}[lang]
    return Stemmer.Stemmer(algorithm).stemWord(folded.replace("ё", "е") if lang == "ru" else folded)


def test_keys_computed_in_a_batch_are_the_keys_of_each_word() -> None:
    words = ("Drones drones DRONES long-range Ukraine's HIMARS’s F 16 s 155 ﬁre Ⅻ "
             "дрони Дрони дронів далекобійних п'ять п’ять об'єкт дро\u0301ни ёлка Ёлка еще ещё "
             "беспилотники dronų gamyba Drony zasięgu łódź").split()
    analyzer = Analyzer()
    for slot in (EXACT, *SLOT.values()):
        assert analyzer.word_keys(words, slot) == [_reference_key(w, slot) for w in words], slot
