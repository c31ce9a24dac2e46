"""XML that declares entities is refused before any parser could expand or fetch them.

Real feeds never declare entities; XXE (`<!ENTITY x SYSTEM "file:///etc/passwd">`) and
entity expansion ("billion laughs") do. Two layers decide it, both real XML parsers, never
a scan of the text (a comment or an encoding hides declarations from a scan):

1. `check_prolog` reads the document with expat, the parser feedparser itself uses, only up
   to the root element's start: a DOCTYPE with an internal subset (where entities are
   declared) is refused. Expat here resolves nothing and reads no external DTD.
2. Where expat can't read the prolog as sent (an encoding it lacks, such as UTF-7, or a
   declaration not at the start), feedparser decodes the document and parses it again.
   Its strict parser is therefore defusedxml's expat reader (this module is its SAX
   driver: `create_parser`), which stops at the first entity declaration;
   `refusing_entities` turns that into `Refused`. (feedparser's loose fallback only
   substitutes plain-text entities, in one pass.)

External DTDs (`<!DOCTYPE rss PUBLIC "…" "http://…/rss-0.91.dtd">`, common in old feeds) are
never read by either layer, and not refused: feedparser turns external entity loading off
(`feature_external_ges`), so the reference is skipped, as it always was.
"""

from __future__ import annotations

import xml.sax
from collections.abc import Iterator
from contextlib import contextmanager
from xml.parsers import expat

import feedparser.api
from defusedxml import DefusedXmlException, ExternalReferenceForbidden
from defusedxml.expatreader import DefusedExpatParser

DECLARES = "the document declares XML entities"
_WHY = "refused (XXE / entity expansion)"
_DRIVER = __name__  # a SAX driver is a module with create_parser(): this one


class Refused(Exception):
    """The document declares what a feed never needs; the message says what."""


class _RootReached(Exception):
    """The prolog has been read: nothing after the root element's start matters here."""


def check_prolog(body: bytes) -> None:
    """Raise Refused when the document's DOCTYPE has an internal subset."""

    def on_doctype(name: str, system_id: str | None, public_id: str | None,
                   has_internal_subset: int) -> None:
        if has_internal_subset:
            # Refused at its start: not one declaration inside is read, let alone expanded.
            raise Refused(f"{DECLARES} or other DTD markup (a DOCTYPE internal subset); {_WHY}")

    def on_root(name: str, attributes: object) -> None:
        raise _RootReached

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)  # no external DTD
    parser.StartDoctypeDeclHandler = on_doctype
    parser.StartElementHandler = on_root
    try:
        parser.Parse(body, True)
    except _RootReached:
        return
    except (expat.ExpatError, LookupError, ValueError):
        # Not readable as sent (HTML, an encoding expat lacks, junk before the declaration):
        # feedparser decodes it first, and its defused strict parser decides (layer 2).
        return


@contextmanager
def refusing_entities() -> Iterator[None]:
    """Around feedparser.parse: the defused strict parser's refusal becomes `Refused`."""
    try:
        yield
    except ExternalReferenceForbidden:
        raise Refused(f"the document refers to an external entity; {_WHY}") from None
    except DefusedXmlException:
        raise Refused(f"{DECLARES}; {_WHY}") from None


def create_parser() -> DefusedExpatParser:
    """The SAX parser feedparser's strict pass gets (xml.sax.make_parser calls this)."""
    # forbid_external=False: an external DTD is skipped by feedparser's own settings, and
    # refusing it would fail old feeds that always parsed. Entity declarations are refused.
    return DefusedExpatParser(forbid_entities=True, forbid_external=False)


def _defuse_feedparser() -> None:
    """Make defusedxml's expat reader the SAX driver of feedparser's strict parser."""
    drivers = feedparser.api.PREFERRED_XML_PARSERS  # read by feedparser at every parse
    if _DRIVER in drivers:
        drivers.remove(_DRIVER)
    drivers.insert(0, _DRIVER)
    # xml.sax.make_parser silently skips a driver it can't import: check the one it picks
    # (the very call feedparser makes; this parser parses nothing).
    picked = xml.sax.make_parser(drivers)  # noqa: S317
    if not isinstance(picked, DefusedExpatParser):
        raise ImportError("feedparser would parse feeds without defusedxml's expat reader")


_defuse_feedparser()
