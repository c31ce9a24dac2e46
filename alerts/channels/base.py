"""What every delivery channel is: a kind, a config, and `send(digest) -> SendResult`.

Channels register by kind when their class is defined; `Channel.create(name, config)`
picks the class from `config.type`. A kind's config model is the one registered under the
same `type:` in vedette/config/channels/.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from alerts.render import RenderedDigest
from vedette.config.channels import CHANNEL_TYPES
from vedette.plugins import ByKind, claim


class ChannelConfig(Protocol):
    """The part of a channel's config model every channel relies on."""

    @property
    def type(self) -> str: ...

    @property
    def max_entries(self) -> int: ...

    @property
    def max_bytes(self) -> int: ...


@dataclass(frozen=True)
class SendResult:
    """The channel accepted the digest."""

    channel: str
    batch_id: str
    items: int
    note: str | None = None
    """Something the operator should know although the send succeeded (refused recipients)."""
    paths: tuple[Path, ...] = ()
    """Files written, for channels that write files."""


class DeliveryError(Exception):
    """A send failed. One line saying what and where, never containing a secret.

    `permanent=False`: try again later; the deliveries stay pending. `permanent=True`:
    this message will never be accepted as it is (e.g. SMTP 550 to every recipient).
    `too_big=True`: refused for its size alone (SMTP 552 or 5.3.4, HTTP 413): a smaller
    digest may pass, and nothing is said about its content. `delivered`: deliveries the
    reader already got before the refusal (the messages of a split digest posted before
    the refused one); a smaller digest leaves them out rather than showing them again.
    `retry=True`: trying again within this send may help (alerts/channels/retry.py), after
    `wait` seconds when the service asked for them (Retry-After).
    """

    def __init__(self, message: str, permanent: bool = False, *, too_big: bool = False,
                 delivered: Sequence[int] = (), retry: bool = False,
                 wait: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent and not too_big
        self.too_big = too_big
        self.delivered = tuple(delivered)
        self.retry = retry and not (self.permanent or too_big)
        self.wait = wait

    def __str__(self) -> str:
        return self.message


class Channel:
    """Base class of delivery channels; subclasses set `kind` (the config's `type`)."""

    kind: ClassVar[str]
    retry_base_delay: float = 1.0
    """Seconds before the first retry; doubled for each further one (alerts/channels/retry.py)."""
    retry_max_delay: float = 60.0
    """The longest wait between two attempts."""
    registry: ClassVar[dict[str, type[Channel]]] = ByKind("alerts.channels")
    """Channel classes by kind; `type: X` is found in alerts/channels/X.py."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is None:
            return
        claim(Channel.registry, kind, cls, "channel kind")

    def __init__(self, name: str, config: ChannelConfig, *,
                 retry_base_delay: float | None = None) -> None:
        model = CHANNEL_TYPES.get(self.kind)
        if model is not None and not isinstance(config, model):
            article = "an" if self.kind[:1] in "aeiou" else "a"
            raise TypeError(f"{name}: {type(self).__name__} needs {article} {self.kind} config, "
                            f"not {config.type!r}")
        self.name = name
        self.config = config
        if retry_base_delay is not None:
            self.retry_base_delay = retry_base_delay

    @classmethod
    def create(cls, name: str, config: ChannelConfig) -> Channel:
        """The channel `name` of the kind `config.type`."""
        try:
            channel_class = Channel.registry[config.type]
        except KeyError:
            known = ", ".join(sorted(Channel.registry)) or "none"
            raise ValueError(
                f"{name}: unknown channel type {config.type!r} (known: {known})") from None
        return channel_class(name, config)

    async def send(self, digest: RenderedDigest) -> SendResult:
        """Deliver `digest`; raise DeliveryError when it was not accepted."""
        raise NotImplementedError

    def classify(self, exc: Exception) -> DeliveryError | None:
        """What an attempt's exception means for the send; None: not a failure this channel
        knows, so it propagates as it is."""
        return None

    def size(self, digest: RenderedDigest) -> int:
        """Bytes this channel hands over for `digest`: what its `max_bytes` caps."""
        return len(digest.text.encode("utf-8"))

    def secrets(self) -> Sequence[str]:
        """Values that must never appear in an error message or log line (none by default)."""
        return ()

    def redact(self, text: str) -> str:
        """`text` on one line, with every secret blanked out."""
        line = " ".join(text.split())
        for secret in self.secrets():
            if secret:
                line = line.replace(secret, "***")
        return line

    def error(self, what: str, *, permanent: bool = False, too_big: bool = False,
              retry: bool = False, wait: float | None = None) -> DeliveryError:
        """A DeliveryError "NAME: what", on one line, with every secret blanked out."""
        return DeliveryError(self.redact(f"{self.name}: {what}"), permanent, too_big=too_big,
                             retry=retry, wait=wait)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
