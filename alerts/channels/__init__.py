"""Delivery channels, registered by kind (the config's `type`)."""

from alerts.channels.apprise import AppriseChannel
from alerts.channels.base import Channel, ChannelConfig, DeliveryError, SendResult
from alerts.channels.email import EmailChannel, header_text
from alerts.channels.file import FileChannel
from alerts.channels.slack import SlackChannel

__all__ = [
    "AppriseChannel",
    "Channel",
    "ChannelConfig",
    "DeliveryError",
    "EmailChannel",
    "FileChannel",
    "SendResult",
    "SlackChannel",
    "header_text",
]
