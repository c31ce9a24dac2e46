"""Webhook URLs that could never be sent to, refused when the config loads.

httpx (which posts to Slack) and requests (under Apprise) met these only when a digest
was sent, some with a traceback: a port above 65535 reached the socket as OverflowError,
an unclosed '[' made `urlsplit` raise, a broken `xn--` label made `idna` raise. The rules
are httpx's own (`httpx._urlparse.encode_host`), checked here without importing httpx
(≈ 0.2 s at every start); `idna`, which httpx uses for international names, is imported
only for a URL that has one.

Webhook URLs are secrets: a reason never quotes any part of the URL.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_IPV4_STYLE = re.compile(r"^[0-9.]+$")  # httpx reads such a host as an address, not a name
_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # httpx refuses them anywhere in a URL
_APPRISE_OVER_HTTP = frozenset({"http", "https", "json", "jsons", "xml", "xmls", "form",
                                "forms"})
"""Apprise's schemes that post over HTTP to the host written in the URL."""


def unusable_http_url(url: str) -> str | None:
    """Why the http(s) URL `url` can never be sent to, in words that quote none of it;
    None when it can be."""
    if _CONTROL.search(url):
        return "it contains a control character (a tab or a line break?)"
    try:
        parts = urlsplit(url)
        port = parts.port  # reads the digits; ValueError when out of range
    except ValueError:
        if re.match(r"^[a-z]+://[^/?#]*\[", url, re.IGNORECASE):
            return ("its host has a '[' without a matching ']' or an invalid address inside "
                    "(an IPv6 address is written [2001:db8::1])")
        return "its port is not a number from 1 to 65535"
    if parts.scheme.lower() not in ("http", "https"):
        return "it is not an http:// or https:// URL"
    if port == 0:
        return "its port is not a number from 1 to 65535"
    host = parts.netloc.rpartition("@")[2]
    if host.startswith("["):
        host = host[:host.find("]") + 1]
    elif ":" in host:
        host = host[:host.rfind(":")]
    if not host:
        return "it has no host name"
    return _unusable_host(host)


def _unusable_host(host: str) -> str | None:
    """Why a URL's host (as written, brackets and all) can never be reached."""
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return "its host is not a valid IPv6 address"
        return None
    if _IPV4_STYLE.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "its host is not a valid IPv4 address"
        return None
    if not host.isascii():
        import idna  # httpx's own IDNA 2008 encoder: the rule the send would apply

        try:
            host = idna.encode(host.lower()).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            return "its host is not a valid international domain name (IDNA)"
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        return ("its host is not a valid host name (letters, digits, '-' and '_' between "
                "dots, at most 63 characters between two dots)")
    for label in labels:
        if label.lower().startswith("xn--"):
            import idna

            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError):
                return "its host has an 'xn--' part that is not a valid international name"
    return None


def unusable_apprise_url(url: str, port: object) -> str | None:
    """Why an Apprise URL, which Apprise read with `port`, can never be sent to; None when
    it can be, or when it is not Vedette's to judge (Apprise checked the rest)."""
    if isinstance(port, int) and not 1 <= port <= 65535:
        return "its port is not a number from 1 to 65535"
    scheme, _, rest = url.partition("://")
    if scheme.lower() in _APPRISE_OVER_HTTP:
        return unusable_http_url(f"http://{rest}")
    return None
