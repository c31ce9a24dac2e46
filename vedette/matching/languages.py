"""Which languages' stemmers take part in matching one article.

Every language has a *slot*: a word's keys are kept in a tuple indexed by slot, and every
article is scanned once per active slot (a "stream"). Slot 0 holds the exact form for
case-sensitive terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from vedette.matching.tokens import Script

EXACT: Final = 0
LANGUAGES: Final[tuple[str, ...]] = ("en", "lt", "pl", "uk", "ru")
SLOT: Final[dict[str, int]] = {lang: i + 1 for i, lang in enumerate(LANGUAGES)}
SCRIPT: Final[dict[str, Script]] = {
    "en": "latn", "lt": "latn", "pl": "latn", "uk": "cyrl", "ru": "cyrl"
}

# Letters that only Lithuanian (ė, į, ų, ū) or Polish (ł, ń, ś, ź, ż, ć, ó) use among our
# languages: when an article's language is unknown they say which Latin stemmer to add.
_LITHUANIAN = re.compile("[ėįųūĖĮŲŪ]")
_POLISH = re.compile("[łńśźżćóŁŃŚŹŻĆÓ]")
# Likewise for Cyrillic: letters only Ukrainian (і, ї, є, ґ) or only Russian (ы, э, ъ, ё)
# writes among our languages. Either set alone names the language; both (a quote) or
# neither (a short title) keep both analyses. (Other Cyrillic languages share some of
# these letters and get one analysis or the other; no topic is written in them.)
_UKRAINIAN = re.compile("[іїєґІЇЄҐ]")
_RUSSIAN = re.compile("[ыэъёЫЭЪЁ]")


def languages_for_script(script: Script) -> tuple[str, ...]:
    """Languages whose keys a term written in `script` is compiled for."""
    if script == "none":
        return LANGUAGES  # digits and other scripts: the same key in every stream
    return tuple(lang for lang in LANGUAGES if SCRIPT[lang] == script)


def article_languages(
    language: str | None, texts: Iterable[str], forced: Iterable[str] = ()
) -> tuple[str, ...]:
    """The languages to scan an article in.

    English stemming always runs on Latin words: English names and terms turn up in every
    language's defense news. Lithuanian/Polish are added when the article says so (or,
    without a language, when their letters appear). Cyrillic words are Ukrainian or Russian:
    an article labelled with one of them picks it; otherwise (no label, or another
    language's) letters only one of them writes pick it, and otherwise both run, as neither
    can be ruled out. `forced` languages (a topic's
    `languages:`) always run.
    """
    code = (language or "").strip().lower()[:2] or None
    texts = tuple(texts)
    langs = ["en"]
    if code == "lt" or (code is None and any(map(_LITHUANIAN.search, texts))):
        langs.append("lt")
    if code == "pl" or (code is None and any(map(_POLISH.search, texts))):
        langs.append("pl")
    if code in ("uk", "ru"):
        langs.append(code)
    else:
        # A label that names neither (English, Lithuanian, none) says nothing about the
        # Cyrillic words: Russian pages behind a site-wide lang="en" are common. Their
        # letters decide as for an unlabelled page; reading a Russian text as Ukrainian
        # too only made pymorphy3 guess a lemma for nearly every word (80 µs each).
        ukrainian = any(map(_UKRAINIAN.search, texts))
        russian = any(map(_RUSSIAN.search, texts))
        if ukrainian or not russian:
            langs.append("uk")
        if russian or not ukrainian:
            langs.append("ru")
    langs.extend(lang for lang in forced if lang not in langs)
    return tuple(lang for lang in LANGUAGES if lang in langs)


def field_languages(langs: tuple[str, ...], scripts: frozenset[Script]) -> tuple[str, ...]:
    """The streams one field needs: a language whose script is absent would only repeat
    what another stream finds (its words would all keep their surface form), so skip it."""
    wanted = tuple(lang for lang in langs if SCRIPT[lang] in scripts)
    return wanted or ("en",)
