"""Configuration: YAML files in one folder, validated into typed models once at start-up."""

from vedette.config.errors import ConfigError, Problem
from vedette.config.loader import config_directory, load_config
from vedette.config.schema import (
    AppriseChannel,
    Channel,
    Config,
    Digest,
    EmailChannel,
    FeedSource,
    FileChannel,
    Settings,
    SlackChannel,
    Source,
    TermSpec,
    Topic,
)
from vedette.config.types import Schedule, parse_duration, parse_size, slugify

__all__ = [
    "AppriseChannel",
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
    "SlackChannel",
    "Source",
    "TermSpec",
    "Topic",
    "config_directory",
    "load_config",
    "parse_duration",
    "parse_size",
    "slugify",
]
