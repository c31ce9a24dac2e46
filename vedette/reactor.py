"""One process, one loop: Twisted's asyncio reactor drives crawls, SMTP and HTTP alike.

`install()` must run before anything imports `twisted.internet.reactor`, or Scrapy keeps
the default reactor and in-process crawls fail.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from scrapy.utils.reactor import install_reactor, is_asyncio_reactor_installed

if TYPE_CHECKING:
    from twisted.internet.asyncioreactor import AsyncioSelectorReactor

T = TypeVar("T")
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def install() -> None:
    import sys

    if "twisted.internet.reactor" in sys.modules:
        if not is_asyncio_reactor_installed():
            raise RuntimeError("a non-asyncio Twisted reactor was installed before Vedette's")
        return
    install_reactor(ASYNCIO_REACTOR)


def _reactor() -> AsyncioSelectorReactor:
    """The reactor `install()` put in place. Twisted types `twisted.internet.reactor` as a
    blend of its zope interfaces, which say less than the class (`run()` takes no
    `installSignalHandlers` there)."""
    from twisted.internet import reactor

    return cast("AsyncioSelectorReactor", reactor)


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run `main()` on the reactor's asyncio loop and return its result (or raise its error).

    The reactor, not asyncio.run(), owns the loop: without it running, its thread pool
    (name resolution included) never starts and the first request hangs.
    """
    install()
    reactor = _reactor()
    from twisted.python.failure import Failure

    outcome: dict[str, Any] = {}

    def finish(result: Any) -> None:
        outcome["result"] = result
        if reactor.running:
            reactor.stop()

    def start() -> None:
        from scrapy.utils.defer import deferred_from_coro

        async def guarded() -> T:
            return await main()

        deferred_from_coro(guarded()).addBoth(finish)

    reactor.callWhenRunning(start)
    reactor.run(installSignalHandlers=True)
    result = outcome.get("result")
    if isinstance(result, Failure):
        result.raiseException()
    if "result" not in outcome:
        raise KeyboardInterrupt  # the reactor was stopped by a signal before main() finished
    return cast("T", result)  # what main() returned: `finish` had it


def stop_soon() -> None:
    """End `serve()` as SIGTERM would (its `stop()` runs), once the current call returns."""
    from twisted.internet.error import ReactorNotRunning

    reactor = _reactor()

    def stop() -> None:
        with contextlib.suppress(ReactorNotRunning):  # already stopping (a signal came first)
            reactor.stop()

    reactor.callLater(0, stop)


def serve(start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]) -> bool:
    """Run a service until SIGTERM/SIGINT: `start()` once the reactor runs, `stop()` before
    it shuts down (the reactor waits for it). False when `start()` failed."""
    install()
    reactor = _reactor()
    from twisted.python.failure import Failure

    failures: list[Failure] = []

    def failed(failure: Failure) -> None:
        failures.append(failure)
        reactor.stop()

    def begin() -> None:
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(start()).addErrback(failed)

    def before_shutdown() -> Any:
        from scrapy.utils.defer import deferred_from_coro

        return deferred_from_coro(stop())

    reactor.callWhenRunning(begin)
    reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
    reactor.run(installSignalHandlers=True)
    if failures:
        failures[0].raiseException()
    return True
