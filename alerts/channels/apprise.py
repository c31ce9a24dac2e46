"""Apprise channel: each digest as one notification to every configured Apprise URL."""

from __future__ import annotations

import functools
import inspect
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from apprise import Apprise, AppriseAsset, NotifyFormat, OverflowMode

from alerts.channels.base import Channel, ChannelConfig, DeliveryError, SendResult
from alerts.channels.retry import attempt_until_done
from alerts.render import RenderedDigest, shared_context
from vedette.config.channels.apprise import AppriseChannel as AppriseConfig

log = logging.getLogger(__name__)

_DEADLINE = "timeout" in inspect.signature(Apprise.notify).parameters
"""Apprise ≥ 2 takes an overall `timeout` and reports which services ran out of it."""
_MD_INLINE = re.compile(r"[\\`*_\[\]<>~|#]")
_MD_LINE_START = re.compile(r"^(\d+(?=[.)])|(?=[-+=]))")
# How Apprise's plugins report a refusal for size: the HTTP status as they write it
# ("error=413"), its reason ("Payload Too Large", "Request Entity Too Large") or the
# service's own words ("message is too long", "Request too large."). Not a bare 413 nor
# a bare "too long": a port, chat id or topic may hold the digits ("sending
# ntfy:http://host:413"), and a service may have "taken too long"; neither is about size.
_TOO_BIG = re.compile(
    r"\berror=413\b"
    r"|\b(?:payload|request|entity|message|body|content|text|notification|post)"
    r"\s+(?:is\s+|was\s+)?too\s+(?:large|long|big)\b",
    re.IGNORECASE)
_LINK_UNSAFE = str.maketrans({c: f"%{ord(c):02X}" for c in "()<>\\`"})


def markdown_escape(text: str) -> str:
    """`text` as Markdown that shows exactly `text`: no links, emphasis, HTML or blocks."""
    return _MD_LINE_START.sub(r"\1\\", _MD_INLINE.sub(r"\\\g<0>", text))


def markdown_digest(digest: RenderedDigest) -> str:
    """The digest as Markdown, built from the context every format shares.

    Times are shown in the digest's timezone.
    """
    md = markdown_escape
    context = shared_context(digest)
    lines = [f"Digest {md(context['digest'])} · generated {md(context['generated'])}"]
    if not context["topics"]:
        lines += ["", "Nothing new matched your topics since the last digest."]
    for topic in context["topics"]:
        lines += ["", f"## {md(topic['name'])} ({topic['count']})", ""]
        for item in topic["articles"]:
            title = md(item["title"])
            link = item["link"]
            lines.append(f"- **[{title}]({link.translate(_LINK_UNSAFE)})**" if link
                         else f"- **{title}**")
            terms = f" · matched: {', '.join(item['terms'])}" if item["terms"] else ""
            lines.append("  " + md(f"{item['source']} · {item['published']}{terms}"))
            if item["url"] and not link:
                lines.append(f"  {md(item['url'])} (not a web link)")
            for snippet in (item["snippet"], *item["more_snippets"]):
                if snippet:
                    lines.append("  " + "".join(f"**{md(s.text)}**" if s.mark else md(s.text)
                                                for s in snippet))
    if context.get("left_out"):
        lines += ["", f"## Not shown ({context['left_out']:,})", "", md(context["left_out_note"])]
        lines += [f"- {md(line)}" for line in context["left_out_lines"]]
    lines += ["", "---", f"Sent by Vedette for the digest {md(context['digest'])}."]
    return "\n".join(lines) + "\n"


