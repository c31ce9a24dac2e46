"""One process, one loop: Twisted's asyncio reactor drives crawls, SMTP and HTTP alike.

`install()` must run before anything imports `twisted.internet.reactor`, or Scrapy keeps
the default reactor and in-process crawls fail.
"""

from __future__ import annotations

import contextlib
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


def stop_soon() -> None:
    """End `serve()` as SIGTERM would (its `stop()` runs), once the current call returns."""
    from twisted.internet import reactor
    from twisted.internet.error import ReactorNotRunning

    def stop() -> None:
        with contextlib.suppress(ReactorNotRunning):  # already stopping (a signal came first)
            reactor.stop()  # type: ignore[attr-defined]

    reactor.callLater(0, stop)  # type: ignore[attr-defined]


def serve(start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]) -> bool:
    """Run a service until SIGTERM/SIGINT: `start()` once the reactor runs, `stop()` before
    it shuts down (the reactor waits for it). False when `start()` failed."""
    install()
    from twisted.internet import reactor
    from twisted.python.failure import Failure

    failures: list[Failure] = []

    def failed(failure: Failure) -> None:
        failures.append(failure)
        reactor.stop()  # type: ignore[attr-defined]

    def begin() -> None:
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(start()).addErrback(failed)

    def before_shutdown() -> Any:
        from scrapy.utils.defer import deferred_from_coro

        return deferred_from_coro(stop())

    reactor.callWhenRunning(begin)  # type: ignore[attr-defined]
    reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)  # type: ignore[attr-defined]
    reactor.run(installSignalHandlers=True)  # type: ignore[attr-defined]
    if failures:
        failures[0].raiseException()
    return True
