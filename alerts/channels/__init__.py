"""Delivery channels, registered by kind (the config's `type`)."""

from alerts.channels.base import Channel, ChannelConfig, DeliveryError, SendResult
from alerts.channels.email import EmailChannel, header_text
from alerts.channels.file import FileChannel

__all__ = [
    "Channel",
    "ChannelConfig",
    "DeliveryError",
    "EmailChannel",
    "FileChannel",
    "SendResult",
    "header_text",
]
