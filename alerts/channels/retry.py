"""The one retry loop every channel's send goes through.

A channel supplies one attempt and its reading of what an attempt raised
(`Channel.classify`): a DeliveryError saying "try again" (`retry`, after `wait` seconds
when the service named them) or "give up, because …" (`permanent` when no later run will
do better either). The deadline of each attempt, the backoff between attempts, their
number and the line logged before each retry are decided here and nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from alerts.channels.base import Channel, DeliveryError

T = TypeVar("T")


async def attempt_until_done(channel: Channel, attempt: Callable[[], Awaitable[T]], *,
                             retries: int = 0, deadline: float | None = None) -> T:
    """What `attempt()` returns, once it succeeds; else the error it gave up with, raised.

    It is tried at most `retries` more times after the first, waiting what the error asks
    or else `retry_base_delay` doubled per attempt, at most `retry_max_delay`. Each attempt
    has `deadline` seconds in all; running out of them is classified like any failure. An
    attempt that raises DeliveryError has classified its failure itself; an exception the
    channel does not classify propagates as it is. The error given up with is raised
    outside any `except`, so nothing it came from (a server's reply may quote a secret) is
    chained to it. The retry lines are logged under the channel's own module.
    """
    attempts = retries + 1
    for number in range(1, attempts + 1):
        try:
            async with asyncio.timeout(deadline):
                return await attempt()
        except DeliveryError as exc:
            error = exc
        except Exception as exc:
            classified = channel.classify(exc)
            if classified is None:
                raise
            error = classified
        if not error.retry or number == attempts:
            raise error
        delay = error.wait
        if delay is None:
            delay = min(channel.retry_base_delay * 2 ** (number - 1), channel.retry_max_delay)
        logging.getLogger(type(channel).__module__).warning(
            "%s (attempt %d of %d; next in %.2gs)", error, number, attempts, delay)
        await asyncio.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")
