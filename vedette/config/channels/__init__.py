"""Channel kinds' configs, one module each (`type: email` is email.py), found by `type:`."""

from vedette.config.channels.base import CHANNEL_TYPES, SUMMARY_ROOM, ChannelBase

__all__ = ["CHANNEL_TYPES", "SUMMARY_ROOM", "ChannelBase"]
