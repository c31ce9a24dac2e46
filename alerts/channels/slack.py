"""Slack channel: each digest as one or more Block Kit messages to an incoming webhook."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from alerts.channels.base import Channel, DeliveryError, SendResult
from alerts.channels.retry import attempt_until_done
from alerts.channels.slack_blocks import build_messages, build_parts
from alerts.render import RenderedDigest
from vedette import __version__
from vedette.config.channels.slack import SlackChannel as SlackConfig

log = logging.getLogger(__name__)

ACCEPTED_BODY = "ok"
"""What Slack's incoming webhooks answer, with 200, when they take a message."""
TOO_BIG_ERRORS = frozenset({"msg_too_long", "msg_blocks_too_long"})
"""Slack's 400 answers that refuse a message for its length, not its content."""
PERMANENT_STATUSES = frozenset({400, 403, 404, 410})
"""Slack's answers that no retry will change: a payload it refuses (400), a webhook that is
revoked, unknown or whose channel is archived (403, 404, 410)."""


@dataclass(frozen=True)
class Verdict:
    """What one webhook answer means for the message that was posted."""

    accepted: bool
    what: str = ""
    """Why it was not accepted, one line without the channel's name."""
    retry: bool = False
    """Trying again within this run may help."""
    permanent: bool = False
    wait: float | None = None
    """Seconds Slack asked us to wait (Retry-After) before the next try."""
    too_big: bool = False
    """Refused for its size (413, `msg_too_long`): a smaller digest may pass."""


