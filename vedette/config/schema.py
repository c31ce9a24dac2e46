"""The configuration's typed shape: one pydantic model per section and per plugin kind.

Field docstrings are user documentation: docs/config.md and the JSON Schema of `vedette
schema` (the descriptions a YAML editor shows) are written from them.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    field_validator,
)
from pydantic_core import Url

from vedette import __version__
from vedette.config.base import SLUG as _SLUG
from vedette.config.base import Model
from vedette.config.topics import TermSpec as TermSpec  # re-exported
from vedette.config.topics import Topic as Topic  # re-exported
from vedette.config.types import (
    ByteSize,
    Duration,
    Schedule,
    ScheduleField,
    TimeZoneName,
    above_zero,
    at_least,
    at_most,
)
from vedette.config.urls import unusable_apprise_url, unusable_http_url

DEFAULT_SOURCE_SCHEDULE = "every 30m"

# Limits for which 0 would not mean "small" (RELIABILITY 33): each says what 0 would do.
ResponseSize = Annotated[
    ByteSize,
    above_zero("Scrapy reads 0 as no size limit, so a compressed bomb would fill memory"),
    at_most(1024**3, "a response is held in memory whole"),
]
RequestTimeout = Annotated[
    Duration,
    above_zero("Scrapy reads 0 as no timeout, so a slow server could hold a crawl forever"),
    at_most(timedelta(minutes=10), "a source slower than that is down"),
]
ExtractionTimeout = Annotated[
    Duration,
    above_zero("0 would give every page's extraction up at once; it does not mean no limit"),
    at_most(timedelta(minutes=5), "a page that needs longer is pathological; its feed text is used"),
]
SendTimeout = Annotated[
    Duration,
    above_zero("0 would fail every send at once; it does not turn the deadline off"),
    at_most(timedelta(hours=1), "a send is retried on the next run instead"),
]

# Digest caps per channel (RELIABILITY 34): a flood from one source must not make a message
# no server takes. 0 would not switch a cap off; it would leave nothing to send.
DigestEntries = Annotated[int, above_zero(
    "0 would show no match at all, only the count of those left out; it does not switch the "
    "cap off"), at_most(1_000_000, "a digest that long is read by nobody")]
SUMMARY_ROOM = 16 * 1024
"""The smallest `max_bytes`: a digest cut down to its summary of what was left out fits."""


# A channel's `max_bytes`: at least SUMMARY_ROOM, at most what its kind of server takes.
_FITS_SUMMARY = at_least(
    SUMMARY_ROOM, "a digest cut down to the count of what was left out must still fit; 0 "
    "does not switch the cap off")
EmailBytes = Annotated[ByteSize, _FITS_SUMMARY,
                       at_most(100 * 1024**2, "no common mail server takes more")]
WebhookBytes = Annotated[ByteSize, _FITS_SUMMARY,
                         at_most(10 * 1024**2, "chat services take far less in one notification")]
FileBytes = Annotated[ByteSize, _FITS_SUMMARY,
                      at_most(1024**3, "a digest is rendered in memory whole")]


class Health(Model):
    failures: int = Field(3, ge=1, le=1000)
    """Consecutive failed crawls of a source before one "source failing" notice is sent."""
    stale: Annotated[Duration, above_zero("0 would call every source stale at once")] = \
        timedelta(days=3)
    """A source with no new item for this long gets one "source stale" notice (above 0)."""
    channel: str | None = None
    """Channel for health notices (an ops channel, not the analysts' digests); none = log only."""


class Settings(Model):
    state: Path = Path("state/vedette.db")
    """SQLite file holding articles, matches and deliveries (created with its folder)."""
    first_crawl_window: Duration = timedelta(hours=24)
    """A source's first crawl alerts only items published this recently; older ones (and
    undated ones) are stored as seen, so a new source never floods a digest. Per source:
    `backfill:`."""
    timezone: TimeZoneName = "UTC"
    """Default timezone for schedules and for times shown in digests."""
    user_agent: str = f"vedette/{__version__}"
    """User-Agent sent to every site; add a contact URL: "vedette/1.0 (+https://your.org/bot)"."""
    request_timeout: RequestTimeout = timedelta(seconds=30)
    """Longest wait for one HTTP response, headers and body together (above 0, at most 10m)."""
    max_response_size: ResponseSize = 10 * 1024 * 1024
    """Responses (after decompression) larger than this are dropped and counted (above 0,
    at most 1GiB)."""
    max_matches_per_crawl: Annotated[int, above_zero(
        "0 would let no source alert; it does not switch the cap off"),
        at_most(1_000_000, "a source that matches more in one crawl is flooding")] = 300
    """Matching articles one crawl of one source may add to digests; past it, matches are
    stored and counted (`crawl` says so in one line, `status` shows them) but alert nobody,
    so a flooding source can't fill the ledger."""
    concurrent_requests: int = Field(16, ge=1, le=512)
    """Requests in flight across all sites during one crawl."""
    per_host_concurrency: int = Field(4, ge=1, le=64)
    """Requests in flight to one host at a time."""
    obey_robots: bool = True
    """Honour each site's robots.txt."""
    extraction_workers: int = Field(0, ge=0, le=64)
    """Processes extracting article text in parallel; 0 = one per CPU core, 1 = in-process."""
    extraction_timeout: ExtractionTimeout = timedelta(seconds=5)
    """Longest time for extracting one page's main text (a few tens of milliseconds is
    usual); a page that takes longer is skipped, counted and matched on its feed title and
    summary (above 0, at most 5m; fractions of a second such as 0.5s are allowed)."""
    keep_text: Annotated[Duration, above_zero(
        "0 would drop every article's text right after its crawl; it does not mean forever")] = \
        timedelta(days=30)
    """How long article text is kept for `vedette test-topic` (above 0); URLs (the dedup
    records) are kept forever."""
    health: Health = Health()
    """Source-health notices from the daemon: `failures`, `stale`, `channel`."""
    templates: Path | None = None
    """Folder of digest templates used before the shipped ones (same names, e.g.
    `email/digest.html.j2`); relative to the config folder. Rendered in a sandbox."""


def _http_url(value: Any) -> Any:
    if isinstance(value, str) and not re.match(r"^https?://", value.strip(), re.IGNORECASE):
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value.strip() if isinstance(value, str) else value


# pydantic_core's URL type, which pydantic's AnyHttpUrl wraps: the same parsing, errors and
# JSON Schema, without importing pydantic.networks (and its package-metadata lookups) at every
# start. `_http_url` admits only http:// and https://.
HttpUrlText = Annotated[Url, BeforeValidator(_http_url)]


class SourceBase(Model):
    name: str
    """Unique slug ([a-z0-9-]+) naming the source in digests, logs and commands."""
    url: HttpUrlText
    """Where the source is read from."""
    schedule: ScheduleField | None = None
    """When the daemon crawls it: cron ("*/30 * * * *") or "every 15m"; default every 30m."""
    max_age: Annotated[Duration, above_zero(
        "0 would let no item alert; it does not mean no age limit")] = timedelta(days=7)
    """Items published earlier than this are stored but never alerted (above 0)."""
    backfill: Duration | None = None
    """On this source's first crawl, alert items published this recently (default
    settings.first_crawl_window); `0s` alerts none of what is already there."""
    follow: bool = True
    """Fetch each new item's page for its full text (else match the feed's title and summary)."""
    allowed_domains: list[str] = []
    """Extra hosts that item links may lead to (the source's own host is always allowed)."""

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(f"{value!r} is not a slug (lowercase letters, digits and '-')")
        return value

    @field_validator("allowed_domains")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        return [host.strip().lower().lstrip(".") for host in value]

    @property
    def effective_schedule(self) -> Schedule:
        """The schedule the daemon uses: the configured one, else every 30 minutes."""
        return self.schedule or Schedule.parse(DEFAULT_SOURCE_SCHEDULE)


class FeedSource(SourceBase):
    """An RSS 0.9x/1.0/2.0, Atom or JSON feed."""

    type: Literal["feed"]


Source = Annotated[FeedSource, Field(discriminator="type")]


def _address(value: str) -> str:
    _, addr = parseaddr(value)
    if "@" not in addr or any(ch in value for ch in "\r\n"):
        raise ValueError(f"{value!r} is not an email address")
    return value


class EmailChannel(Model):
    """Sends each digest as one multipart (text + HTML) email over SMTP."""

    type: Literal["email"]
    host: str
    """SMTP server name."""
    port: int | None = Field(None, ge=1, le=65535)
    """SMTP port; default 587 for starttls, 465 for tls, 25 for none."""
    security: Literal["starttls", "tls", "none"] = "starttls"
    """starttls: STARTTLS required and certificate verified; tls: TLS from the start; none: plain."""
    username: str | None = None
    """Login name, if the server wants one."""
    password: SecretStr | None = None
    """Login password; keep it in the environment: `${SMTP_PASSWORD}`."""
    from_: str = Field(alias="from")
    """Sender, e.g. "Vedette <alerts@example.org>"."""
    to: list[str] = Field(min_length=1)
    """Recipients."""
    timeout: SendTimeout = timedelta(seconds=60)
    """Overall deadline for one send, connection to last reply (above 0, at most 1h)."""
    retries: int = Field(3, ge=0, le=10)
    """Further attempts after a temporary failure (4xx reply, connection error) within one run."""
    subject_prefix: str = "[Vedette]"
    """Put in front of every subject."""
    max_entries: DigestEntries = 500
    """Most matches shown in one email; past it each source keeps a fair share and the rest
    are counted by source ("and 950 more from SOURCE"), not sent again."""
    max_bytes: EmailBytes = 5 * 1024**2
    """Largest email as sent (encoded); well under the common 10 MB server limit. A server
    refusing a message as too big (552, 5.3.4) gets a smaller one, never a rejection."""

    @field_validator("from_")
    @classmethod
    def _from_address(cls, value: str) -> str:
        return _address(value)

    @field_validator("to")
    @classmethod
    def _to_addresses(cls, value: list[str]) -> list[str]:
        return [_address(v) for v in value]

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "tls": 465, "none": 25}[self.security]


