"""What every channel kind's config shares: a `type:`, the caps of one digest, a deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from vedette.config.base import Model
from vedette.config.kinds import Kind, Kinds
from vedette.config.types import ByteSize, Duration, above_zero, at_least, at_most

CHANNEL_TYPES: Kinds[ChannelBase] = Kinds(
    "channel", "vedette.config.channels", first=("email", "file", "slack", "apprise"))
"""Every channel kind, by `type:` (vedette/config/channels/: one module each)."""

SendTimeout = Annotated[
    Duration,
    above_zero("0 would fail every send at once; it does not turn the deadline off"),
    at_most(timedelta(hours=1), "a send is retried on the next run instead"),
]

# Digest caps per channel (RELIABILITY 34): a flood from one source must not make a message
# no server takes. 0 would not switch a cap off; it would leave nothing to send.
DigestEntries = Annotated[int, above_zero(
    "0 would show no match at all, only the count of those left out; it does not switch the "
    "cap off"), at_most(1_000_000, "a digest that long is read by nobody")]
SUMMARY_ROOM = 16 * 1024
"""The smallest `max_bytes`: a digest cut down to its summary of what was left out fits."""

# A channel's `max_bytes`: at least SUMMARY_ROOM, at most what its kind of server takes
# (each kind's module adds its upper bound).
FITS_SUMMARY = at_least(
    SUMMARY_ROOM, "a digest cut down to the count of what was left out must still fit; 0 "
    "does not switch the cap off")
WebhookBytes = Annotated[ByteSize, FITS_SUMMARY,
                         at_most(10 * 1024**2, "chat services take far less in one notification")]


class ChannelBase(Kind, Model):
    """A channel's config: its kind's model declares its keys (secrets as `SecretStr`),
    and `target()` says where it sends; alerts/channels/ holds what it does."""

    kinds: ClassVar[Kinds[Any]] = CHANNEL_TYPES
    full_record: ClassVar[bool] = False
    """Whether this kind keeps whole digests where a reader can look them up: another
    channel's digest that leaves matches out points to it."""

    if TYPE_CHECKING:  # declared by each kind's model, where docs/config.md lists them
        type: str
        max_entries: int
        max_bytes: int

