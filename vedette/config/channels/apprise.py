"""`type: apprise`: each digest handed to Apprise (Telegram, Teams, ntfy, …); its channel is
alerts/channels/apprise.py."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from vedette.config.channels.base import ChannelBase, DigestEntries, SendTimeout, WebhookBytes
from vedette.config.urls import unusable_apprise_url


class AppriseChannel(ChannelBase):
    """Hands each digest to Apprise, which reaches Telegram, Microsoft Teams, Discord, ntfy,
    Matrix and 100+ more services."""

    type: Literal["apprise"]
    urls: list[SecretStr] = Field(min_length=1)
    """Apprise URLs (e.g. `tgram://BOTTOKEN/CHATID`); they hold secrets: use `${VAR}`."""
    format: Literal["text", "markdown", "html"] = "markdown"
    """markdown for Telegram, Discord, Teams, Matrix and Slack; text for ntfy and SMS; html
    hands over the email HTML."""
    timeout: SendTimeout = timedelta(seconds=60)
    """Overall deadline for one notification to all URLs (above 0, at most 1h)."""
    max_entries: DigestEntries = 50
    """Most matches in one notification (Apprise splits long ones into several messages);
    past it each source keeps a fair share and the rest are counted by source."""
    max_bytes: WebhookBytes = 64 * 1024
    """Largest notification body; a service refusing it as too large (413) gets a smaller
    one, never a rejection."""

    @field_validator("urls")
    @classmethod
    def _known_services(cls, urls: list[SecretStr]) -> list[SecretStr]:
        import apprise  # only configs with an Apprise channel pay for loading its plugins

        bad, unsendable = [], []
        quiet = logging.getLogger("apprise")
        for index, url in enumerate(urls):
            text = url.get_secret_value().strip()
            was, quiet.disabled = quiet.disabled, True  # its debug lines quote the URL
            try:
                service = apprise.Apprise.instantiate(text)
            finally:
                quiet.disabled = was
            scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]{0,15})://", text)
            label = f"urls[{index}] ({scheme[1].lower() + '://' if scheme else 'no scheme'})"
            if service is None:
                bad.append(label)
                continue
            unusable = unusable_apprise_url(text, getattr(service, "port", None))
            if unusable is not None:  # Apprise takes it, but no send ever could
                unsendable.append(f"{label} can never be sent to: {unusable}")
        found = [f"Apprise cannot use {', '.join(bad)} (unknown service or required parts "
                 "missing)"] if bad else []
        if found or unsendable:
            raise ValueError("; ".join(found + unsendable))
        return urls

    def target(self) -> str:
        schemes = sorted({u.get_secret_value().split("://", 1)[0] for u in self.urls})
        return f"Apprise: {len(self.urls)} URLs ({', '.join(s + '://' for s in schemes)})"
