"""The first pass over new text takes short cuts (words without the regex, keys in batches):
each must give exactly what the plain way gives."""

from __future__ import annotations

import functools
import random

import Stemmer
from simplemma.strategies.dictionaries import DefaultDictionaryFactory

from vedette.matching.languages import EXACT, LANGUAGES, SCRIPT, SLOT
from vedette.matching.lemmas import lexicon
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
    stem = Stemmer.Stemmer(algorithm).stemWord
    if lang in ("en", "lt"):
        lemma = _folded_dictionary(lang).get(folded)
        if lang == "en":
            return lemma if lemma is not None else _s_stem(folded)
        if lemma is not None:
            return stem(lemma)
    return stem(folded.replace("ё", "е") if lang == "ru" else folded)


def _s_stem(word: str) -> str:
    """Harman's S-stemmer (1991), for words of four letters or more."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


@functools.cache
def _folded_dictionary(lang: str) -> dict[str, str]:
    """simplemma's dictionary, read word by word: the folded form's lemma (English: the
    lemma's lemma), folded; an entry written in lower case wins over one folded to it."""
    dictionary = DefaultDictionaryFactory().get_dictionary(lang)
    found: dict[str, str] = {}
    for form in sorted(dictionary, key=lambda form: form == folded_form(form)):
        lemma = dictionary[form]
        if lang == "en":
            lemma = dictionary.get(lemma, lemma)
        found[folded_form(form)] = folded_form(lemma)
    return found


def test_keys_computed_in_a_batch_are_the_keys_of_each_word() -> None:
    words = ("Drones drones DRONES long-range Ukraine's HIMARS’s F 16 s 155 ﬁre Ⅻ "
             "дрони Дрони дронів далекобійних п'ять п’ять об'єкт дро\u0301ни ёлка Ёлка еще ещё "
             "беспилотники dronų gamyba Drony zasięgu łódź шахедами Мавіки production product "
             "productions defences defence rang US us NATO šaudmenų šaudmenys tankų tankai "
             "Bendros bendra UAVs coproducts HIMARS ies es s boxes shoes flies eies aies "
             "bus kiss gases gps ies2 uavs mlrs").split()
    # A dictionary word's lemma is read from its first entry, not from a full parse:
    # every form of some words (with г written for ґ, apostrophes, several readings),
    # and words the dictionary lacks, must get `parse`'s answer.
    morph = _morph_uk()
    for lemma in ("ґанок", "ганок", "об'єкт", "коса", "стати", "воно", "Київ", "найкращий"):
        words += [form.word for parse in morph.parse(lemma)[:2] for form in parse.lexeme]
    analyzer = Analyzer()
    for slot in (EXACT, *SLOT.values()):
        assert analyzer.word_keys(words, slot) == [_reference_key(w, slot) for w in words], slot


def test_a_table_cut_to_the_terms_keys_codes_every_word_as_the_whole_dictionary() -> None:
    # The matcher keys text words with `Lexicon.table(used)` and the stem for the rest: a
    # word's key may then differ from its full key, but only where neither is used.
    rng = random.Random(13)
    for lang in ("en", "lt"):
        whole = lexicon(lang)
        slot = SLOT[lang]
        dictionary = list(_folded_dictionary(lang))
        words = [*rng.sample(dictionary, 20_000), "uavs", "himars", "zzzq", "dronų"]
        full = Analyzer().word_keys(words, slot)
        used = set(rng.sample(full, 500)) | set(rng.sample(list(whole.stems), 100))
        cut = Analyzer(tables={lang: whole.table(used)}).word_keys(words, slot)
        assert len(whole.table(used)) < len(whole.keys) / 4  # cut, or the test is idle
        for word, full_key, cut_key in zip(words, full, cut, strict=True):
            assert (full_key in used) == (cut_key in used), word
            if full_key in used:
                assert cut_key == full_key, word