class FileChannel(Model):
    """Writes NAME-TIMESTAMP.html, .txt and .json per digest into a folder."""

    type: Literal["file"]
    directory: Path
    """Folder for the files (created if missing); relative to the config folder."""
    max_entries: DigestEntries = 100_000
    """Most matches written in one digest; past it each source keeps a fair share and the
    rest are counted by source."""
    max_bytes: FileBytes = 1024**3
    """Largest digest written (the three files together)."""


class SlackChannel(Model):
    """Posts each digest to a Slack incoming webhook as Block Kit messages."""

    type: Literal["slack"]
    webhook_url: SecretStr
    """Incoming-webhook URL; it is a secret: keep it in the environment, `${SLACK_WEBHOOK_URL}`."""
    timeout: SendTimeout = timedelta(seconds=30)
    """Overall deadline for one post (above 0, at most 1h)."""
    retries: int = Field(3, ge=0, le=10)
    """Further attempts after 429 (honouring Retry-After), 5xx or a timeout, within one run."""
    max_entries: DigestEntries = 100
    """Most matches posted per digest (split into messages within Slack's limits); past it
    each source keeps a fair share and the rest are counted by source."""
    max_bytes: WebhookBytes = 1024**2
    """Largest digest posted, all its messages' JSON together. A 413 or Slack's
    `msg_too_long` gets a smaller digest, never a rejection."""

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value().strip()
        if not re.match(r"^https?://", url, re.IGNORECASE):
            raise ValueError("is not an http:// or https:// URL")
        unusable = unusable_http_url(url)
        if unusable is not None:  # refused now, not when a digest is due
            raise ValueError(f"can never be posted to: {unusable}")
        return value


