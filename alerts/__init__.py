"""Digests: render pending matches (Jinja templates) and deliver them through channels."""

from alerts.channels import (
    Channel,
    ChannelConfig,
    DeliveryError,
    EmailChannel,
    FileChannel,
    SendResult,
)
from alerts.render import RenderedDigest, batch_id, render_digest

__all__ = [
    "Channel",
    "ChannelConfig",
    "DeliveryError",
    "EmailChannel",
    "FileChannel",
    "RenderedDigest",
    "SendResult",
    "batch_id",
    "render_digest",
]
