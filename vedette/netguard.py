"""Which addresses a crawl may connect to.

Scraped links and redirects are hostile input: a public news site must not be able to
point Vedette at the cloud metadata service, the machine itself, or the local network.
The decision is made on the resolved addresses, not only the host name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

PUBLIC, PRIVATE, LOOPBACK, FORBIDDEN = "public", "private", "loopback", "forbidden"


class Refused(Exception):
    """The request would reach a place it must not; the message says why."""


def address_class(address: IPAddress) -> str:
    """public, private (RFC 1918, ULA, CGNAT), loopback, or forbidden (link-local, metadata,
    multicast, unspecified, reserved)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address_class(address.ipv4_mapped)
    if address.is_link_local or address.is_multicast or address.is_unspecified:
        return FORBIDDEN
    # Before "reserved": ::1 lies in ::/8, which Python's ipaddress also calls reserved.
    if address.is_loopback:
        return LOOPBACK
    if address.is_reserved:
        return FORBIDDEN
    if address.is_private or address in ipaddress.ip_network("100.64.0.0/10"):
        return PRIVATE
    return PUBLIC


async def resolve(host: str) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    addresses = []
    for *_, sockaddr in infos:
        address = sockaddr[0]
        if not isinstance(address, str):  # (family, bytes): IPv6 on a Python built without it
            raise OSError(f"an address of family {address} that this Python cannot read")
        addresses.append(ipaddress.ip_address(address.split("%")[0]))
    return addresses


class NetworkGuard:
    """Allows what a source's own address class allows: a public source reaches only public
    addresses; a source the user put on the local network or this machine may reach that
    class too. Link-local and metadata addresses are never reached."""

    def __init__(self, source_classes: set[str]) -> None:
        self.allowed = {PUBLIC} | (source_classes - {FORBIDDEN})
        self._cache: dict[str, list[IPAddress]] = {}

    @classmethod
    async def for_source(cls, source_url: str) -> NetworkGuard:
        host = urlsplit(source_url).hostname or ""
        try:
            addresses = await resolve(host)
        except OSError:
            addresses = []
        return cls({address_class(a) for a in addresses})

    async def check(self, url: str) -> None:
        """Raise Refused when `url` must not be fetched."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise Refused(f"scheme {parts.scheme or '(none)'!r} is not http or https")
        host = (parts.hostname or "").lower()
        if not host:
            raise Refused("no host in URL")
        addresses = self._cache.get(host)
        if addresses is None:
            try:
                addresses = await resolve(host)
            except OSError as exc:
                # Fail closed: a lookup that fails here and succeeds for the download
                # would skip the check.
                raise Refused(f"{host} could not be resolved ({exc.strerror or exc})") from None
            self._cache[host] = addresses
        for address in addresses:
            kind = address_class(address)
            if kind not in self.allowed:
                raise Refused(f"{host} resolves to {kind} address {address}")
