"""Bytes to text when the declared charset lies: a page or feed that says UTF-8 (or says
nothing) but is not valid UTF-8 is decoded by charset detection (charset-normalizer).

Sites that moved to a UTF-8 template while their articles stayed cp1251 or koi8-r are
common; decoded as declared, with replacement characters, a Ukrainian article becomes
mojibake and no topic can match it. Valid UTF-8 never reaches the detector: checking it
costs one strict decode, which is the decode that was needed anyway.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from dataclasses import dataclass
from xml.parsers import expat

from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

_TAG = re.compile(rb"<[^>]*>")
_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
# charset-normalizer names the languages each candidate decoding reads as; a page's own
# `lang` attribute picks among code pages it rates alike (cp1257 over cp1252 for a
# Lithuanian page whose only non-ASCII letters are ė and ų).
_LANGUAGES = {
    "en": "English", "uk": "Ukrainian", "ru": "Russian", "lt": "Lithuanian", "pl": "Polish",
    "bg": "Bulgarian", "cs": "Czech", "de": "German", "es": "Spanish", "et": "Estonian",
    "fr": "French", "hr": "Croatian", "hu": "Hungarian", "it": "Italian", "kk": "Kazakh",
    "ro": "Romanian", "sk": "Slovak", "sl": "Slovene", "sr": "Serbian", "tr": "Turkish",
}


@dataclass(frozen=True)
class Decoded:
    text: str
    redecoded: bool     # the declared (or assumed) UTF-8 was not: charset detection decided


def decode_page(body: bytes, content_type: str | None) -> Decoded:
    """An HTML page's text, decoded as Scrapy would (byte-order mark, then the HTTP
    header's charset, then `<meta charset>`), except that a page declared UTF-8, or
    declaring nothing, that is not valid UTF-8 is decoded by charset detection."""
    declared = _declared(body, content_type)
    if declared is not None and declared != "utf-8":
        # Another charset declared: any byte sequence decodes in most single-byte code
        # pages, so there is nothing to detect; decoded as declared, as before.
        return Decoded(html_to_unicode(content_type, body)[1], redecoded=False)
    start = len(codecs.BOM_UTF8) if body.startswith(codecs.BOM_UTF8) else 0
    try:
        return Decoded(body[start:].decode("utf-8"), redecoded=False)
    except UnicodeDecodeError:
        pass
    encoding = detect(body)
    if encoding is None:
        # Nothing readable found (binary junk): replacement characters, as before.
        return Decoded(body[start:].decode("utf-8", "replace"), redecoded=False)
    return Decoded(body.decode(encoding, "replace"), redecoded=True)


def utf8_feed(body: bytes, content_type: str | None) -> bytes | None:
    """For a feed whose declared charset (HTTP header, else its XML declaration, else
    UTF-8 as XML assumes) is UTF-8 but whose bytes are not: the document transcoded to
    the UTF-8 it claims to be, so the parsers read what it says. None when it is valid
    UTF-8, has a byte-order mark, declares another charset, or nothing can be detected."""
    if read_bom(body)[0] is not None:
        return None
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    declared = http_content_type_encoding(content_type or "") or _xml_declared(body)
    if declared is not None and resolve_encoding(declared) != "utf-8":
        return None
    encoding = detect(body)
    if encoding is None:
        return None
    return body.decode(encoding, "replace").encode("utf-8")


def detect(body: bytes) -> str | None:
    """The charset the detector finds for the document's text, or None."""
    from charset_normalizer import from_bytes  # imported on the first broken document only

    # Only the text between tags that holds non-ASCII bytes: markup and ASCII padding
    # would drown the letters that tell code pages apart (a 460 KB page of mostly
    # English markup around Ukrainian text was read as cp1257 whole, cp1251 this way).
    sample = b"\n".join(part for part in _TAG.split(body) if not part.isascii())
    matches = from_bytes(sample or body)
    if not matches:
        return None
    language = _page_language(body)
    if language is not None:
        for match in matches:
            if language in match.languages:
                return str(match.encoding)
    best = matches.best()
    return str(best.encoding) if best is not None else None


def _page_language(body: bytes) -> str | None:
    found = _LANG.search(body[:4096])
    return _LANGUAGES.get(found.group(1).decode("ascii").lower()) if found else None


def _declared(body: bytes, content_type: str | None) -> str | None:
    """The charset a browser (and Scrapy) would take the page to be in, or None."""
    bom = read_bom(body)[0]
    if bom is not None:
        return resolve_encoding(bom)
    declared = http_content_type_encoding(content_type or "") or html_body_declared_encoding(body)
    return resolve_encoding(declared) if declared else None


def _xml_declared(body: bytes) -> str | None:
    """The encoding named by the document's XML declaration, read by expat (the parser
    that reads the feed), or None without one."""
    found: list[str | None] = []

    def on_declaration(version: str, encoding: str | None, standalone: int) -> None:
        found.append(encoding)
        raise _Declared

    parser = expat.ParserCreate()
    parser.XmlDeclHandler = on_declaration
    with contextlib.suppress(_Declared, expat.ExpatError, LookupError, ValueError):
        # The declaration is at the very start, or there is none.
        parser.Parse(body[:1024], False)
    return found[0] if found else None


class _Declared(Exception):
    """The XML declaration has been read: nothing after it matters here."""
