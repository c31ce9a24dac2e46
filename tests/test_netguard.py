"""Which addresses a crawl may reach (RELIABILITY item 5). Decisions on IP literals, and
one real crawl on this machine's IPv6 loopback: no traffic leaves the machine."""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.conftest import Workspace
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite
from vedette.netguard import LOOPBACK, NetworkGuard, Refused, address_class, resolve
from vedette.urls import canonical_url

PUBLIC_SOURCE = {"public"}
LOOPBACK_SOURCE = {"loopback"}


def check(source_classes: set[str], url: str) -> str | None:
    async def decide() -> str | None:
        try:
            await NetworkGuard(source_classes).check(url)
        except Refused as exc:
            return str(exc)
        return None
    return asyncio.run(decide())


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://127.0.0.1:8080/admin",
    "http://[::1]/",
    "http://10.0.0.5/",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "file:///etc/passwd",
    "ftp://93.184.216.34/x",
    "gopher://93.184.216.34/",
])
def test_public_source_cannot_reach_internal_addresses(url: str) -> None:
    assert check(PUBLIC_SOURCE, url) is not None


@pytest.mark.parametrize("url", ["http://93.184.216.34/news/1", "https://[2606:4700::1111]/"])
def test_public_source_reaches_public_addresses(url: str) -> None:
    assert check(PUBLIC_SOURCE, url) is None


def test_local_source_may_reach_its_own_class_but_never_metadata() -> None:
    assert check(LOOPBACK_SOURCE, "http://127.0.0.1:9000/page") is None
    assert check(LOOPBACK_SOURCE, "http://[::1]:9000/page") is None
    assert check(LOOPBACK_SOURCE, "http://169.254.169.254/") is not None
    assert check(LOOPBACK_SOURCE, "http://10.1.2.3/") is not None


def test_refusal_names_the_address() -> None:
    reason = check(PUBLIC_SOURCE, "http://169.254.169.254/")
    assert reason is not None and "169.254.169.254" in reason


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_this_machine_is_loopback_in_both_families(host: str) -> None:
    # ::1 lies inside ::/8, which Python also calls "reserved": loopback must be decided first.
    [address] = asyncio.run(resolve(host))
    assert address_class(address) == LOOPBACK


@pytest.mark.parametrize("url", ["http://[::]/", "http://[::127.0.0.1]/", "http://[::2]/"])
def test_other_addresses_under_ipv6_zero_prefix_stay_forbidden(url: str) -> None:
    assert check(LOOPBACK_SOURCE, url) is not None


@pytest.mark.parametrize("link,canonical", [
    ("http://[::1]:8080/news/a?utm_source=x", "http://[::1]:8080/news/a"),
    ("https://[2001:DB8::1]:443/a", "https://[2001:db8::1]/a"),
])
def test_ipv6_link_keeps_its_brackets_in_the_canonical_url(link: str, canonical: str) -> None:
    assert canonical_url(link) == canonical


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback_available(), reason="this machine has no IPv6 loopback (::1)")
def test_source_on_this_machine_over_ipv6_is_crawled(workspace: Workspace) -> None:
    site = LocalSite(host="::1").start()
    try:
        story = Story(slug="v6", title="Joint production over IPv6",
                      paragraphs=["The allies agreed on joint production of drones."] * 5,
                      published=recent(1))
        site.add("/news/v6", article_page(story))
        site.add("/feed.xml", rss_feed(site.base, [(site.url("/news/v6"), story)]),
                 content_type="application/rss+xml")
        assert site.base.startswith("http://[::1]:")
        workspace.setup(sources=[{"name": "v6", "type": "feed", "url": site.url("/feed.xml")}],
                        topics=[{"name": "Joint production", "any": ["joint production"]}])

        result = workspace.run("crawl")

        assert result.returncode == 0, result.stderr
        assert site.requested("/news/v6") == 1  # the page itself, through the guard
        assert workspace.query("SELECT status FROM runs") == [("ok",)]
        assert workspace.query("SELECT text_source FROM articles") == [("page",)]
        assert workspace.query("SELECT count(*) FROM matches") == [(1,)]
    finally:
        site.stop()


def test_an_address_this_python_cannot_read_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # A Python built without IPv6 gives such an answer as (family, raw bytes), not as text.
    async def unreadable(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (int(socket.AF_INET6), bytes(14)))]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", unreadable)
    reason = check(PUBLIC_SOURCE, "http://news.example/")
    assert reason is not None and "could not be resolved" in reason