def judge(status: int, body: str, retry_after: str | None, *, where: str,
          max_wait: float) -> Verdict:
    """The one place a webhook's HTTP answer is judged: accepted, retry, or give up."""
    reply = " ".join(body.split())[:120]
    said = f"{status} {reply}".strip()
    if 200 <= status < 300 and body.strip() == ACCEPTED_BODY:
        return Verdict(True)
    if 200 <= status < 300:
        # Not Slack's answer: Slack reports its refusals with 4xx/5xx statuses. A proxy
        # or portal that intercepts the post, or a webhook_url that leads to some web page,
        # answers like this, and will again within the run: the digest stays pending.
        shown = f"{reply[:60]!r}" if reply else "an empty body"
        return Verdict(False, f"{where} answered {status} with {shown} instead of Slack's "
                              "'ok': not Slack (check webhook_url, and any proxy in between)")
    if status == 429:
        wait = retry_after_seconds(retry_after)
        if wait is not None and wait > max_wait:
            return Verdict(False, f"{where} is rate limiting (429) and asks to wait {wait:g}s, "
                                  f"longer than the {max_wait:g}s waited within a run")
        return Verdict(False, f"{where} is rate limiting (429)", retry=True, wait=wait)
    if status == 413 or (status == 400 and reply in TOO_BIG_ERRORS):
        return Verdict(False, f"{where} refused the message as too big: {said}", too_big=True)
    if status in PERMANENT_STATUSES:
        return Verdict(False, f"{where} refused the message: {said}", permanent=True)
    if status >= 500 or status == 408:
        return Verdict(False, f"{where} failed: {said}", retry=True)
    # Redirects (never followed: the payload stays with the configured host), other 4xx.
    return Verdict(False, f"{where} answered {said} (check webhook_url)")


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds from now; None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class SlackChannel(Channel):
    """Posts each digest to a Slack incoming webhook as Block Kit messages.

    A long digest is split into numbered messages within Slack's limits (50 blocks, 3,000
    characters per text field). 429 waits for `Retry-After` (up to a minute) and tries
    again; 5xx, timeouts and connection failures are retried `retries` times with
    exponential backoff; 400/403/404/410 are permanent; a 2xx whose body is not Slack's
    `ok` (a proxy's or portal's page) is not a delivery. When a later message of a digest
    fails, the whole digest stays pending and is posted again in full next time (a rare
    duplicate rather than a lost alert); when it is refused as too big, the matches in the
    messages already posted count as delivered and only the rest goes again, smaller.
    """

    kind = "slack"
    retry_after_max: float = 60.0
    """Longest Retry-After honoured within a run; a longer one leaves the digest pending."""
    config: SlackConfig

    def secrets(self) -> Sequence[str]:
        raw = self.config.webhook_url.get_secret_value()
        url = raw.strip()
        try:
            path = urlsplit(url).path  # the token part: an error may quote it without the host
        except ValueError:  # a URL the config refuses; redacting must not raise all the same
            path = ""
        return [raw, url, *([path] if len(path.strip("/")) >= 8 else [])]

    def messages(self, digest: RenderedDigest) -> list[dict[str, Any]]:
        """The payloads exactly as they are posted (also what a preview or dry run shows)."""
        return build_messages(digest)

    def size(self, digest: RenderedDigest) -> int:
        """All the digest's payloads together, as posted."""
        return sum(len(json.dumps(message, ensure_ascii=False).encode("utf-8"))
                   for message in self.messages(digest))

    async def send(self, digest: RenderedDigest) -> SendResult:
        parts = build_parts(digest)
        total = len(parts)
        seconds = self.config.timeout.total_seconds()
        posted = 0  # articles (the first of digest.items) in the messages Slack accepted
        failed: DeliveryError | None = None
        async with httpx.AsyncClient(
            timeout=seconds, follow_redirects=False,
            headers={"User-Agent": f"vedette/{__version__}"},
        ) as client:
            for number, (message, articles) in enumerate(parts, 1):
                body = json.dumps(message, ensure_ascii=False).encode("utf-8")
                try:
                    await attempt_until_done(
                        self, functools.partial(self._post, client, body),
                        retries=self.config.retries, deadline=seconds)
                except DeliveryError as error:
                    delivered = [i.delivery_id for i in digest.items[:posted]]
                    failed = _in_part(error, number, total, delivered)
                    break
                posted += articles
        if failed is not None:
            raise failed  # outside `except`: nothing is chained to it
        log.info("%s: digest %s (%d items, batch %s) accepted by %s in %d message(s)",
                 self.name, digest.digest, len(digest.items), digest.batch_id,
                 self._where(), total)
        return SendResult(self.name, digest.batch_id, len(digest.items))

    async def _post(self, client: httpx.AsyncClient, body: bytes) -> None:
        """One attempt: post one message and judge the answer; returns when it was taken."""
        response = await client.post(
            self.config.webhook_url.get_secret_value().strip(), content=body,
            headers={"Content-Type": "application/json; charset=utf-8"})
        verdict = judge(response.status_code, response.text, response.headers.get("Retry-After"),
                        where=self._where(), max_wait=self.retry_after_max)
        if not verdict.accepted:
            raise self.error(verdict.what, permanent=verdict.permanent, too_big=verdict.too_big,
                             retry=verdict.retry, wait=verdict.wait)

    def classify(self, exc: Exception) -> DeliveryError | None:
        """A post that got no answer: timeouts and transport failures are worth a retry."""
        where = self._where()
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            seconds = self.config.timeout.total_seconds()
            return self.error(f"{where} did not answer within {seconds:g}s", retry=True)
        if isinstance(exc, httpx.ConnectError):
            return self.error(f"{where} could not be reached: {_reason(exc)}", retry=True)
        if isinstance(exc, httpx.TransportError):
            return self.error(f"{where} broke off: {_reason(exc)}", retry=True)
        if isinstance(exc, httpx.InvalidURL):
            return self.error(f"{where}: webhook_url is not a valid URL")
        return None

    def _where(self) -> str:
        """The webhook's host, never its path (the path is the secret)."""
        try:
            parts = urlsplit(self.config.webhook_url.get_secret_value().strip())
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            return "Slack webhook"
        return f"Slack webhook at {parts.hostname or '?'}{port}"


def _in_part(error: DeliveryError, number: int, total: int,
             delivered: Sequence[int]) -> DeliveryError:
    """`error` saying which message failed and what became of the ones before it.

    Refused as too big, the deliveries in the messages already posted go with the error:
    the smaller digest that follows within the run leaves them out (posting them again
    would repeat what the channel already shows). Any other failure leaves the whole
    digest pending, to be posted again in full by a later run."""
    if total == 1:
        return error
    where = f"message {number} of {total}"
    if number > 1:
        done = "message 1" if number == 2 else f"messages 1-{number - 1}"
        if error.permanent:
            where += f"; {done} already posted"
        elif error.too_big:
            where += f"; {done} already posted, the rest goes again smaller"
        else:
            where += f"; {done} already posted, will be posted again with the rest"
    return DeliveryError(f"{error.message} ({where})", error.permanent, too_big=error.too_big,
                         delivered=delivered if error.too_big else ())


def _reason(exc: BaseException) -> str:
    """A short reason for a transport failure (the caller redacts secrets)."""
    text = " ".join(str(exc).split())[:160]
    return text or type(exc).__name__
