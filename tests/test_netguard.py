"""Which addresses a crawl may reach (RELIABILITY item 5). Decisions on IP literals only:
no traffic leaves the machine."""

from __future__ import annotations

import asyncio

import pytest

from vedette.netguard import NetworkGuard, Refused

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
    assert check(LOOPBACK_SOURCE, "http://169.254.169.254/") is not None
    assert check(LOOPBACK_SOURCE, "http://10.1.2.3/") is not None


def test_refusal_names_the_address() -> None:
    reason = check(PUBLIC_SOURCE, "http://169.254.169.254/")
    assert reason is not None and "169.254.169.254" in reason
