"""Configuration: YAML files in one folder, validated into typed models once at start-up."""

from vedette.config.channels import ChannelBase
from vedette.config.errors import ConfigError, Problem
from vedette.config.loader import config_directory, load_config
from vedette.config.schema import (
    Channel,
    Config,
    Digest,
    Settings,
    Source,
    TermSpec,
    Topic,
)
from vedette.config.sources import SourceBase
from vedette.config.types import Schedule, parse_duration, parse_size, slugify

__all__ = [
    "Channel",
    "ChannelBase",
    "Config",
    "ConfigError",
    "Digest",
    "Problem",
    "Schedule",
    "Settings",
    "Source",
    "SourceBase",
    "TermSpec",
    "Topic",
    "config_directory",
    "load_config",
    "parse_duration",
    "parse_size",
    "slugify",
]
