"""The file channel writes each digest as .html, .txt and .json, whole or not at all.

Also the channel registry (`Channel.create` by the config's `type`), shown with the
simplest channel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from alerts import Channel, DeliveryError, FileChannel, RenderedDigest, SendResult, render_digest
from vedette.config.channels.email import EmailChannel as EmailConfig
from vedette.config.channels.file import FileChannel as FileConfig
from vedette.store import PendingItem

NOW = dt.datetime(2025, 11, 25, 5, 0, 7, tzinfo=dt.UTC)


def item(delivery_id: int, title: str = "Литва та Україна: спільне виробництво") -> PendingItem:
    return PendingItem(
        delivery_id=delivery_id, match_id=delivery_id, topic_id="joint-production",
        topic_name="Joint production", url=f"https://example.org/{delivery_id}", title=title,
        source="lrt", published=NOW, terms=("спільне виробництво",), fields=("title",),
        snippet=title, snippet_field="title", highlights=((20, 39),), matched_at=NOW,
    )


def digest(*ids: int, generated_at: dt.datetime = NOW) -> RenderedDigest:
    return render_digest("morning", [item(i) for i in ids or (1, 2)], timezone="Europe/Kyiv",
                         generated_at=generated_at)


def file_channel(directory: Path) -> FileChannel:
    config = FileConfig.model_validate({"type": "file", "directory": str(directory)})
    channel = Channel.create("archive", config)
    assert isinstance(channel, FileChannel)
    return channel


def send(channel: Channel, rendered: RenderedDigest) -> SendResult:
    return asyncio.run(channel.send(rendered))


def test_writes_the_three_renderings(tmp_path: Path) -> None:
    outbox = tmp_path / "deep" / "outbox"
    rendered = digest()
    result = send(file_channel(outbox), rendered)
    stem = "morning-20251125T050007Z"
    assert result.paths == tuple(outbox / f"{stem}{ext}" for ext in (".html", ".txt", ".json"))
    assert (result.channel, result.batch_id, result.items) == ("archive", rendered.batch_id, 2)
    html, text, data = result.paths
    assert html.read_text(encoding="utf-8") == rendered.html
    assert text.read_text(encoding="utf-8") == rendered.text
    assert json.loads(data.read_text(encoding="utf-8")) == rendered.data
    assert "Литва та Україна" in data.read_text(encoding="utf-8")  # readable, not \u-escaped
    assert sorted(p.name for p in outbox.iterdir()) == sorted(p.name for p in result.paths)


def test_second_batch_in_the_same_second_does_not_overwrite(tmp_path: Path) -> None:
    channel = file_channel(tmp_path)
    first = send(channel, digest(1, 2))
    second_digest = digest(3, generated_at=NOW + dt.timedelta(microseconds=400_000))
    second = send(channel, second_digest)
    assert second.paths[0].name == f"morning-20251125T050007Z-{second_digest.batch_id[:8]}.html"
    assert json.loads(first.paths[2].read_text(encoding="utf-8"))["matches"][0]["url"] == (
        "https://example.org/1")
    assert json.loads(second.paths[2].read_text(encoding="utf-8"))["matches"][0]["url"] == (
        "https://example.org/3")
    assert len(list(tmp_path.iterdir())) == 6


def test_unwritable_folder_is_a_temporary_error(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(DeliveryError) as caught:
        send(file_channel(blocker), digest())
    assert not caught.value.permanent
    assert caught.value.message.startswith(f"archive: cannot write the digest to {blocker}")
    assert "\n" not in caught.value.message
    assert blocker.read_text(encoding="utf-8") == "a file where the folder should be"


def test_digest_name_cannot_escape_the_folder(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    rendered = render_digest("../../etc/evil", [item(1)], timezone="UTC", generated_at=NOW)
    result = send(file_channel(outbox), rendered)
    assert all(path.parent == outbox for path in result.paths)
    assert result.paths[0].name == "etc-evil-20251125T050007Z.html"


# -- the registry ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PigeonConfig:
    type: str = "pigeon"


def test_create_picks_the_class_by_type() -> None:
    email = EmailConfig.model_validate({"type": "email", "host": "127.0.0.1",
                                        "from": "v@example.org", "to": ["a@example.org"]})
    assert type(Channel.create("team-mail", email)).kind == "email"
    assert {"email", "file"} <= set(Channel.registry)


def test_unknown_type_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"coop: unknown channel type 'pigeon' \(known: .*file"):
        Channel.create("coop", PigeonConfig())


def test_a_kind_cannot_be_registered_twice() -> None:
    with pytest.raises(TypeError, match="'file' is taken by FileChannel"):
        type("OtherFileChannel", (Channel,), {"kind": "file"})


def test_subclass_registers_itself(tmp_path: Path) -> None:
    class PigeonChannel(Channel):
        """Ties the digest to a pigeon (a test double for a third-party channel)."""

        kind = "pigeon"

        async def send(self, digest: RenderedDigest) -> SendResult:
            return SendResult(self.name, digest.batch_id, len(digest.items), note="flown")

    try:
        channel = Channel.create("coop", PigeonConfig())
        assert isinstance(channel, PigeonChannel)
        assert send(channel, digest()).note == "flown"
    finally:
        Channel.registry.pop("pigeon", None)
