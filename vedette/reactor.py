"""One process, one loop: Twisted's asyncio reactor drives crawls, SMTP and HTTP alike.

`install()` must run before anything imports `twisted.internet.reactor`, or Scrapy keeps
the default reactor and in-process crawls fail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from scrapy.utils.reactor import install_reactor, is_asyncio_reactor_installed

T = TypeVar("T")
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def install() -> None:
    import sys

    if "twisted.internet.reactor" in sys.modules:
        if not is_asyncio_reactor_installed():
            raise RuntimeError("a non-asyncio Twisted reactor was installed before Vedette's")
        return
    install_reactor(ASYNCIO_REACTOR)


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run `main()` on the reactor's asyncio loop and return its result (or raise its error).

    The reactor, not asyncio.run(), owns the loop: without it running, its thread pool
    (name resolution included) never starts and the first request hangs.
    """
    install()
    from twisted.internet import reactor
    from twisted.python.failure import Failure

    outcome: dict[str, Any] = {}

    def finish(result: Any) -> None:
        outcome["result"] = result
        if reactor.running:  # type: ignore[attr-defined]
            reactor.stop()  # type: ignore[attr-defined]

    def start() -> None:
        from scrapy.utils.defer import deferred_from_coro

        async def guarded() -> T:
            return await main()

        deferred_from_coro(guarded()).addBoth(finish)

    reactor.callWhenRunning(start)  # type: ignore[attr-defined]
    reactor.run(installSignalHandlers=True)  # type: ignore[attr-defined]
    result = outcome.get("result")
    if isinstance(result, Failure):
        result.raiseException()
    if "result" not in outcome:
        raise KeyboardInterrupt  # the reactor was stopped by a signal before main() finished
    return result  # type: ignore[no-any-return]


def loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_event_loop()
