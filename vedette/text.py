"""Text tidying shared by the spiders' workers and the clean pipeline."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2028\u2029\ufeff]")
_INLINE_SPACE = re.compile(r"[ \t\u00a0]+")
_WORDS = re.compile(r"\w+")
MAX_BODY_CHARS = 500_000
MAX_TITLE_CHARS = 1_000
# A fingerprint of a short text would call unrelated briefs copies of each other; the
# opening words are enough to recognise a syndicated copy (whose ending may be trimmed).
MIN_FINGERPRINT_WORDS = 80
FINGERPRINT_WORDS = 300
FINGERPRINT_CHARS = 8_000


def tidy(text: str, limit: int) -> str:
    """No control characters, one space between words, no blank lines, at most `limit` chars."""
    # Whole-text regex passes run in C; a per-line loop costs several times more on long bodies.
    text = _INLINE_SPACE.sub(" ", _CONTROL.sub("", (text or "")[: limit * 2]))
    return "\n".join(filter(None, map(str.strip, text.splitlines())))[:limit]


def fingerprint(text: str) -> str | None:
    """Same words in the same order, whatever the markup, case and punctuation."""
    # Skip the first line: extracted text starts with the headline, which outlets reword.
    lines = text.split("\n", 1)
    body = lines[1] if len(lines) == 2 and len(lines[0]) < 300 else text
    opening = unicodedata.normalize("NFKC", body[:FINGERPRINT_CHARS]).casefold()
    words = _WORDS.findall(opening)[:FINGERPRINT_WORDS]
    if len(words) < MIN_FINGERPRINT_WORDS:
        return None
    return hashlib.sha256(" ".join(words).encode()).hexdigest()
