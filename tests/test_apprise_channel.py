"""The apprise channel against a local receiver, through Apprise's real json:// and form://
services: what arrives, how failures read, and that no secret leaks into errors or logs."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import socket
import time
import traceback
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apprise import NotifyFormat
from apprise.conversion import convert_between
from pydantic import SecretStr

from alerts import Channel, DeliveryError, RenderedDigest, SendResult, render_digest
from alerts.channels.apprise import AppriseChannel, markdown_escape, size_refusal
from tests.support.json_receiver import JsonReceiver
from vedette.config.channels.apprise import AppriseChannel as AppriseConfig
from vedette.config.channels.file import FileChannel as FileConfig
from vedette.matching import Snippet
from vedette.store import PendingItem

GENERATED = dt.datetime(2025, 11, 25, 5, 0, tzinfo=dt.UTC)
PASSWORD = "Pa55-w0rd-never-shown"
TOKEN = "T0KEN-in-the-path-4471"
BEARER = "Bearer-h3ader-secret-99"
SNIPPET = "Україна та Литва домовилися про спільне виробництво далекобійних дронів."


def item(delivery_id: int, title: str, *, url: str = "https://www.lrt.lt/naujienos/1",
         snippet: str = SNIPPET, term: str = "спільне виробництво",
         more_snippets: tuple[Snippet, ...] = ()) -> PendingItem:
    start = max(snippet.find(term), 0)
    return PendingItem(
        delivery_id=delivery_id, match_id=delivery_id, topic_id="joint-production",
        topic_name="Joint production", url=url, title=title, source="lrt", published=GENERATED,
        terms=(term,), fields=("body",), snippet=snippet, snippet_field="body",
        highlights=((start, start + len(term)),), matched_at=GENERATED,
        more_snippets=more_snippets,
    )


def digest(*items: PendingItem) -> RenderedDigest:
    chosen = items or (item(1, "Lietuva ir Ukraina: bendra dronų gamyba"),
                       item(2, "Спільне виробництво далекобійних дронів",
                            url="https://www.ukrinform.ua/2"))
    # RenderedDigest keeps no timezone: the Markdown shows times in generated_at's zone.
    return render_digest("morning", chosen, timezone="Europe/Kyiv",
                         generated_at=GENERATED.astimezone(ZoneInfo("Europe/Kyiv")))


def channel(*urls: str, **extra: Any) -> AppriseChannel:
    try:
        config = AppriseConfig.model_validate({"type": "apprise", "urls": list(urls), **extra})
    except ValueError:
        # The config loader refuses unusable URLs; the channel must still cope if one
        # reaches it (a config built in code), so build it without validation.
        config = AppriseConfig.model_construct(
            type="apprise", urls=[SecretStr(u) for u in urls], format="markdown",
            timeout=dt.timedelta(seconds=60), **extra)
    created = Channel.create("team-alerts", config)
    assert isinstance(created, AppriseChannel)
    return created


def send(target: Channel, rendered: RenderedDigest) -> SendResult:
    return asyncio.run(target.send(rendered))


def failure(target: Channel, rendered: RenderedDigest) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        send(target, rendered)
    return caught.value


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[JsonReceiver]:
    with JsonReceiver(routes={"/fail": 500, "/hang": "hang"}) as server:
        yield server


# -- what arrives ---------------------------------------------------------------------------

def test_further_sentences_are_lines_of_their_own(receiver: JsonReceiver) -> None:
    more = Snippet("body", "Йдеться про далекобійні дрони.", ((12, 29),))
    send(channel(receiver.url("/hook")), digest(item(1, "Дрони", more_snippets=(more,))))
    [post] = receiver.bodies()
    lines = post.json()["message"].splitlines()
    first = next(i for i, line in enumerate(lines) if "**спільне виробництво**" in line)
    assert lines[first + 1] == "  Йдеться про **далекобійні дрони**."


def test_delivers_once_with_subject_as_title_and_markdown_body(receiver: JsonReceiver) -> None:
    rendered = digest()
    result = send(channel(receiver.url("/hook")), rendered)
    assert (result.channel, result.batch_id, result.items) == ("team-alerts", rendered.batch_id, 2)
    [post] = receiver.bodies()
    payload = post.json()
    assert payload["title"] == rendered.subject == "2 new: Joint production (2)"
    body = payload["message"]
    assert "**[Lietuva ir Ukraina: bendra dronų gamyba](https://www.lrt.lt/naujienos/1)**" in body
    assert "**[Спільне виробництво далекобійних дронів](https://www.ukrinform.ua/2)**" in body
    assert "домовилися про **спільне виробництво** далекобійних дронів." in body
    assert "## Joint production (2)" in body
    assert "matched: спільне виробництво" in body
    assert "2025-11-25 07:00 EET" in body  # times in the digest's timezone
    assert body.count("Україна та Литва") == 2


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_text_and_html_formats_hand_over_the_shared_renderings(receiver: JsonReceiver,
                                                               fmt: str) -> None:
    rendered = digest()
    send(channel(receiver.url("/hook"), format=fmt), rendered)
    [post] = receiver.bodies()
    expected = rendered.text if fmt == "text" else rendered.html
    assert post.json()["message"] == expected.strip()  # Apprise trims the ends


def test_form_service_receives_cyrillic_intact(receiver: JsonReceiver) -> None:
    rendered = digest()
    send(channel(receiver.url("/form", scheme="form"), format="text"), rendered)
    [post] = receiver.bodies("/form")
    fields = post.form()
    assert fields["title"] == rendered.subject
    assert "Спільне виробництво далекобійних дронів" in fields["message"]
    assert "Lietuva ir Ukraina: bendra dronų gamyba" in fields["message"]


def test_a_digest_over_the_services_length_limit_is_split_not_refused(
        receiver: JsonReceiver) -> None:
    long_snippet = "Далекобійні дрони " * 50 + "спільне виробництво."
    items = [item(i, f"Стаття {i:03d}", url=f"https://example.org/{i}", snippet=long_snippet)
             for i in range(1, 61)]  # ≈ 60 kB of Markdown; Apprise's JSON limit is 32 kB
    send(channel(receiver.url("/hook")), digest(*items))
    posts = receiver.bodies()
    assert len(posts) >= 2
    joined = "".join(p.json()["message"] for p in posts)
    assert all(f"Стаття {i:03d}" in joined for i in range(1, 61))


# -- failures ------------------------------------------------------------------------------

def test_server_error_is_temporary_and_names_the_service_kind(receiver: JsonReceiver) -> None:
    error = failure(channel(receiver.url("/fail")), digest())
    assert not error.permanent
    assert str(error).startswith("team-alerts: 1 of 1 Apprise URLs failed: urls[0] JSON failed")
    assert "error=500" in str(error)
    assert "127.0.0.1" not in str(error) and "/fail" not in str(error)
    assert len(receiver.bodies("/fail")) == 1


def test_413_is_too_big_not_a_rejection() -> None:
    """A service refusing the notification for its size (RELIABILITY 34): the digest goes
    again smaller; the refusal says nothing about the content."""
    with JsonReceiver(routes={"/big": 413}) as server:
        error = failure(channel(server.url("/big")), digest())
    assert error.too_big and not error.permanent
    assert "error=413" in str(error)


def test_server_error_is_not_too_big(receiver: JsonReceiver) -> None:
    error = failure(channel(receiver.url("/fail")), digest())
    assert not error.too_big


def test_a_failure_naming_port_413_is_not_too_big() -> None:
    """Nothing listens on port 413: a connection error, whose warning names the port."""
    error = failure(channel("ntfy://127.0.0.1:413/vedette-topic"), digest())
    assert "127.0.0.1:413" in str(error)
    assert not error.too_big


SIZE_WARNINGS = {
    "JSON's status": ("Failed to send JSON POST notification: error=413.", True),
    "a status reason": ("Failed to send notification: Payload Too Large, error=413.", True),
    "Telegram": ("Failed to send Telegram notification: Bad Request: message is too long, "
                 "error=400.", True),
    "a service's words": ("Failed to send Whapi notification: Request too large.", True),
    "a port": ("A Connection error occurred sending ntfy:http://10.0.0.5:413 notification.",
               False),
    "a chat id": ("Failed to send Telegram notification to -100413: chat not found, "
                  "error=400.", False),
    "a status with 413 inside": ("Failed to send notification: error=4130.", False),
    "a slow service": ("The server took too long to respond, error=504.", False),
}


@pytest.mark.parametrize("warning,too_big", SIZE_WARNINGS.values(), ids=SIZE_WARNINGS.keys())
def test_only_a_refusal_for_size_counts_as_too_big(warning: str, too_big: bool) -> None:
    assert size_refusal(warning) is too_big


def test_a_hanging_service_fails_within_the_deadline(receiver: JsonReceiver) -> None:
    target = channel(receiver.url("/hang"), timeout=1)
    started = time.monotonic()
    error = failure(target, digest())
    elapsed = time.monotonic() - started
    assert elapsed < 1.5
    assert not error.permanent
    assert "urls[0] JSON did not answer within 1s" in str(error)
    assert error.__context__ is None and error.__cause__ is None


def test_one_failing_url_fails_the_send_and_says_who_accepted(receiver: JsonReceiver) -> None:
    """All or nothing: the whole digest stays pending and the next run sends it to both URLs
    again. Put URLs that must be retried independently into channels of their own."""
    error = failure(channel(receiver.url("/ok"), receiver.url("/fail")), digest())
    assert not error.permanent
    assert "1 of 2 Apprise URLs failed: urls[1] JSON failed" in str(error)
    assert "1 accepted it and will get it again on retry" in str(error)
    assert len(receiver.bodies("/ok")) == len(receiver.bodies("/fail")) == 1


def test_an_unusable_url_is_a_clear_error_showing_only_its_scheme(
        receiver: JsonReceiver) -> None:
    target = channel("tgram://", f"bogus://{TOKEN}", receiver.url("/hook"))
    error = failure(target, digest())
    assert str(error) == (
        "team-alerts: Apprise cannot use urls[0] (tgram://), urls[1] (bogus://): unknown "
        "service or required parts missing; fix the URL (deliveries stay pending)")
    assert receiver.bodies() == []  # nothing half-sent


def test_unreachable_service_is_temporary() -> None:
    error = failure(channel(f"json://127.0.0.1:{closed_port()}/hook"), digest())
    assert not error.permanent
    assert "urls[0] JSON failed" in str(error)


# -- secrets -------------------------------------------------------------------------------

def test_secrets_never_reach_errors_tracebacks_or_logs(receiver: JsonReceiver,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    secret_urls = [
        f"json://analyst:{PASSWORD}@127.0.0.1:{receiver.port}/fail/{TOKEN}?+X-Token={BEARER}",
        f"json://analyst:{PASSWORD}@127.0.0.1:{closed_port()}/hook/{TOKEN}",
        f"form://analyst:{PASSWORD}@127.0.0.1:{receiver.port}/hang/{TOKEN}",
    ]
    secrets = [PASSWORD, TOKEN, BEARER, *secret_urls]
    caplog.set_level(logging.DEBUG)
    target = channel(*secret_urls, timeout=1)
    assert set(secret_urls) <= set(target.secrets())
    error = failure(target, digest())
    [post] = receiver.bodies(f"/fail/{TOKEN}")
    assert post.headers["X-Token"] == BEARER  # the secrets were really used
    assert error.__context__ is None and error.__cause__ is None
    shown = [str(error), repr(error), "".join(traceback.format_exception(error))]
    assert "urls[0] JSON failed" in shown[0] and "urls[2] Form did not answer" in shown[0]
    assert "urls[1] JSON failed" in shown[0]
    assert caplog.records, "Apprise and urllib3 logged at DEBUG"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in [*shown, logged]:
        for secret in secrets:
            assert secret not in text


def test_an_exception_out_of_apprise_is_reported_with_its_message_secrets_blanked(
        receiver: JsonReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """Apprise turns its plugins' failures into results; what escapes it anyway is a bug
    there, and its message is the only clue to it. It may quote a URL."""
    url = f"json://analyst:{PASSWORD}@127.0.0.1:{receiver.port}/hook/{TOKEN}"

    async def crash(self: Any, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"plugin crashed\n  posting to {url} (analyst:{PASSWORD}, {TOKEN})")

    monkeypatch.setattr("apprise.Apprise.async_notify", crash)
    error = failure(channel(url), digest())
    assert not error.permanent
    assert str(error) == ("team-alerts: Apprise failed: RuntimeError: plugin crashed posting to "
                          "*** (***:***, ***)")  # the user name too: it may be a token
    assert error.__context__ is None and error.__cause__ is None


# -- hostile content -----------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script> [x](javascript:alert(1)) *bold* _it_ `code` ~~gone~~ | a"


def test_hostile_titles_and_snippets_cannot_inject_markdown(receiver: JsonReceiver) -> None:
    rendered = digest(
        item(1, HOSTILE, url="javascript:alert(1)", snippet="# Heading ![i](https://e.vil/i.png)",
             term="Heading"),
        item(2, "1986. Not a list", url="https://example.org/<b>(1)", snippet="--- <img src=x>",
             term="img"),
        item(3, "- not a bullet", snippet="=== <!-- comment --> &lt;b&gt;", term="comment"),
    )
    send(channel(receiver.url("/hook")), rendered)
    body = receiver.bodies()[0].json()["message"]
    html = convert_between(NotifyFormat.MARKDOWN, NotifyFormat.HTML, body)  # as Telegram gets it
    assert "<script" not in html and "<img" not in html and "<!--" not in html
    assert "javascript:" not in re.sub(r">[^<]*<", "><", html)  # only ever as visible text
    assert re.findall(r'href="([^"]*)"', html) == [
        "https://example.org/%3Cb%3E%281%29", "https://www.lrt.lt/naujienos/1"]
    for tag in ("<em>", "<code>", "<h1>", "<ol>", "<hr", "<del>", "<table>"):
        assert html.count(tag) == (1 if tag == "<hr" else 0), tag  # <hr>: the footer's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1)) *bold* _it_" in html
    assert "1986. Not a list" in html and "- not a bullet" in html
    assert "javascript:alert(1) (not a web link)" in html


@pytest.mark.parametrize(("text", "expected"), [
    ("Long-range drones (UA) 2025", "Long-range drones (UA) 2025"),
    ("[x](javascript:alert(1))", r"\[x\](javascript:alert(1))"),
    ("<b>&amp;</b>", r"\<b\>&amp;\</b\>"),
    ("*a* _b_ `c` ~d~ |e| #f \\", r"\*a\* \_b\_ \`c\` \~d\~ \|e\| \#f \\"),
    ("1986. Year", r"1986\. Year"),
    ("2) second", r"2\) second"),
    ("- item", r"\- item"),
    ("+ item", r"\+ item"),
    ("=== underline", r"\=== underline"),
    ("> quote", r"\> quote"),
    ("2025-11-25", "2025-11-25"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None)
def test_markdown_escape(text: str, expected: str) -> None:
    assert markdown_escape(text) == expected


def test_needs_an_apprise_config(tmp_path: Any) -> None:
    with pytest.raises(TypeError, match="needs an apprise config"):
        AppriseChannel("x", FileConfig.model_validate({"type": "file", "directory": str(tmp_path)}))


def test_unusable_urls_are_refused_when_the_config_loads() -> None:
    with pytest.raises(ValueError) as caught:
        AppriseConfig.model_validate({"type": "apprise",
                                      "urls": ["tgram://", "bogus://T0KEN-secret@x"]})
    message = caught.value.errors()[0]["msg"]
    assert "urls[0] (tgram://), urls[1] (bogus://)" in message
    assert "T0KEN-secret" not in message
