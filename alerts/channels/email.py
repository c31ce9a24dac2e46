"""Email channel: each digest as one multipart (text + HTML) message over SMTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr

import aiosmtplib
from aiosmtplib import SMTPResponse

from alerts.channels.base import Channel, DeliveryError, SendResult
from alerts.channels.retry import attempt_until_done
from alerts.render import RenderedDigest
from vedette.config.channels.email import EmailChannel as EmailConfig

log = logging.getLogger(__name__)

QUIT_TIMEOUT = 5.0
"""Longest wait for the reply to QUIT; the message is already accepted by then."""

_SendError = (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError)
_SMTP_POLICY = default_policy.clone(linesep="\r\n")
# RFC 3463 enhanced codes for "too big": 5.3.4 message too big for the system, 5.2.3
# message length exceeds an administrative limit. Their 4.x.x forms stay temporary.
_TOO_BIG_CODES = re.compile(r"\b5\.(?:3\.4|2\.3)\b")


def header_text(value: str) -> str:
    """`value` as one line of header text that no mail reader can read as more than that.

    Any white space, CR/LF included, becomes one space. RFC 2047 encoded words are decoded
    first, as the email package and mail readers would, so an encoded newline
    (`=?utf-8?q?=0D=0A?=`) is collapsed too instead of ending the header.
    """
    text = " ".join(value.split())
    for _ in range(5):
        decoded = " ".join(str(default_policy.header_factory("subject", text)).split())
        if decoded == text:
            return text
        text = decoded
    return text.replace("=?", "= ?")  # still decoding after 5 rounds: break the encoded words


class EmailChannel(Channel):
    """Sends each digest as one multipart (text + HTML) email over SMTP.

    `security: starttls` refuses to send unless the server offers STARTTLS, and verifies
    its certificate; 4xx replies, timeouts and connection failures are retried
    `retries` times with exponential backoff; 5xx replies to MAIL, RCPT or DATA are
    permanent for this message.
    """

    kind = "email"
    config: EmailConfig

    def secrets(self) -> Sequence[str]:
        return [self.config.password.get_secret_value()] if self.config.password else []

    def tls_context(self) -> ssl.SSLContext:
        """TLS settings for `tls` and `starttls`: the system's trusted CAs, hostname checked.

        Built for each connection, so SSL_CERT_FILE / SSL_CERT_DIR apply as set at send time.
        """
        return ssl.create_default_context()

    def build_message(self, digest: RenderedDigest) -> EmailMessage:
        """The email exactly as it is sent (also what a preview or dry run shows)."""
        config = self.config
        domain = self._domain()
        list_name = re.sub(r"[^a-z0-9-]+", "-", digest.digest.lower()).strip("-") or "digest"
        message = EmailMessage(policy=default_policy)
        message["Subject"] = header_text(f"{config.subject_prefix} {digest.subject}")
        message["From"] = header_text(config.from_)
        message["To"] = header_text(", ".join(config.to))
        message["Date"] = format_datetime(digest.generated_at)
        message["Message-ID"] = f"<{digest.batch_id}@{domain}>"
        message["List-Id"] = f"Vedette digest {list_name} <{list_name}.vedette.{domain}>"
        message["Auto-Submitted"] = "auto-generated"
        # base64 is encoded in C; quoted-printable (chosen for long UTF-8 lines) is pure
        # Python and cost more than rendering the digest itself.
        message.set_content(digest.text, cte="base64")
        message.add_alternative(digest.html, subtype="html", cte="base64")
        return message

    def size(self, digest: RenderedDigest) -> int:
        """The message's size as SMTP carries it (encoded, CRLF line ends): what a server's
        SIZE limit is measured against. 0 for a message that can't be built: `send` says why."""
        try:
            return len(self.build_message(digest).as_bytes(policy=_SMTP_POLICY))
        except ValueError:
            return 0

    async def send(self, digest: RenderedDigest) -> SendResult:
        try:
            message = self.build_message(digest)
        except ValueError as exc:
            raise self.error(f"cannot build the message: {exc}") from exc
        sender = parseaddr(self.config.from_)[1]
        recipients = [parseaddr(address)[1] for address in self.config.to]
        smtp, refused = await attempt_until_done(
            self, lambda: self._session(message, sender, recipients),
            retries=self.config.retries, deadline=self.config.timeout.total_seconds())
        await self._quit(smtp)
        note = None
        if refused:
            note = self.redact(f"{self._where()} refused " + ", ".join(
                f"{rcpt} ({reply.code} {_one_line(reply.message)})"
                for rcpt, reply in refused.items()))
            log.warning("%s: %s", self.name, note)
        log.info("%s: digest %s (%d items, batch %s) accepted by %s", self.name,
                 digest.digest, len(digest.items), digest.batch_id, self._where())
        return SendResult(self.name, digest.batch_id, len(digest.items), note=note)

    async def _session(self, message: EmailMessage, sender: str, recipients: list[str]
                       ) -> tuple[aiosmtplib.SMTP, dict[str, SMTPResponse]]:
        """One attempt: an SMTP session up to the server's acceptance of the message; the
        connection, left open for QUIT, and the refused recipients."""
        config = self.config
        secure = config.security != "none"
        smtp = aiosmtplib.SMTP(
            hostname=config.host, port=config.effective_port,
            timeout=config.timeout.total_seconds(), use_tls=config.security == "tls",
            start_tls=False,
            tls_context=await asyncio.to_thread(self.tls_context) if secure else None,
        )
        try:
            await smtp.connect()
            if config.security == "starttls":
                await smtp.ehlo()
                if not smtp.supports_extension("starttls"):
                    raise self.error(f"{self._where()} did not offer STARTTLS (security: "
                                     "starttls), so nothing was sent in plain text")
                await smtp.starttls()
            if config.username:
                password = config.password.get_secret_value() if config.password else ""
                await smtp.login(config.username, password)
            refused, _ = await smtp.send_message(message, sender=sender, recipients=recipients)
        except BaseException:
            smtp.close()
            raise
        return smtp, refused

    async def _quit(self, smtp: aiosmtplib.SMTP) -> None:
        """End an accepted send's session: nothing here may turn it into a failure."""
        try:
            with contextlib.suppress(*_SendError):
                async with asyncio.timeout(min(self.config.timeout.total_seconds(),
                                               QUIT_TIMEOUT)):
                    await smtp.quit()
        finally:
            smtp.close()

    def classify(self, exc: Exception) -> DeliveryError | None:
        """The error to report for an attempt's exception, with whether trying again soon
        may help (`retry`); None for one that is no SMTP failure."""
        if not isinstance(exc, _SendError):
            return None
        log.debug("%s: %s", self.name, self.redact(repr(exc)))
        where = self._where()
        if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
            replies = ", ".join(f"{r.recipient} ({r.code} {_one_line(r.message)})"
                                for r in exc.recipients)
            if all(_permanent_for_recipient(r.code) for r in exc.recipients):
                return self.error(f"{where} refused every recipient: {replies}", permanent=True)
            return self.error(f"{where} refused every recipient for now: {replies}", retry=True)
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            return self.error(f"{where} refused the login as {self.config.username!r}: "
                              f"{exc.code} {_one_line(exc.message)}")
        if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code == 530:
            return self.error(f"{where} wants a login or TLS first (check `username` and "
                              f"`security`): 530 {_one_line(exc.message)}")
        if isinstance(exc, aiosmtplib.SMTPSenderRefused | aiosmtplib.SMTPDataError):
            step = "the sender" if isinstance(exc, aiosmtplib.SMTPSenderRefused) else "the message"
            reply = f"{exc.code} {_one_line(exc.message)}"
            if too_big(exc.code, exc.message):
                # About the size, not the content: the digest is sent again smaller.
                return self.error(f"{where} refused the message as too big: {reply}",
                                  too_big=True)
            if _permanent(exc.code):
                return self.error(f"{where} refused {step}: {reply}", permanent=True)
            return self.error(f"{where} refused {step} for now: {reply}", retry=True)
        if isinstance(exc, aiosmtplib.SMTPResponseException):  # greeting, EHLO, STARTTLS…
            return self.error(f"{where} replied {exc.code} {_one_line(exc.message)}",
                              retry=400 <= exc.code < 500)
        if isinstance(exc, TimeoutError):
            seconds = self.config.timeout.total_seconds()
            return self.error(f"{where} did not answer within {seconds:g}s", retry=True)
        tls = _cause(exc, ssl.SSLError)
        if isinstance(tls, ssl.SSLError):
            reason = getattr(tls, "verify_message", None) or tls.reason or str(tls)
            return self.error(f"TLS with {where} failed: {reason}")
        if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
            return self.error(f"{where} closed the connection", retry=True)
        if _cause(exc, ConnectionRefusedError) is not None:
            return self.error(f"{where} refused connection", retry=True)
        if _cause(exc, socket.gaierror) is not None:
            return self.error(f"SMTP host {self.config.host!r} not found", retry=True)
        if isinstance(exc, OSError):
            cause = exc.__cause__ or exc
            return self.error(f"{where} could not be reached: {cause}", retry=True)
        if isinstance(exc, aiosmtplib.SMTPException):
            return self.error(f"{where}: {exc.message}")
        return self.error(f"cannot send through {where}: {exc}")

    def _where(self) -> str:
        return f"SMTP {self.config.host}:{self.config.effective_port}"

    def _domain(self) -> str:
        domain = parseaddr(self.config.from_)[1].rpartition("@")[2].strip().lower()
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            domain = ""
        return domain if re.fullmatch(r"[a-z0-9.-]+", domain) else "vedette.invalid"


def too_big(code: int, message: str) -> bool:
    """Whether an SMTP reply to MAIL or DATA refuses the message for its size: 552 there
    ("exceeded storage allocation": the SIZE announced in MAIL, or the data sent), or an
    enhanced code 5.3.4 / 5.2.3 with any basic code."""
    return code == 552 or (code >= 500 and bool(_TOO_BIG_CODES.search(message)))


def _permanent(code: int) -> bool:
    """A 5xx reply that no later attempt will change (530 = log in or use TLS first)."""
    return code >= 500 and code != 530


def _permanent_for_recipient(code: int) -> bool:
    """A 5xx reply to RCPT that no later attempt will change. Not 552 ("mailbox full"):
    RFC 5321 §4.5.3.1.10 has clients treat a 552 to RCPT as the temporary 452, since the
    mailbox takes mail again once emptied."""
    return _permanent(code) and code != 552


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """`exc` or the first exception of type `kind` it was raised from."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None or isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
