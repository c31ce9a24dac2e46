"""Canonical article URLs: the key that makes "the same story" the same across feeds."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Parameters that identify a campaign or a click, never the page itself.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|gclsrc|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|_gl|"
    r"ocid|cmpid|cmp|icid|ito|ns_\w+|at_\w+|sr_share|spm|share|smid|rss|rssfeed|"
    r"ref_src|ref_url|taid|wt_mc|wt\.\w+|__twitter_impression|vero_\w+|oly_\w+|"
    r"mkt_tok|hsa_\w+|_hsenc|_hsmi|guccounter|guce_\w+)$",
    re.IGNORECASE,
)


def canonical_url(url: str) -> str:
    """Lowercased scheme and host, no default port, no fragment, no tracking parameters,
    remaining query parameters sorted."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING.match(k)]
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    port = parts.port
    netloc = host
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    rebuilt = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))
    return canonicalize_url(rebuilt, keep_fragments=False)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def host_allowed(host: str, allowed: set[str]) -> bool:
    """True when `host` is one of `allowed` or a subdomain of one of them."""
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in allowed)
