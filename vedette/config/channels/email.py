"""`type: email`: each digest as one email over SMTP; its channel is alerts/channels/email.py."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator

from vedette.config.channels.base import FITS_SUMMARY, ChannelBase, DigestEntries, SendTimeout
from vedette.config.types import ByteSize, at_most

EmailBytes = Annotated[ByteSize, FITS_SUMMARY,
                       at_most(100 * 1024**2, "no common mail server takes more")]


def _address(value: str) -> str:
    _, addr = parseaddr(value)
    if "@" not in addr or any(ch in value for ch in "\r\n"):
        raise ValueError(f"{value!r} is not an email address")
    return value


class EmailChannel(ChannelBase):
    """Sends each digest as one multipart (text + HTML) email over SMTP."""

    type: Literal["email"]
    host: str
    """SMTP server name."""
    port: int | None = Field(None, ge=1, le=65535)
    """SMTP port; default 587 for starttls, 465 for tls, 25 for none."""
    security: Literal["starttls", "tls", "none"] = "starttls"
    """starttls: STARTTLS required and certificate verified; tls: TLS from the start; none: plain."""
    username: str | None = None
    """Login name, if the server wants one."""
    password: SecretStr | None = None
    """Login password; keep it in the environment: `${SMTP_PASSWORD}`."""
    from_: str = Field(alias="from")
    """Sender, e.g. "Vedette <alerts@example.org>"."""
    to: list[str] = Field(min_length=1)
    """Recipients."""
    timeout: SendTimeout = timedelta(seconds=60)
    """Overall deadline for one send, connection to last reply (above 0, at most 1h)."""
    retries: int = Field(3, ge=0, le=10)
    """Further attempts after a temporary failure (4xx reply, connection error) within one run."""
    subject_prefix: str = "[Vedette]"
    """Put in front of every subject."""
    max_entries: DigestEntries = 500
    """Most matches shown in one email; past it each source keeps a fair share and the rest
    are counted by source ("and 950 more from SOURCE"), not sent again."""
    max_bytes: EmailBytes = 5 * 1024**2
    """Largest email as sent (encoded); well under the common 10 MB server limit. A server
    refusing a message as too big (552, 5.3.4) gets a smaller one, never a rejection."""

    @field_validator("from_")
    @classmethod
    def _from_address(cls, value: str) -> str:
        return _address(value)

    @field_validator("to")
    @classmethod
    def _to_addresses(cls, value: list[str]) -> list[str]:
        return [_address(v) for v in value]

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "tls": 465, "none": 25}[self.security]

    def target(self) -> str:
        login = f" as {self.username}" if self.username else ""
        return f"{self.host}:{self.effective_port} ({self.security}){login} → " + ", ".join(self.to)
