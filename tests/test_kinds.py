"""Source types and channel kinds are found by `type:`, each config model with its spider or
channel; every channel's attempts go through the one retry loop (alerts/channels/retry.py).

The channels' own retries against real servers are in tests/test_*_channel.py; here the loop
is driven by a channel that fails as the test scripts it.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from alerts import Channel, DeliveryError
from alerts.channels.retry import attempt_until_done
from spiders import SourceSpider
from vedette.config.channels import CHANNEL_TYPES
from vedette.config.sources import SOURCE_TYPES


def test_every_channel_kind_has_its_channel_and_every_source_type_its_spider() -> None:
    for kind, _ in CHANNEL_TYPES.items():
        assert Channel.registry[kind].kind == kind
    for kind, _ in SOURCE_TYPES.items():
        assert SourceSpider.registry[kind].source_type == kind


def test_kinds_keep_the_order_they_were_always_listed_in() -> None:
    assert [kind for kind, _ in CHANNEL_TYPES.items()] == ["email", "file", "slack", "apprise"]
    assert [kind for kind, _ in SOURCE_TYPES.items()] == ["feed"]


@pytest.fixture
def package(tmp_path: Path) -> Iterator[str]:
    """A package of kinds on sys.path: `good` registers, `broken` needs a missing library."""
    folder = tmp_path / "kinds_pkg"
    folder.mkdir()
    (folder / "__init__.py").write_text(
        "from vedette.plugins import ByKind\nREGISTRY = ByKind('kinds_pkg')\n", encoding="utf-8")
    (folder / "good.py").write_text(
        "from kinds_pkg import REGISTRY\nREGISTRY['good'] = 'the good kind'\n", encoding="utf-8")
    (folder / "broken.py").write_text("import no_such_library_here\n", encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        yield "kinds_pkg"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == "kinds_pkg"]:
            del sys.modules[name]


def test_a_kind_is_imported_on_its_first_lookup(package: str) -> None:
    registry = importlib.import_module(package).REGISTRY
    assert "good" not in registry
    assert registry["good"] == "the good kind"
    assert f"{package}.good" in sys.modules


def test_an_unknown_kind_is_a_key_error_and_a_broken_one_says_what_it_misses(
        package: str) -> None:
    registry = importlib.import_module(package).REGISTRY
    with pytest.raises(KeyError):
        registry["nothing"]
    with pytest.raises(KeyError):
        registry["../good"]  # never a path
    with pytest.raises(ModuleNotFoundError, match="no_such_library_here"):
        registry["broken"]


# -- the retry loop ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Config:
    type: str = "scripted"
    max_entries: int = 10
    max_bytes: int = 1024**2


class Scripted(Channel):
    """Fails as scripted (a DeliveryError, or an exception it classifies), then succeeds."""

    kind = "scripted"

    def __init__(self, script: list[BaseException | float]) -> None:
        super().__init__("pigeons", Config(), retry_base_delay=0.01)
        self.script = script
        self.attempts = 0

    async def attempt(self) -> str:
        self.attempts += 1
        step = self.script.pop(0) if self.script else None
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, float):
            await asyncio.sleep(step)
        return "sent"

    def classify(self, exc: Exception) -> DeliveryError | None:
        if isinstance(exc, TimeoutError):
            return self.error("no answer in time", retry=True)
        if isinstance(exc, ConnectionError):
            return self.error(f"refused connection (secret-token-123): {exc}", retry=True)
        return None

    def secrets(self) -> list[str]:
        return ["secret-token-123"]


@pytest.fixture(autouse=True)
def _unregister() -> Iterator[None]:
    yield
    Channel.registry.pop("scripted", None)


def run(channel: Scripted, retries: int, deadline: float | None = None) -> str:
    return asyncio.run(attempt_until_done(channel, channel.attempt, retries=retries,
                                          deadline=deadline))


def test_temporary_failures_are_retried_then_it_is_sent(caplog: pytest.LogCaptureFixture) -> None:
    channel = Scripted([ConnectionRefusedError("nope"), DeliveryError("pigeons: busy", retry=True)])
    with caplog.at_level(logging.WARNING):
        assert run(channel, retries=2) == "sent"
    assert channel.attempts == 3
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("tests.test_kinds", "pigeons: refused connection (***): nope (attempt 1 of 3; next in 0.01s)"),
        ("tests.test_kinds", "pigeons: busy (attempt 2 of 3; next in 0.02s)"),
    ]


def test_the_last_failure_is_given_up_with_and_nothing_is_chained_to_it() -> None:
    channel = Scripted([ConnectionRefusedError("nope")] * 5)
    with pytest.raises(DeliveryError) as caught:
        run(channel, retries=1)
    assert channel.attempts == 2
    error = caught.value
    assert str(error) == "pigeons: refused connection (***): nope"
    assert error.__cause__ is None and error.__context__ is None
    assert "ConnectionRefusedError" not in "".join(traceback.format_exception(error))


def test_a_failure_that_is_not_worth_a_retry_ends_at_once() -> None:
    for failure in (DeliveryError("pigeons: gone", permanent=True),
                    DeliveryError("pigeons: too big", too_big=True, retry=True),
                    DeliveryError("pigeons: not now")):
        channel = Scripted([failure])
        with pytest.raises(DeliveryError) as caught:
            run(channel, retries=3)
        assert caught.value is failure and channel.attempts == 1


def test_a_wait_the_service_asked_for_replaces_the_backoff(
        caplog: pytest.LogCaptureFixture) -> None:
    channel = Scripted([DeliveryError("pigeons: rate limited", retry=True, wait=0.05)])
    with caplog.at_level(logging.WARNING):
        assert run(channel, retries=1) == "sent"
    assert caplog.records[0].getMessage().endswith("(attempt 1 of 2; next in 0.05s)")


def test_each_attempt_has_the_deadline_and_running_out_is_classified() -> None:
    channel = Scripted([5.0, 5.0])
    with pytest.raises(DeliveryError, match="no answer in time"):
        run(channel, retries=1, deadline=0.05)
    assert channel.attempts == 2


def test_an_exception_the_channel_does_not_classify_propagates_as_it_is() -> None:
    channel = Scripted([KeyError("a bug")])
    with pytest.raises(KeyError, match="a bug"):
        run(channel, retries=3)
    assert channel.attempts == 1
