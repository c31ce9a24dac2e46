"""Source types' configs, one module each (`type: feed` is feed.py), found by `type:`."""

from vedette.config.sources.base import DEFAULT_SOURCE_SCHEDULE, SOURCE_TYPES, HttpUrlText, SourceBase

__all__ = ["DEFAULT_SOURCE_SCHEDULE", "SOURCE_TYPES", "HttpUrlText", "SourceBase"]
