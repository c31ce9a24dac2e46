"""The Slack channel against a real local webhook receiver on 127.0.0.1.

Covers RELIABILITY items 8 and 9 (hostile text stays literal, formatting can't break),
19 and 20 (429 honours Retry-After; 5xx/timeouts retried; 400/403/404/410 permanent) and
22 (the webhook URL never in an error), plus splitting to Slack's limits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import socket
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts import Channel, DeliveryError, RenderedDigest, render_digest
from alerts.channels.slack import SlackChannel, retry_after_seconds
from alerts.channels.slack_blocks import (
    FIELD_MAX,
    HEADER_MAX,
    MAX_BLOCKS,
    MESSAGE_MAX,
    clip,
    link_url,
    width,
)
from tests.support.slack_receiver import Reply, SlackReceiver
from vedette.config.channels.slack import SlackChannel as SlackConfig
from vedette.matching import Snippet
from vedette.store import PendingItem

GENERATED = dt.datetime(2025, 11, 25, 5, 0, tzinfo=dt.UTC)
HOSTILE = json.loads(
    (Path(__file__).parent / "fixtures" / "hostile" / "titles.json").read_text(encoding="utf-8"))
SNIPPET = "Україна та Литва домовилися про спільне виробництво далекобійних дронів & більше."


# -- digests, channels, payloads --------------------------------------------------------------

def item(n: int, title: str, *, topic: str = "Joint production", url: str | None = None,
         snippet: str = SNIPPET, term: str = "спільне виробництво", source: str = "lrt",
         published: dt.datetime | None = GENERATED,
         more_snippets: tuple[Snippet, ...] = ()) -> PendingItem:
    start = snippet.find(term)
    highlights = ((start, start + len(term)),) if start >= 0 else ()
    return PendingItem(
        delivery_id=n, match_id=n, topic_id=topic.lower().replace(" ", "-"), topic_name=topic,
        url=url if url is not None else f"https://example.org/news/{n}", title=title,
        source=source, published=published and published - dt.timedelta(minutes=n),
        terms=(term,), fields=("body",), snippet=snippet, snippet_field="body",
        highlights=highlights, matched_at=GENERATED, term_fields=(("title", "body"),),
        more_snippets=more_snippets,
    )


def digest(*items: PendingItem, timezone: str = "UTC") -> RenderedDigest:
    return render_digest("morning", items, timezone=timezone, generated_at=GENERATED)


def long_digest(count: int = 120) -> RenderedDigest:
    topics = ("Joint production", "Long-range drones", "Air defence")
    huge = ("Далекобійні дрони " * 300)[:5000]
    items = []
    for n in range(1, count + 1):
        snippet = (SNIPPET + " " + huge) if n % 7 == 0 else SNIPPET
        title = f"Story {n} " + ("&<*_~`" * 900 if n % 31 == 0 else "about co-production")
        items.append(item(n, title, topic=topics[n % 3], snippet=snippet))
    return digest(*items)


def channel(url: str, **extra: Any) -> SlackChannel:
    config = SlackConfig.model_validate(
        {"type": "slack", "webhook_url": url, "timeout": 5, "retries": 2, **extra})
    return SlackChannel("ops-slack", config, retry_base_delay=0.01)


def send(ch: SlackChannel, rendered: RenderedDigest) -> Any:
    return asyncio.run(ch.send(rendered))


def failure(ch: SlackChannel, rendered: RenderedDigest) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        send(ch, rendered)
    error = caught.value
    secret = ch.config.webhook_url.get_secret_value()
    shown = [str(error), repr(error.args), "".join(traceback.format_exception(error))]
    assert "\n" not in str(error) and "\r" not in str(error)
    for text in shown:
        assert secret not in text and "xoxSeCrEtToKeN42" not in text
    assert error.__cause__ is None and error.__context__ is None
    return error


def texts(node: Any) -> Iterator[str]:
    """Every `text` string anywhere in a payload."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from texts(value)