class _Redactor(logging.Filter):
    """Blanks Apprise channels' secrets out of records before any handler sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self.secrets = tuple(sorted({*self.secrets, *secrets}, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self.secrets
        try:
            text = record.getMessage()
        except Exception:  # a malformed call: the handler reports it, without our help
            return True
        if secrets and record.exc_info:  # a traceback may quote a request URL
            text += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text, record.msg, record.args = None, None, text, ()
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, "***")
                record.msg, record.args = text, ()
        return True


_REDACTOR = _Redactor()
for _name in ("apprise", "urllib3.connectionpool"):  # urllib3 logs request paths at DEBUG
    logging.getLogger(_name).addFilter(_REDACTOR)


class AppriseChannel(Channel):
    """Hands each digest to Apprise for every URL in `urls` (Telegram, Teams, ntfy, …).

    The subject is the title; the body is the text, Markdown or HTML rendering (`format`).
    The send succeeds only when every URL accepted it; `timeout` bounds the whole send.
    A channel object serves one digest's delivery: after a refusal for size, the smaller
    digests go only to the services that refused (`owed`), never again to those that
    accepted.
    """

    kind = "apprise"
    config: AppriseConfig

    def __init__(self, name: str, config: ChannelConfig) -> None:
        super().__init__(name, config)
        urls = [url.get_secret_value().strip() for url in self.config.urls]
        secrets = {s for url in urls for s in url_secrets(url)}
        _REDACTOR.add(secrets)  # before Apprise parses (and may log) anything
        self.asset = AppriseAsset(secure_logging=True, interpret_escapes=False)
        self.services: list[Any] = []
        self.kinds: list[str] = []
        self.invalid: list[str] = []
        for index, url in enumerate(urls):
            service = Apprise.instantiate(url, asset=self.asset)
            if service is None:
                self.invalid.append(f"urls[{index}] ({_scheme(url)})")
                continue
            secrets |= service_secrets(service)
            if not re.search(r"[?&]overflow=", url, re.IGNORECASE):
                service.overflow_mode = OverflowMode.SPLIT  # not refused for its length
            self.services.append(service)
            self.kinds.append(f"urls[{index}] {service.service_name}")
        self.owed = list(range(len(self.services)))
        """The services still owed this digest: after a refusal for size, only those that
        refused (the others accepted it; a smaller digest sent to them would repeat it)."""
        _REDACTOR.add(secrets)
        self._secrets = sorted(secrets, key=len, reverse=True)

    def secrets(self) -> Sequence[str]:
        return self._secrets

    def build_message(self, digest: RenderedDigest) -> tuple[str, str, NotifyFormat]:
        """Title, body and body format exactly as handed to Apprise."""
        if self.config.format == "html":
            return digest.subject, digest.html, NotifyFormat.HTML
        if self.config.format == "text":
            return digest.subject, digest.text, NotifyFormat.TEXT
        return digest.subject, markdown_digest(digest), NotifyFormat.MARKDOWN

    def size(self, digest: RenderedDigest) -> int:
        """Title and body as handed to Apprise (which may split the body per service)."""
        title, body, _ = self.build_message(digest)
        return len(title.encode("utf-8")) + len(body.encode("utf-8"))

    async def send(self, digest: RenderedDigest) -> SendResult:
        if self.invalid:
            raise self.error(f"Apprise cannot use {', '.join(self.invalid)}: unknown service "
                             "or required parts missing; fix the URL (deliveries stay pending)")
        title, body, body_format = self.build_message(digest)
        seconds = self.config.timeout.total_seconds()
        owed = list(self.owed)
        kinds = [self.kinds[index] for index in owed]
        apprise = Apprise(asset=self.asset)
        for index in owed:
            apprise.add(self.services[index])
        # Apprise's own deadline ends first, so it can still say which services were late.
        options: dict[str, Any] = {"timeout": max(seconds - 1, seconds * 0.8)} if _DEADLINE else {}
        result = await attempt_until_done(self, functools.partial(
            apprise.async_notify, body=body, title=title, body_format=body_format,
            interpret_escapes=False, **options), deadline=seconds)
        failure = None
        if not result:
            what, big, refused = self._explain(result, seconds, owed)
            if big:
                # Refused for size by some, accepted by the others: the smaller digest that
                # follows within this delivery goes only to those that refused it.
                self.owed = refused
            failure = self.error(what, too_big=big)
        getattr(result, "close", lambda: None)()  # Apprise ≥ 2 may keep its logs in a file
        if failure is not None:
            raise failure  # outside `except`: no chained exception can leak a URL
        log.info("%s: digest %s (%d items, batch %s) accepted by %s", self.name, digest.digest,
                 len(digest.items), digest.batch_id, ", ".join(kinds))
        return SendResult(self.name, digest.batch_id, len(digest.items))

    def classify(self, exc: Exception) -> DeliveryError:
        """Apprise running out of time, or an exception escaping it (a bug there, or in a
        plugin: its message is the one clue)."""
        seconds = self.config.timeout.total_seconds()
        if isinstance(exc, TimeoutError):
            kinds = ", ".join(self.kinds[index] for index in self.owed)
            return self.error(f"Apprise did not finish within {seconds:g}s ({kinds})")
        log.debug("%s: %s", self.name, self.redact(repr(exc)))
        # Redacted before it is cut: a cut could leave part of a secret unmatched.
        said = self.redact(str(exc))
        return self.error(f"Apprise failed: {type(exc).__name__}" + (f": {said[:200]}" if said else ""))

    def _explain(self, result: Any, seconds: float,
                 owed: Sequence[int]) -> tuple[str, bool, list[int]]:
        """Which of the services `owed` (indexes) failed and why, from Apprise's result (a
        bare bool before 2.0); whether every one that failed refused the notification as too
        big; and the indexes of those that failed."""
        kinds = [self.kinds[index] for index in owed]
        services = list(getattr(result, "results", None) or [])
        if len(services) != len(owed):
            return (f"Apprise reported a failure ({', '.join(kinds)}); no details given",
                    False, list(owed))
        failed = []
        refused = []
        sizes = 0
        for index, kind, service in zip(owed, kinds, services, strict=True):
            if service:
                continue
            refused.append(index)
            if service.status.name == "TIMEOUT":
                failed.append(f"{kind} did not answer within {seconds:g}s")
                continue
            warnings = [e.message for e in service.logs() if e.level in ("WARNING", "ERROR")]
            sizes += any(size_refusal(w) for w in warnings)
            failed.append(f"{kind} failed" + (f": {warnings[-1][:200]}" if warnings else ""))
        big = bool(failed) and sizes == len(failed)
        accepted = len(services) - len(failed)
        again = ""
        if accepted:
            again = (f"; {accepted} accepted it and will not get it again in this send" if big
                     else f"; {accepted} accepted it and will get it again on retry")
        text = f"{len(failed)} of {len(services)} Apprise URLs failed: {'; '.join(failed)}{again}"
        return text, big, refused


def size_refusal(warning: str) -> bool:
    """Whether an Apprise plugin's warning says the service refused the notification for
    its size (so a smaller digest may pass)."""
    return _TOO_BIG.search(warning) is not None


def url_secrets(url: str) -> set[str]:
    """`url` and the parts of it that may be credentials (host-position tokens included)."""
    found = {url} if url != _scheme(url) else set()  # "tgram://" alone hides nothing
    try:
        parts = urlsplit(url)
        query = [value for _, value in parse_qsl(parts.query, keep_blank_values=True)]
    except ValueError:
        return found
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    guessed = [user, *parts.path.split("/"), *query, parts.fragment]
    if "." not in host and not host.startswith(("[", "localhost")):
        guessed.append(host)  # tgram://TOKEN, ntfy://TOPIC: not a host name
    found |= {s for g in guessed for s in (g, unquote(g)) if len(s) >= 6}
    found |= {s for s in (password, unquote(password)) if len(s) >= 3}
    return found


def service_secrets(service: Any) -> set[str]:
    """The values an Apprise plugin marks private, and any HTTP header values it sends."""
    values: list[Any] = list((getattr(service, "headers", None) or {}).values())
    for key, spec in (*service.template_tokens.items(), *service.template_args.items()):
        if spec.get("private"):
            value = getattr(service, spec.get("map_to", key), None)
            values += value if isinstance(value, list | tuple | set) else [value]
    return {v for v in values if isinstance(v, str) and len(v) >= 3}


def _scheme(url: str) -> str:
    """"tgram://" for display: never more of a URL than its scheme."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]{0,15})://", url)
    return f"{match[1].lower()}://" if match else "no scheme" if url else "empty"
