"""`type: slack`: each digest posted to an incoming webhook; its channel is
alerts/channels/slack.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from vedette.config.channels.base import ChannelBase, DigestEntries, SendTimeout, WebhookBytes
from vedette.config.urls import unusable_http_url


class SlackChannel(ChannelBase):
    """Posts each digest to a Slack incoming webhook as Block Kit messages."""

    type: Literal["slack"]
    webhook_url: SecretStr
    """Incoming-webhook URL; it is a secret: keep it in the environment, `${SLACK_WEBHOOK_URL}`."""
    timeout: SendTimeout = timedelta(seconds=30)
    """Overall deadline for one post (above 0, at most 1h)."""
    retries: int = Field(3, ge=0, le=10)
    """Further attempts after 429 (honouring Retry-After), 5xx or a timeout, within one run."""
    max_entries: DigestEntries = 100
    """Most matches posted per digest (split into messages within Slack's limits); past it
    each source keeps a fair share and the rest are counted by source."""
    max_bytes: WebhookBytes = 1024**2
    """Largest digest posted, all its messages' JSON together. A 413 or Slack's
    `msg_too_long` gets a smaller digest, never a rejection."""

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value().strip()
        if not re.match(r"^https?://", url, re.IGNORECASE):
            raise ValueError("is not an http:// or https:// URL")
        unusable = unusable_http_url(url)
        if unusable is not None:  # refused now, not when a digest is due
            raise ValueError(f"can never be posted to: {unusable}")
        return value

    def target(self) -> str:
        return "Slack incoming webhook (URL hidden)"
