"""The configuration's typed shape: one pydantic model per section. Each source type and
channel kind declares its own model (vedette/config/sources/, vedette/config/channels/);
`sources:` and `channels:` accept the registered ones.

Field docstrings are user documentation: docs/config.md and the JSON Schema of `vedette
schema` (the descriptions a YAML editor shows) are written from them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import Field, field_validator

from vedette import __version__
from vedette.config.base import SLUG as _SLUG
from vedette.config.base import Model
from vedette.config.channels import CHANNEL_TYPES, ChannelBase
from vedette.config.sources import SOURCE_TYPES, SourceBase
from vedette.config.topics import TermSpec as TermSpec  # re-exported
from vedette.config.topics import Topic as Topic  # re-exported
from vedette.config.types import (
    ByteSize,
    Duration,
    ScheduleField,
    TimeZoneName,
    above_zero,
    at_most,
)

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
    """Source-health notices, from the daemon and from `run --once`: `failures`, `stale`,
    `channel`."""
    templates: Path | None = None
    """Folder of digest templates used before the shipped ones (same names, e.g.
    `email/digest.html.j2`); relative to the config folder. Rendered in a sandbox."""


if TYPE_CHECKING:  # any registered kind, as far as code that serves them all knows
    Source: TypeAlias = SourceBase
    Channel: TypeAlias = ChannelBase
else:
    Source = SOURCE_TYPES.union()
    Channel = CHANNEL_TYPES.union()


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

    def source(self, name: str) -> SourceBase:
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
