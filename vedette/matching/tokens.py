"""Splitting text into words and normalising each word (Unicode, case, apostrophes).

Tokenising is what makes matching whole-word and makes hyphens, dashes and runs of white
space equivalent: they all separate words, so "long-range", "long range" and "Long‑Range"
(U+2011) are the same two words. Offsets always refer to the original text so snippets can
show the article's own characters.
"""

from __future__ import annotations

import itertools
import operator
import re
import unicodedata
from collections.abc import Iterator
from typing import Literal, NamedTuple

Script = Literal["latn", "cyrl", "none"]

# Characters that belong inside a word without being letters: combining marks left over
# after NFKC (stress accents in Ukrainian/Russian: "дро́ни"), soft hyphens and zero-width
# characters that sites insert for line breaking. Without them such words would be split.
_INWORD = "\u0300-\u036f\u00ad\u200b-\u200d\u2060\ufeff"
# Apostrophe variants: ASCII, right/left single quotes, modifier letter, backtick, fullwidth.
_APOSTROPHES = "'\u2019\u2018\u02bc`\uff07"

# A word is a run of letters or a run of digits: "155mm" = "155 mm" = "155-mm" and
# "F-16s" holds the words F, 16, s (so "F-16" finds it). An apostrophe only counts inside
# a word, so quotes around a word ('drone') are not part of it but "п’ятниця" and "O'Brien"
# stay whole. The pattern is written as an unrolled loop (marks are rare) to stay fast and
# free of backtracking on hostile input.
_RUN = f"[^\\W\\d]+(?:[{_INWORD}]+[^\\W\\d]+)*[{_INWORD}]*"
TOKEN_RE = re.compile(f"{_RUN}(?:[{_APOSTROPHES}]{_RUN})*|\\d+")

# Invisible or decorative characters dropped from the normalised word, and every apostrophe
# variant mapped to "'" (the form pymorphy3's Ukrainian dictionary uses).
_CLEAN = str.maketrans(
    {
        **dict.fromkeys(range(0x0300, 0x0370)),
        **dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff")),
        **dict.fromkeys(map(ord, _APOSTROPHES), "'"),
    }
)
_CYRILLIC = re.compile("[\u0400-\u052f]")
_LATIN = re.compile("[a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")


# Punctuation that is never part of a word (no letter, digit, underscore or in-word mark;
# not U+02BC, the modifier-letter apostrophe, which is a letter to the regex):
# a chunk that is letters with only these around them ("drones,", "(Reuters)", "«дрони»:")
# is exactly one word, found without the word regex. Nine chunks in ten are.
EDGE = "".join(sorted(set(
    "!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~"  # ASCII punctuation but "_"
    "\u00ab\u00bb\u2039\u203a\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f"  # quotes
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2026\uff07\u00b7\u2022"  # dashes, …
)))


def tokenize(text: str) -> list[str]:
    """The words of `text`, as written (not normalised)."""
    return TOKEN_RE.findall(text)


class SplitChunks(NamedTuple):
    """White-space separated chunks sorted by how their words are found."""

    plain: list[str]
    """Chunks that are one word between `EDGE` punctuation ("drones,", "(Reuters)")…"""
    words: list[str]
    """…and that word, for each."""
    other: list[str]
    """The other chunks ("F-16s", "—", "дро́ни")…"""
    other_words: list[tuple[str, ...]]
    """…and their words, as `TOKEN_RE` finds them."""


def split_chunks(chunks: list[str]) -> SplitChunks:
    """The words of white-space separated chunks, as `TOKEN_RE` finds them.

    A chunk of letters between `EDGE` punctuation is those letters (every character
    `str.isalpha` accepts is one the regex puts in a word, so they make one word): nine
    chunks in ten. Only the others go through the regex. Every step is a C-level loop.
    """
    stripped = list(map(str.strip, chunks, itertools.repeat(EDGE)))
    one = list(map(str.isalpha, stripped))
    other = list(itertools.compress(chunks, map(operator.not_, one)))
    return SplitChunks(list(itertools.compress(chunks, one)),
                       list(itertools.compress(stripped, one)),
                       other, list(map(tuple, map(TOKEN_RE.findall, other))))


