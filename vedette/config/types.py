"""Small value types shared by the configuration models: durations, sizes, schedules."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_SIZE_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3,
               "kib": 1024, "mib": 1024**2, "gib": 1024**3}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


MAX_DURATION = timedelta(days=36500)
"""The longest duration anywhere (100 years): beyond it, date arithmetic such as
`now - max_age` leaves the calendar, and `timedelta` itself overflows."""


def parse_duration(value: Any) -> timedelta:
    """'30s', '15m', '4h', '7d', '2w' or a number of seconds; from 0 to MAX_DURATION."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration (write e.g. 30s, 15m, 4h, 7d, 2w)")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if math.isnan(seconds):
        raise ValueError(f"{value!r} is not a duration (write e.g. 30s, 15m, 4h, 7d, 2w)")
    if seconds > MAX_DURATION.total_seconds():  # infinity too
        # Checked before timedelta() is built: it would raise OverflowError, a traceback.
        raise ValueError(f"{value!r} is too long (at most {format_duration(MAX_DURATION)})")
    if seconds < 0:
        raise ValueError(f"{value!r} is negative (write e.g. 30s, 15m, 4h, 7d, 2w)")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest exact form: 7d, 90m, 45s."""
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def parse_size(value: Any) -> int:
    """'10MB', '512KiB' or a number of bytes (not negative)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value!r} is negative (write e.g. 10MB, 512KiB or a byte count)")
        return value
    match = _SIZE.match(str(value))
    unit = match.group(2).lower() if match else None
    if not match or unit not in _SIZE_UNITS:
        raise ValueError(f"{value!r} is not a size (write e.g. 10MB, 512KiB or a byte count)")
    size = float(match.group(1)) * _SIZE_UNITS[unit]
    if not math.isfinite(size):  # int() of it would raise OverflowError, a traceback
        raise ValueError(f"{value!r} is too large")
    return int(size)


def format_size(value: int) -> str:
    """The largest binary unit that divides it: 10MiB, 1GiB, 1500 bytes as 1500."""
    for unit in ("GiB", "MiB", "KiB"):
        size = _SIZE_UNITS[unit.lower()]
        if value and value % size == 0:
            return f"{value // size}{unit}"
    return str(value)


Limit = TypeVar("Limit", timedelta, int)


def above_zero(why: str) -> AfterValidator:
    """Refuse 0 for a limit; `why` says what 0 would do underneath (often: no limit at all,
    as Scrapy reads DOWNLOAD_MAXSIZE and DOWNLOAD_TIMEOUT 0)."""
    def check(value: Limit) -> Limit:
        if not value or value < type(value)():  # plain whole numbers may be negative too
            raise ValueError(f"must be above 0, found {_shown(value)} ({why})")
        return value
    return AfterValidator(check)


def at_most(limit: Limit, why: str) -> AfterValidator:
    """Refuse values past `limit`; `why` says what would go wrong beyond it."""
    def check(value: Limit) -> Limit:
        if value > limit:
            long = "long" if isinstance(value, timedelta) else "large"
            raise ValueError(f"{_shown(value)} is too {long} (at most {_shown(limit)}: {why})")
        return value
    return AfterValidator(check)


def at_least(limit: Limit, why: str) -> AfterValidator:
    """Refuse values below `limit` (0 included); `why` says what would go wrong under it."""
    def check(value: Limit) -> Limit:
        if value < limit:
            small = "short" if isinstance(value, timedelta) else "small"
            raise ValueError(f"{_shown(value)} is too {small} (at least {_shown(limit)}: {why})")
        return value
    return AfterValidator(check)


def _shown(value: timedelta | int) -> str:
    return format_duration(value) if isinstance(value, timedelta) else format_size(value)


def parse_timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not a timezone (write e.g. UTC, Europe/Kyiv)") from exc
    return str(value)


_DURATION_SCHEMA = {"anyOf": [{"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*[smhdw]\s*$"},
                              {"type": "number", "minimum": 0,
                               "maximum": MAX_DURATION.total_seconds()}],
                    "description": "30s, 15m, 4h, 7d, 2w, or seconds"}
Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), PlainSerializer(lambda d: d.total_seconds()),
    WithJsonSchema(_DURATION_SCHEMA),
]
ByteSize = Annotated[int, BeforeValidator(parse_size), WithJsonSchema(
    {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}],
     "description": "10MB, 512KiB, or bytes"})]
TimeZoneName = Annotated[str, BeforeValidator(parse_timezone),
                         WithJsonSchema({"type": "string", "description": "e.g. Europe/Kyiv"})]

_EVERY = re.compile(r"^\s*every\s+(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Schedule:
    """When a job runs: a 5-field cron expression, `every <duration>`, or `immediate`."""

    text: str
    interval: timedelta | None = None
    immediate: bool = False

    @classmethod
    def parse(cls, value: Any) -> Schedule:
        if isinstance(value, Schedule):
            return value
        text = str(value).strip()
        if text.lower() == "immediate":
            return cls(text, immediate=True)
        every = _EVERY.match(text)
        if every:
            interval = parse_duration(every.group(1))
            if interval.total_seconds() < 1:
                raise ValueError(f"{text!r}: the interval must be at least 1s")
            return cls(text, interval=interval)
        try:
            CronTrigger.from_crontab(text)
        except ValueError as exc:
            raise ValueError(
                f"{text!r} is not a schedule ({exc}; write a 5-field cron expression such as "
                "'*/30 * * * *', an interval such as 'every 15m', or 'immediate')"
            ) from exc
        return cls(text)

    def trigger(self, timezone: tzinfo) -> CronTrigger | IntervalTrigger | None:
        """The APScheduler trigger for this schedule; None for `immediate`."""
        if self.immediate:
            return None
        if self.interval is not None:
            return IntervalTrigger(seconds=self.interval.total_seconds(), timezone=timezone)
        return CronTrigger.from_crontab(self.text, timezone=timezone)

    def next_run(self, after: datetime, timezone: tzinfo) -> datetime | None:
        trigger = self.trigger(timezone)
        if trigger is None:
            return None
        fire: datetime | None = trigger.get_next_fire_time(None, after)  # APScheduler is untyped
        return fire

    def __str__(self) -> str:
        return self.text


ScheduleField = Annotated[
    Schedule, BeforeValidator(Schedule.parse), PlainSerializer(str),
    WithJsonSchema({"type": "string",
                    "description": 'cron ("*/30 * * * *"), "every 15m", or "immediate"'}),
]


def slugify(text: str) -> str:
    """A lowercase [a-z0-9-] identifier for names that need one (topic ids)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if slug:
        return slug
    # Names in Cyrillic or other scripts: keep them identifiable without transliteration.
    return "t-" + "-".join(f"{ord(ch):x}" for ch in text.strip()[:12])