class AppriseChannel(Model):
    """Hands each digest to Apprise, which reaches Telegram, Microsoft Teams, Discord, ntfy,
    Matrix and 100+ more services."""

    type: Literal["apprise"]
    urls: list[SecretStr] = Field(min_length=1)
    """Apprise URLs (e.g. `tgram://BOTTOKEN/CHATID`); they hold secrets: use `${VAR}`."""
    format: Literal["text", "markdown", "html"] = "markdown"
    """markdown for Telegram, Discord, Teams, Matrix and Slack; text for ntfy and SMS; html
    hands over the email HTML."""
    timeout: SendTimeout = timedelta(seconds=60)
    """Overall deadline for one notification to all URLs (above 0, at most 1h)."""
    max_entries: DigestEntries = 50
    """Most matches in one notification (Apprise splits long ones into several messages);
    past it each source keeps a fair share and the rest are counted by source."""
    max_bytes: WebhookBytes = 64 * 1024
    """Largest notification body; a service refusing it as too large (413) gets a smaller
    one, never a rejection."""

    @field_validator("urls")
    @classmethod
    def _known_services(cls, urls: list[SecretStr]) -> list[SecretStr]:
        import apprise  # only configs with an Apprise channel pay for loading its plugins

        bad, unsendable = [], []
        quiet = logging.getLogger("apprise")
        for index, url in enumerate(urls):
            text = url.get_secret_value().strip()
            was, quiet.disabled = quiet.disabled, True  # its debug lines quote the URL
            try:
                service = apprise.Apprise.instantiate(text)
            finally:
                quiet.disabled = was
            scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]{0,15})://", text)
            label = f"urls[{index}] ({scheme[1].lower() + '://' if scheme else 'no scheme'})"
            if service is None:
                bad.append(label)
                continue
            unusable = unusable_apprise_url(text, getattr(service, "port", None))
            if unusable is not None:  # Apprise takes it, but no send ever could
                unsendable.append(f"{label} can never be sent to: {unusable}")
        found = [f"Apprise cannot use {', '.join(bad)} (unknown service or required parts "
                 "missing)"] if bad else []
        if found or unsendable:
            raise ValueError("; ".join(found + unsendable))
        return urls