def assert_within_limits(payload: dict[str, Any]) -> None:
    blocks = payload["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= HEADER_MAX
    for block in blocks:
        for text in texts(block):
            assert len(text) <= FIELD_MAX
    assert sum(width(t) for t in texts(blocks)) <= MESSAGE_MAX


def linked(payloads: list[dict[str, Any]]) -> list[str]:
    """The article URLs linked across `payloads`, in order."""
    return [m for p in payloads for t in texts(p["blocks"])
            for m in re.findall(r"<(https?://[^|>]+)\|", t)]


@pytest.fixture
def receiver() -> Iterator[SlackReceiver]:
    with SlackReceiver() as server:
        yield server


# -- building and posting ---------------------------------------------------------------------

def test_channel_create_picks_slack_by_type(receiver: SlackReceiver) -> None:
    created = Channel.create("ops-slack", channel(receiver.url).config)
    assert isinstance(created, SlackChannel)
    assert receiver.url in created.secrets()


def test_posts_one_block_kit_message(receiver: SlackReceiver) -> None:
    rendered = digest(item(1, "Lietuva ir Ukraina: bendra dronų gamyba"),
                      item(2, "Long-range drone deal", topic="Long-range drones",
                           snippet="Long-range drones for Ukraine", term="Long-range drones"))
    result = send(channel(receiver.url), rendered)
    assert (result.channel, result.batch_id, result.items) == ("ops-slack", rendered.batch_id, 2)
    [request] = receiver.requests
    assert request.path == receiver.path
    assert request.headers["Content-Type"].startswith("application/json")
    payload = request.payload
    assert payload["text"] == rendered.subject == "2 new: Joint production (1), Long-range drones (1)"
    assert payload["unfurl_links"] is False and payload["unfurl_media"] is False
    header, intro, topic, section, context, *rest = payload["blocks"]
    assert header == {"type": "header",
                      "text": {"type": "plain_text", "text": rendered.subject, "emoji": False}}
    assert intro["elements"][0]["text"] == "Vedette digest *morning* · 2025-11-25 05:00 UTC"
    assert topic["text"]["text"] == "*Joint production* (1)"
    assert section["text"] == {
        "type": "mrkdwn", "verbatim": True,
        "text": "*<https://example.org/news/1|Lietuva ir Ukraina: bendra dronų gamyba>*\n"
                "Україна та Литва домовилися про *спільне виробництво* далекобійних дронів "
                "&amp; більше."}
    assert context["elements"][0]["text"] == (
        "lrt · 2025-11-25 04:59 UTC · matched: спільне виробництво (title, body)")
    assert [b["type"] for b in rest] == ["section", "section", "context"]
    assert rest[1]["text"]["text"].endswith("\n*Long-range drones* for Ukraine")


def test_further_sentences_follow_the_first_within_the_section(receiver: SlackReceiver) -> None:
    more = Snippet("body", "Йдеться про далекобійні дрони *нового* типу.", ((12, 29),))
    long_more = Snippet("body", "x" * 5000, ((0, 1),))
    send(channel(receiver.url), digest(item(1, "Дрони", more_snippets=(more, long_more))))
    [request] = receiver.requests
    section = request.payload["blocks"][3]["text"]["text"]
    first, second, *rest = section.split("\n")[1:]
    assert "*спільне виробництво*" in first
    assert second == "Йдеться про *далекобійні дрони* \u2217нового\u2217 типу."
    # The third is cut to what is left of the section's 3,000 characters.
    assert len(rest) == 1 and rest[0].endswith("…") and len(section) <= 3000


@pytest.mark.xfail("timezone" not in RenderedDigest.__dataclass_fields__, strict=True,
                   reason="RenderedDigest does not carry the digest's timezone yet (render.py)")
def test_times_are_shown_in_the_digest_timezone_as_in_the_email(receiver: SlackReceiver) -> None:
    rendered = digest(item(1, "Drones"), timezone="Europe/Vilnius")
    send(channel(receiver.url), rendered)
    [payload] = receiver.accepted
    shown = payload["blocks"][-1]["elements"][0]["text"]
    assert "2025-11-25 06:59 EET" in shown and "2025-11-25 06:59 EET" in rendered.text


def test_long_digest_is_split_within_limits_keeping_every_article_in_order(
    receiver: SlackReceiver,
) -> None:
    rendered = long_digest(120)
    ch = channel(receiver.url)
    assert ch.messages(rendered) == ch.messages(rendered)  # a dry run shows what is sent
    send(ch, rendered)
    payloads = receiver.accepted
    total = len(payloads)
    assert total > 1 and len(receiver.requests) == total
    for number, payload in enumerate(payloads, 1):
        assert_within_limits(payload)
        assert payload["blocks"][0]["text"]["text"].endswith(f" ({number}/{total})")
        assert payload["text"].endswith(f" ({number}/{total})")
    assert linked(payloads) == [i.url for i in rendered.items]
    joined = json.dumps(payloads, ensure_ascii=False)
    assert "(continued)" in joined and "…" in joined


def test_very_long_fields_are_cut_within_their_limits() -> None:
    huge = "x" * 9000
    rendered = digest(item(1, huge, topic="T" * 400, source="s" * 5000,
                           url="https://example.org/" + "p" * 4000,
                           snippet=huge + " drones " + huge, term="drones"))
    [payload] = SlackChannel("ops-slack", SlackConfig.model_validate(
        {"type": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/x"})
    ).messages(rendered)
    assert_within_limits(payload)
    assert "link too long to show" in payload["blocks"][-1]["elements"][0]["text"]


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("a&b", 10, "a&amp;b"),
    ("a&b", 6, "a…"),          # never half an entity
    ("a&b", 7, "a&amp;b"),
    ("<!here>", 100, "&lt;!here&gt;"),
    ("*x* _y_ ~z~ `w`", 100, "∗x∗ ˍyˍ ∼z∼ ˋwˋ"),
    ("abc def", 5, "abc…"),
    ("🛰️🛰️", 3, "🛰…"),   # astral characters count twice, as Slack (UTF-16) may count them
], ids=["amp", "cut-before-entity", "entity-fits", "mention", "formatting", "word", "astral"])
def test_clip_escapes_and_cuts_between_characters(text: str, limit: int, expected: str) -> None:
    assert clip(text, limit) == expected
    assert width(clip(text, limit)) <= limit


# -- hostile text ---------------------------------------------------------------------------

SLACK_HOSTILE = [
    "<!channel> urgent", "<!here> look", "<!everyone>", "<@U024BE7LH> ping",
    "<https://evil.example|Click here> for drones", "*bold* _italic_ ~strike~",
    "`code` and ```block```", "<script>alert(1)</script>", "A & B &amp; C", "> quoted",
]


def test_hostile_text_stays_literal_in_every_payload(receiver: SlackReceiver) -> None:
    items = [item(n, title, url=entry.get("url")) for n, (title, entry) in enumerate(
        [(t, {}) for t in SLACK_HOSTILE] + [(e["title"], e) for e in HOSTILE], 1)]
    items.append(item(99, "Snippet and source", source="<!channel> `src`",
                      snippet="<!here> *not bold* drones `tick` ~x~", term="drones"))
    rendered = digest(*items)
    send(channel(receiver.url), rendered)
    payloads = receiver.accepted
    raw = json.dumps(payloads, ensure_ascii=False)
    for forbidden in ("<!", "<@", "<#", "<https://evil", "<script", "`", "*bold*", "_italic_",
                      "~strike~", "*not bold*"):
        assert forbidden not in raw, forbidden
    for shown in ("&lt;!channel&gt; urgent", "&lt;https://evil.example∣Click here&gt;",
                  "∗bold∗ ˍitalicˍ ∼strike∼", "ˋcodeˋ", "&lt;script&gt;", "A &amp; B &amp;amp; C",
                  "&gt; quoted", "&lt;!here&gt; ∗not bold∗ *drones* ˋtickˋ"):
        assert shown in raw, shown
    web = {link_url(i.url) for i in rendered.items if i.url.startswith("https://")}
    for payload in payloads:
        for text in texts(payload):
            for construct in re.findall(r"<[^>]*>", text):
                target, bar, _ = construct[1:-1].partition("|")
                assert bar and target in web, construct  # only our own links


def test_non_web_urls_are_never_links(receiver: SlackReceiver) -> None:
    rendered = digest(item(1, "Full story", url="javascript:alert(1)"),
                      item(2, "Archive", url="ftp://example.org/x"))
    send(channel(receiver.url), rendered)
    [payload] = receiver.accepted
    assert linked([payload]) == []
    details = [b["elements"][0]["text"] for b in payload["blocks"][2:] if b["type"] == "context"]
    assert details[0].endswith("not a web link: javascript:alert(1)")
    assert "*Full story*" in json.dumps(payload, ensure_ascii=False)


# -- delivery faults ------------------------------------------------------------------------

def test_429_waits_for_retry_after_then_delivers_once(receiver: SlackReceiver) -> None:
    receiver.script(Reply.rate_limited(1))
    send(channel(receiver.url), digest(item(1, "Drones")))
    first, second = receiver.requests
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.9  # honoured, not the 0.01 s backoff
    assert len(receiver.accepted) == 1


def test_429_asking_for_too_long_a_wait_leaves_the_digest_pending(
    receiver: SlackReceiver,
) -> None:
    receiver.script(Reply.rate_limited(3600))
    error = failure(channel(receiver.url), digest(item(1, "Drones")))
    assert not error.permanent
    assert "asks to wait 3600s" in error.message
    assert len(receiver.requests) == 1


def test_500_then_200_is_delivered(receiver: SlackReceiver) -> None:
    receiver.script(Reply.error(500), Reply.error(503, "service unavailable"))
    send(channel(receiver.url), digest(item(1, "Drones")))
    assert [r.status for r in receiver.requests] == [500, 503, 200]
    assert len(receiver.accepted) == 1


def test_500_on_every_attempt_stays_temporary(receiver: SlackReceiver) -> None:
    receiver.script(*[Reply.error(500)] * 5)
    error = failure(channel(receiver.url, retries=1), digest(item(1, "Drones")))
    assert not error.permanent
    assert len(receiver.requests) == 2
    assert error.message == (f"ops-slack: Slack webhook at 127.0.0.1:{receiver.port} failed: "
                             "500 rollup_error")


@pytest.mark.parametrize(("status", "body"), [
    (400, "invalid_blocks"), (403, "invalid_token"), (404, "no_service"),
    (410, "channel_is_archived")])
def test_refusals_are_permanent_and_not_retried(receiver: SlackReceiver, status: int,
                                                body: str) -> None:
    receiver.script(Reply.error(status, body))
    error = failure(channel(receiver.url), digest(item(1, "Drones")))
    assert error.permanent
    assert error.message == (f"ops-slack: Slack webhook at 127.0.0.1:{receiver.port} refused "
                             f"the message: {status} {body}")
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("body", [
    "<html><title>Sign in to continue</title></html>", "", "invalid_token"])
def test_200_without_slacks_ok_is_not_a_delivery(receiver: SlackReceiver, body: str) -> None:
    """Slack answers a message it took with 200 `ok` and its refusals with 4xx/5xx: another
    200 came from something else (a proxy, a portal, a wrong URL), which would answer the
    same within the run. Not retried now, not permanent: the digest stays pending."""
    receiver.script(Reply(200, body))
    error = failure(channel(receiver.url), digest(item(1, "Drones")))
    assert not error.permanent
    assert error.message.startswith(
        f"ops-slack: Slack webhook at 127.0.0.1:{receiver.port} answered 200 with ")
    assert error.message.endswith("instead of Slack's 'ok': not Slack (check webhook_url, "
                                  "and any proxy in between)")
    assert len(receiver.requests) == 1
    receiver.script(Reply(200, "ok\n"))
    send(channel(receiver.url), digest(item(1, "Drones")))  # the next run: Slack's own answer
    assert len(receiver.requests) == 2


@pytest.mark.parametrize("echoed", ["url", "path"])
def test_secret_echoed_by_the_server_is_redacted(receiver: SlackReceiver, echoed: str) -> None:
    receiver.script(Reply.error(404, f"no_service for {getattr(receiver, echoed)}"))
    error = failure(channel(receiver.url), digest(item(1, "Drones")))
    token = receiver.path.rsplit("/", 1)[1]
    assert token not in error.message and receiver.path not in error.message
    assert error.message == (f"ops-slack: Slack webhook at 127.0.0.1:{receiver.port} refused "
                             "the message: 404 no_service for ***")


def test_hanging_webhook_fails_temporarily_within_the_deadline(receiver: SlackReceiver) -> None:
    receiver.script(Reply.hanging(30), Reply.hanging(30))
    started = time.monotonic()
    error = failure(channel(receiver.url, timeout=0.3, retries=1), digest(item(1, "Drones")))
    assert time.monotonic() - started < 3
    assert not error.permanent
    assert error.message == (f"ops-slack: Slack webhook at 127.0.0.1:{receiver.port} "
                             "did not answer within 0.3s")
    assert len(receiver.requests) == 2 and receiver.accepted == []


def test_connection_refused_is_temporary() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/services/T0/B0/xoxSeCrEtToKeN42"
    error = failure(channel(url, retries=1), digest(item(1, "Drones")))
    assert not error.permanent
    assert error.message.startswith(f"ops-slack: Slack webhook at 127.0.0.1:{port} could not be "
                                    "reached")


def test_later_message_failing_reposts_the_whole_digest_next_time(
    receiver: SlackReceiver,
) -> None:
    rendered = long_digest(60)
    ch = channel(receiver.url, retries=1)
    total = len(ch.messages(rendered))
    assert total >= 3
    receiver.script(Reply.ok(), Reply.error(502), Reply.error(502))
    error = failure(ch, rendered)
    assert not error.permanent
    assert error.message.endswith(f"(message 2 of {total}; message 1 already posted, "
                                  "will be posted again with the rest)")
    assert len(receiver.accepted) == 1
    send(ch, rendered)  # the next run: nothing lost, part 1 twice
    again = receiver.accepted[1:]
    assert len(again) == total and again[0] == receiver.accepted[0]
    assert linked(again) == [i.url for i in rendered.items]


def test_empty_digest_posts_one_message_saying_so(receiver: SlackReceiver) -> None:
    send(channel(receiver.url), digest())
    [payload] = receiver.accepted
    assert payload["blocks"][0]["text"]["text"] == "No new matches"
    assert "Nothing new matched" in payload["blocks"][-1]["text"]["text"]


@pytest.mark.parametrize(("value", "expected"), [
    ("1", 1.0), (" 2.5 ", 2.5), ("-3", 0.0), (None, None), ("soon", None),
    ("Tue, 25 Nov 2000 05:00:00 GMT", 0.0)])
def test_retry_after_values(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value) == expected
