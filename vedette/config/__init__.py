"""Configuration: YAML files in one folder, validated into typed models once at start-up."""

from vedette.config.errors import ConfigError, Problem
from vedette.config.loader import config_directory, load_config
from vedette.config.schema import (
    Channel,
    Config,
    Digest,
    EmailChannel,
    FeedSource,
    FileChannel,
    Settings,
    Source,
    TermSpec,
    Topic,
)
from vedette.config.types import Schedule, parse_duration, parse_size, slugify

__all__ = [
    "Channel",
    "Config",
    "ConfigError",
    "Digest",
    "EmailChannel",
    "FeedSource",
    "FileChannel",
    "Problem",
    "Schedule",
    "Settings",
    "Source",
    "TermSpec",
    "Topic",
    "config_directory",
    "load_config",
    "parse_duration",
    "parse_size",
    "slugify",
]
