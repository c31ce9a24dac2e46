"""The first pass over new text takes short cuts (words without the regex, keys in batches):
each must give exactly what the plain way gives."""

from __future__ import annotations

import random

import Stemmer

from vedette.matching.languages import EXACT, LANGUAGES, SCRIPT, SLOT
from vedette.matching.stemming import Analyzer, _morph_uk
from vedette.matching.tokens import (
    EDGE,
    TOKEN_RE,
    chunk_words,
    exact_form,
    folded_form,
    forms,
    of_script,
    script_of,
)

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


def test_words_normalised_in_a_batch_are_each_words_forms() -> None:
    # A batch is normalised as one newline-joined text: nothing may leak between words.
    rng = random.Random(12)
    chunks = {"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 9))) for _ in range(20_000)}
    words = [word for chunk in chunks for word in TOKEN_RE.findall(chunk)] + [
        "x's", "X'S", "a's's", "’s", "ǅ's", "HIMARS’s", "ﷺ", "ﬁre", "дро\u0301ни"]
    folded = forms(words, fold=True)
    assert folded == list(map(folded_form, words))
    assert forms(words, fold=False) == list(map(exact_form, words))
    for script in ("latn", "cyrl"):
        assert sorted(of_script(folded, script)) == sorted(
            form for form in folded if script_of(form) == script)


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
             "беспилотники dronų gamyba Drony zasięgu łódź шахедами Мавіки").split()
    # A dictionary word's lemma is read from its first entry, not from a full parse:
    # every form of some words (with г written for ґ, apostrophes, several readings),
    # and words the dictionary lacks, must get `parse`'s answer.
    morph = _morph_uk()
    for lemma in ("ґанок", "ганок", "об'єкт", "коса", "стати", "воно", "Київ", "найкращий"):
        words += [form.word for parse in morph.parse(lemma)[:2] for form in parse.lexeme]
    analyzer = Analyzer()
    for slot in (EXACT, *SLOT.values()):
        assert analyzer.word_keys(words, slot) == [_reference_key(w, slot) for w in words], slot
