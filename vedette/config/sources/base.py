"""What every source type's config shares: its name, URL, schedule and age limits."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BeforeValidator, field_validator
from pydantic_core import Url

from vedette.config.base import SLUG, Model
from vedette.config.kinds import Kind, Kinds
from vedette.config.types import Duration, Schedule, ScheduleField, above_zero

DEFAULT_SOURCE_SCHEDULE = "every 30m"

SOURCE_TYPES: Kinds[SourceBase] = Kinds("source", "vedette.config.sources", first=("feed",))
"""Every source type, by `type:` (vedette/config/sources/: one module each)."""


def _http_url(value: Any) -> Any:
    if isinstance(value, str) and not re.match(r"^https?://", value.strip(), re.IGNORECASE):
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value.strip() if isinstance(value, str) else value


# pydantic_core's URL type, which pydantic's AnyHttpUrl wraps: the same parsing, errors and
# JSON Schema, without importing pydantic.networks (and its package-metadata lookups) at every
# start. `_http_url` admits only http:// and https://.
HttpUrlText = Annotated[Url, BeforeValidator(_http_url)]


class SourceBase(Kind, Model):
    """A source's config: the keys every type shares; each type's model adds its `type:`
    and its own keys, and spiders/ holds what it does."""

    kinds: ClassVar[Kinds[Any]] = SOURCE_TYPES

    if TYPE_CHECKING:  # each type's own `type: Literal[...]`, declared last in its model
        type: str

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
        if not SLUG.match(value):
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

    def target(self) -> str:
        return str(self.url)