def chunk_words(chunks: list[str]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(chunk, its words) for white-space separated chunks (see `split_chunks`)."""
    found = split_chunks(chunks)
    return itertools.chain(zip(found.plain, zip(found.words), strict=True),
                           zip(found.other, found.other_words, strict=True))


Layout = tuple[tuple[str, int, int], ...]
"""The words of a chunk of text, each with its [start, end) inside the chunk."""


def chunk_layout(chunk: str) -> Layout:
    """The words of one white-space separated chunk ("drones,", "F-16s", "—").

    Words never contain white space, so the words of a text are exactly the words of its
    `str.split()` chunks, in order.
    """
    return tuple((m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(chunk))


def exact_form(word: str) -> str:
    """The word as exact (case-sensitive) terms see it: only typography is normalised."""
    form = unicodedata.normalize("NFKC", word).translate(_CLEAN)
    # An English possessive is not part of the name: "=HIMARS" should find "HIMARS’s".
    if len(form) > 2 and form[-2:] in ("'s", "'S"):
        form = form[:-2]
    # NFKC can turn one character into several words (rare ligatures); keep keys free of
    # the stream separator so one word stays one key.
    return "_".join(form.split()) if " " in form else form


def folded_form(word: str) -> str:
    """The word as ordinary terms see it before stemming: also case-folded."""
    return exact_form(word).casefold()


# `_CLEAN` as two regexes, for a batch of words joined by newlines (see `forms`):
# `str.translate` looks up every character of a text that is not all ASCII in the table
# (80 ns a character), a regex skips the characters outside its set (10 ns).
_DROPPED = re.compile("[\u0300-\u036f\u00ad\u200b-\u200d\u2060\ufeff]")
_OTHER_APOSTROPHES = re.compile(f"[{_APOSTROPHES[1:]}]")
# An English possessive at the end of a word of a batch (starting with the apostrophe,
# the regex looks for that character alone: 20 × faster than with a lookbehind).
_POSSESSIVE = re.compile("'[sS]$", re.MULTILINE)


def _possessive(found: re.Match[str]) -> str:
    # Only after another character of the word: "'s" alone is a word of its own.
    start = found.start()
    return found.group() if start == 0 or found.string[start - 1] == "\n" else ""


def forms(words: list[str], fold: bool) -> list[str]:
    """`folded_form` (or with `fold` false, `exact_form`) of each word.

    A first pass meets thousands of new words: this costs a fifth of a call per word,
    since all but NFKC run once over the batch joined by newlines (no word holds white
    space; NFKC, cleaning, case folding and the possessive act within a word, and no
    character's NFKC form is or holds a newline).
    """
    # NFKC word by word: one call over the joined batch is 2-3 times slower on news text
    # (a word's own quick check passes most words as they are).
    nfkc: Iterator[Literal["NFKC"]] = itertools.repeat("NFKC")
    text = "\n".join(map(unicodedata.normalize, nfkc, words))
    if _DROPPED.search(text):
        text = _DROPPED.sub("", text)
    text = _POSSESSIVE.sub(_possessive, _OTHER_APOSTROPHES.sub("'", text))
    found = (text.casefold() if fold else text).split("\n")
    if " " in text or len(found) != len(words):
        # NFKC made words of one character (rare ligatures): `exact_form` joins them.
        return list(map(folded_form if fold else exact_form, words))
    return found


def script_of(form: str) -> Script:
    """Which stemmers apply to a word: Cyrillic wins in mixed words, digits get none."""
    if _CYRILLIC.search(form):
        return "cyrl"
    if _LATIN.search(form):
        return "latn"
    return "none"


def of_script(folded: list[str], script: Script) -> list[str]:
    """The case-folded forms whose `script_of` is `script` ("latn" or "cyrl"), in any
    order, by C-level loops: one regex search per form only where the batch needs it
    (a folded ASCII form has a Latin letter exactly when it has a lower-case one)."""
    if _CYRILLIC.search("\n".join(folded)):
        cyrillic = list(map(bool, map(_CYRILLIC.search, folded)))
        if script == "cyrl":
            return list(itertools.compress(folded, cyrillic))
        folded = list(itertools.compress(folded, map(operator.not_, cyrillic)))
    elif script == "cyrl":
        return []
    ascii = list(map(str.isascii, folded))
    plain = list(itertools.compress(folded, ascii))
    other = list(itertools.compress(folded, map(operator.not_, ascii)))
    return [*itertools.compress(plain, map(str.islower, plain)),
            *itertools.compress(other, map(_LATIN.search, other))]


def scripts_in(text: str) -> frozenset[Script]:
    """The scripts present in a whole text (a cheap scan, used to skip useless streams)."""
    found: set[Script] = set()
    if _LATIN.search(text):
        found.add("latn")
    if _CYRILLIC.search(text):
        found.add("cyrl")
    return frozenset(found)


MIN_WILDCARD = 3
"""Characters a wildcard word needs before its '*': "dr*" would match half of any text."""


class TermError(ValueError):
    """A term that cannot be matched as written; `offset` is where in the term."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def term_words(term: str) -> list[tuple[str, bool]]:
    """A term's words as written, each with whether it ends in the wildcard '*'.

    "long-range drone*" → [("long", False), ("range", False), ("drone", True)]. A '*'
    anywhere but at the end of a word of at least MIN_WILDCARD characters is a TermError.
    """
    words: list[tuple[str, bool]] = []
    ends: set[int] = set()
    for found in TOKEN_RE.finditer(term):
        wildcard = term.startswith("*", found.end())
        if wildcard:
            if len(found.group()) < MIN_WILDCARD:
                raise TermError(
                    f"a wildcard needs at least {MIN_WILDCARD} letters before '*'", found.end())
            ends.add(found.end())
        words.append((found.group(), wildcard))
    for star in (m.start() for m in re.finditer(r"\*", term)):
        if star not in ends:
            raise TermError("'*' only ends a word (drone* matches drones, droning …); "
                            "it cannot start or split one", star)
    return words