Channel = Annotated[
    EmailChannel | FileChannel | SlackChannel | AppriseChannel, Field(discriminator="type")
]


class Digest(Model):
    name: str
    """Slug naming the digest in commands and file names."""
    schedule: ScheduleField
    """Cron ("0 7 * * *"), an interval ("every 4h"), or "immediate" (right after a crawl)."""
    timezone: TimeZoneName | None = None
    """Timezone of the schedule and of times in the digest; default settings.timezone."""
    topics: list[str] = ["*"]
    """Topic names or ids; "*" = all."""
    channels: list[str] = Field(min_length=1)
    """Channel names this digest is sent through."""
    send_empty: bool = False
    """Send even when nothing new matched."""

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(f"{value!r} is not a slug (lowercase letters, digits and '-')")
        return value


class Config(Model):
    settings: Settings = Settings()
    sources: list[Source] = []
    topics: list[Topic] = []
    channels: dict[str, Channel] = {}
    digests: list[Digest] = []
    directory: Path = Path(".")
    """The config folder (set by the loader, not written in YAML)."""
    files: dict[str, Path] = {}
    """The file each section came from (set by the loader)."""
    warnings: tuple[str, ...] = ()
    """What is wrong but harmless, e.g. a secret written into a file (set by the loader)."""

    def source(self, name: str) -> FeedSource:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def digest(self, name: str) -> Digest:
        for digest in self.digests:
            if digest.name == name:
                return digest
        raise KeyError(name)

    def digest_topics(self, digest: Digest) -> list[Topic]:
        if "*" in digest.topics:
            return list(self.topics)
        wanted = set(digest.topics)
        return [t for t in self.topics if t.id in wanted or t.name in wanted]

    def digest_timezone(self, digest: Digest) -> str:
        return digest.timezone or self.settings.timezone


SECTIONS = ("settings", "sources", "topics", "channels", "digests")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a config file (any file may hold any of the sections)."""
    document = Config.model_json_schema()
    for internal in ("directory", "files", "warnings"):
        document["properties"].pop(internal, None)
    document["title"] = "Vedette configuration file"
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return document
