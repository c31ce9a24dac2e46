"""A flood from one source (RELIABILITY 34): digests are capped in entries and bytes per
channel, one source's flood never sinks another source's alert, and a "message too big"
refusal is answered with a smaller digest, never recorded as a rejection of the content.

A local site serves a spam feed of SPAM matching items and a real feed of one; the real
SMTP server (aiosmtpd) and the Slack stand-in refuse what is too big for them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import SmtpServer, Workspace
from tests.support.json_receiver import JsonReceiver
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite, Route, delayed
from tests.support.slack_receiver import Reply, SlackReceiver
from tests.test_digest_content import WIRE

SPAM = 160
CAP = 120
"""settings.max_matches_per_crawl in these tests: the spam source passes it by 40."""
REAL_TITLE = "Allies sign joint production deal for artillery shells"
TOPICS = [{"name": "Joint production", "any": ["joint production"]}]


def flood_site(site: LocalSite) -> None:
    """/spam.xml: SPAM matching items with long summaries; /real.xml: one real story."""
    filler = " ".join(["Limited offer on joint production of everything, click now."] * 6)
    spam = [(site.url(f"/spam/{n}"), Story(slug=f"spam-{n}", title=f"Joint production offer {n}",
                                           paragraphs=[], published=recent(1 + n / 1000),
                                           summary=f"{filler} #{n}"))
            for n in range(SPAM)]
    site.add("/spam.xml", rss_feed(site.base, spam, title="Spam"),
             content_type="application/rss+xml")
    real = Story(slug="real", title=REAL_TITLE, paragraphs=[], published=recent(3),
                 summary="The allies agreed on joint production of 155 mm shells.")
    site.add("/real.xml", rss_feed(site.base, [(site.url("/news/real"), real)]),
             content_type="application/rss+xml")


def setup(workspace: Workspace, site: LocalSite, channels: dict[str, Any]) -> None:
    flood_site(site)
    workspace.setup(
        sources=[{"name": "spam-source", "type": "feed", "url": site.url("/spam.xml"),
                  "follow": False},
                 {"name": "real-source", "type": "feed", "url": site.url("/real.xml"),
                  "follow": False}],
        topics=TOPICS, channels=channels,
        digests=[{"name": "daily", "schedule": "0 7 * * *", "channels": list(channels)}],
        settings={"max_matches_per_crawl": CAP})


def mail(smtp: SmtpServer, **extra: Any) -> dict[str, Any]:
    return {"type": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
            "from": "v@example.org", "to": ["a@example.org"], "retries": 0, **extra}


def archive(workspace: Workspace) -> dict[str, Any]:
    return {"type": "file", "directory": str(workspace.outbox)}


def outcomes(workspace: Workspace, channel: str) -> dict[str, int]:
    return dict(workspace.query(
        "SELECT outcome, COUNT(*) FROM channel_sends WHERE channel=? GROUP BY outcome", channel))


def text_of(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content())


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    with SlackReceiver() as receiver:
        yield receiver


@pytest.mark.parametrize("refusal", ["552 to the SIZE announced", "554 5.3.4 after DATA"])
def test_flood_refused_as_too_big_by_smtp_still_delivers_the_real_alert(
        workspace: Workspace, site: LocalSite, refusal: str) -> None:
    limit = 48 * 1024
    smtp = SmtpServer(data_size_limit=limit if refusal.startswith("552") else None).start()
    try:
        if not refusal.startswith("552"):
            smtp.handler.too_big_over = limit
        setup(workspace, site, {"mail": mail(smtp), "archive": archive(workspace)})

        first = workspace.run("run", "--once")

        assert first.returncode == 0, first.stderr
        # The per-crawl cap: the spam past it is stored, counted, and alerts nobody.
        assert (f"source spam-source: {SPAM - CAP:,} more matching articles than "
                "settings.max_matches_per_crawl allows") in first.stderr
        assert workspace.query("SELECT COUNT(*) FROM articles") == [(SPAM + 1,)]
        assert workspace.query("SELECT COUNT(*) FROM deliveries") == [(CAP + 1,)]
        [message] = smtp.messages  # only what the server accepted is recorded
        assert len(message.as_bytes()) <= limit
        body = text_of(message)
        assert REAL_TITLE in body
        shown = body.count("* Joint production offer ")
        summarised = CAP - shown
        assert 0 < shown < CAP and summarised > 0
        assert f"and {summarised:,} more from spam-source" in body
        assert "listed in full by the archive file channel" in body
        assert f"(and {summarised:,} more)" in str(message["Subject"])
        # Nothing is a rejection of content; every delivery is handled and done.
        assert outcomes(workspace, "mail") == {"sent": shown + 1, "summarised": summarised}
        assert workspace.query("SELECT COUNT(*) FROM deliveries WHERE sent_at IS NULL") == [(0,)]
        too_big = workspace.query("SELECT COUNT(*) FROM attempts WHERE outcome='too-big'")
        assert too_big[0][0] >= 1
        # The file channel lists everything in full.
        [data] = workspace.outbox.glob("daily-*.json")
        matches = json.loads(data.read_text(encoding="utf-8"))["matches"]
        assert len(matches) == CAP + 1 and outcomes(workspace, "archive") == {"sent": CAP + 1}

        status = workspace.run("status", "--json")
        assert status.returncode == 0, status.stderr
        found = json.loads(status.stdout)
        [mail_channel] = [c for c in found["digests"][0]["channels"] if c["channel"] == "mail"]
        assert mail_channel["last_attempt"]["outcome"] == "sent"
        assert mail_channel["last_attempt"]["summarised"] == summarised
        spam_source = next(s for s in found["sources"] if s["name"] == "spam-source")
        assert spam_source["last_run"]["capped"] == SPAM - CAP

        again = workspace.run("run", "--once")

        assert again.returncode == 0, again.stderr
        assert len(smtp.messages) == 1  # nothing sent twice
        assert "daily via mail: nothing pending" in again.stdout
    finally:
        smtp.stop()


def test_caps_keep_a_fair_share_for_each_source_without_any_refusal(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    setup(workspace, site, {"mail": mail(smtp, max_entries=10)})

    result = workspace.run("run", "--once")

    assert result.returncode == 0, result.stderr
    [message] = smtp.messages
    body = text_of(message)
    assert REAL_TITLE in body and body.count("* Joint production offer ") == 9
    assert f"and {CAP - 9:,} more from spam-source" in body
    assert "listed in full" not in body  # no file channel in this digest
    assert outcomes(workspace, "mail") == {"sent": 10, "summarised": CAP - 9}
    assert workspace.query("SELECT COUNT(*) FROM attempts WHERE outcome != 'sent'") == [(0,)]
    assert f"sent daily via mail: 10 matches ({CAP - 9:,} more counted by source)" \
        in result.stdout


def test_even_a_summary_refused_as_too_big_is_one_failure_and_nothing_is_rejected(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    smtp.handler.too_big_over = 100  # no message at all fits
    setup(workspace, site, {"mail": mail(smtp)})

    result = workspace.run("run", "--once")

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: digest daily via mail: mail: SMTP 127.0.0.1:{smtp.port} refused "
                      "the message as too big: 554 5.3.4 Message too big for system (even the "
                      f"digest cut down to its count of {CAP + 1} matches by source; they "
                      "stay pending)"]
    assert smtp.messages == []
    assert outcomes(workspace, "mail") == {}
    assert workspace.query("SELECT COUNT(*) FROM deliveries WHERE sent_at IS NULL") == \
        [(CAP + 1,)]

    smtp.handler.too_big_over = None  # the server's limit raised: the next run delivers
    second = workspace.run("run", "--once")

    assert second.returncode == 0, second.stderr
    [message] = smtp.messages
    assert REAL_TITLE in text_of(message)
    assert workspace.query("SELECT COUNT(*) FROM deliveries WHERE sent_at IS NULL") == [(0,)]


@pytest.mark.parametrize("reply", [Reply(413, "Payload Too Large"), Reply(400, "msg_too_long")],
                         ids=["413", "msg_too_long"])
def test_slack_refusing_a_flood_as_too_big_gets_a_smaller_digest(
        workspace: Workspace, site: LocalSite, slack: SlackReceiver, reply: Reply) -> None:
    setup(workspace, site, {"chat": {"type": "slack", "webhook_url": slack.url, "retries": 0},
                            "archive": archive(workspace)})
    slack.script(reply)

    first = workspace.run("run", "--once")

    assert first.returncode == 0, first.stderr
    posted = json.dumps(slack.accepted, ensure_ascii=False)
    assert REAL_TITLE in posted
    [refused, *_] = slack.requests
    assert refused.status == reply.status
    shown = posted.count("Joint production offer ")
    assert 0 < shown < 100  # fewer than the default cap of 100 that was refused
    summarised = CAP + 1 - shown - 1
    assert f"and {summarised:,} more from spam-source" in posted
    assert outcomes(workspace, "chat") == {"sent": shown + 1, "summarised": summarised}
    assert workspace.query("SELECT COUNT(*) FROM deliveries WHERE sent_at IS NULL") == [(0,)]

    posts = len(slack.requests)
    again = workspace.run("run", "--once")

    assert again.returncode == 0, again.stderr
    assert len(slack.requests) == posts  # nothing posted twice


def test_a_capped_copy_of_a_story_never_swallows_another_sources_alert(
        workspace: Workspace, site: LocalSite) -> None:
    # The flooding source publishes one matching item (its cap of 1 used up) and then the
    # wire story, which it stores capped; a real source's copy of the same story comes later.
    filler = Story(slug="offer", title="Joint production offer",
                   paragraphs=["Joint production offer, click now."], published=recent(1))
    flooded = Story(slug="wire-spam", title="Spam: allies to build drones together",
                    paragraphs=WIRE, published=recent(2))
    real = Story(slug="wire-real", title="Real: allies to build drones together",
                 paragraphs=WIRE, published=recent(1))
    site.add("/news/offer", article_page(filler))
    # Served last, so it is the one the cap holds back.
    site.routes["/news/wire-spam"] = Route(handler=delayed(article_page(flooded).encode(), 1.0))
    site.add("/spam.xml", rss_feed(site.base, [(site.url("/news/offer"), filler),
                                               (site.url("/news/wire-spam"), flooded)]),
             content_type="application/rss+xml")
    site.add("/news/wire-real", article_page(real))
    site.add("/real.xml", rss_feed(site.base, [(site.url("/news/wire-real"), real)]),
             content_type="application/rss+xml")
    workspace.setup(sources=[{"name": "spam-source", "type": "feed", "url": site.url("/spam.xml")},
                             {"name": "real-source", "type": "feed", "url": site.url("/real.xml")}],
                    topics=TOPICS, settings={"max_matches_per_crawl": 1})

    flood = workspace.run("crawl", "spam-source")
    assert flood.returncode == 0, flood.stderr
    assert "1 more matching articles than settings.max_matches_per_crawl" in flood.stderr
    assert workspace.run("crawl", "real-source").returncode == 0
    # The real source's copy is stored as the capped article's duplicate, and alerts.
    assert workspace.query(
        "SELECT a.source, a.duplicate_of IS NOT NULL, COUNT(d.id) FROM articles a"
        " JOIN matches m ON m.article_id = a.id LEFT JOIN deliveries d ON d.match_id = m.id"
        " WHERE a.title LIKE '%allies%' GROUP BY a.id ORDER BY a.id") == \
        [("spam-source", 0, 0), ("real-source", 1, 1)]

    result = workspace.run("digest")

    assert result.returncode == 0, result.stderr
    [text_file] = workspace.outbox.glob("daily-*.txt")
    text = text_file.read_text(encoding="utf-8")
    assert text.count("allies to build drones together") == 1  # the story once
    assert "Real: allies to build drones together" in text
    assert "Also reported by: spam-source " + site.url("/news/wire-spam") in text

    # A third outlet's copy: the story has alerted for its topic, so it adds no entry.
    third = Story(slug="wire-third", title="Third: allies to build drones together",
                  paragraphs=WIRE, published=recent(1))
    site.add("/news/wire-third", article_page(third))
    site.add("/third.xml", rss_feed(site.base, [(site.url("/news/wire-third"), third)]),
             content_type="application/rss+xml")
    workspace.setup(sources=[{"name": "spam-source", "type": "feed", "url": site.url("/spam.xml")},
                             {"name": "real-source", "type": "feed", "url": site.url("/real.xml")},
                             {"name": "third-source", "type": "feed",
                              "url": site.url("/third.xml")}],
                    topics=TOPICS, settings={"max_matches_per_crawl": 1})
    assert workspace.run("crawl", "third-source").returncode == 0
    assert workspace.query("SELECT COUNT(*) FROM deliveries WHERE sent_at IS NULL") == [(0,)]


def test_slack_refusing_a_later_message_as_too_big_posts_nothing_twice(
        workspace: Workspace, site: LocalSite, slack: SlackReceiver) -> None:
    setup(workspace, site, {"chat": {"type": "slack", "webhook_url": slack.url, "retries": 0}})
    slack.script(Reply.ok(), Reply(413, "Payload Too Large"))  # message 2 of the split digest

    first = workspace.run("run", "--once")

    assert first.returncode == 0, first.stderr
    assert [r.status for r in slack.requests][:2] == [200, 413]
    posted = [json.dumps(payload, ensure_ascii=False) for payload in slack.accepted]
    titles = [title for payload in posted
              for title in re.findall(r"Joint production offer \d+", payload)]
    assert titles and len(titles) == len(set(titles))  # no entry posted twice
    everything = "".join(posted)
    assert everything.count(REAL_TITLE) == 1
    # What the first message showed is sent; the rest went again, fewer shown, and summarised.
    summarised = CAP - len(titles)
    assert f"and {summarised:,} more from spam-source" in everything
    assert outcomes(workspace, "chat") == {"sent": len(titles) + 1, "summarised": summarised}
    assert workspace.query("SELECT COUNT(*) FROM deliveries WHERE sent_at IS NULL") == [(0,)]
    assert "posted before a refusal" in first.stdout

    posts = len(slack.requests)
    again = workspace.run("run", "--once")

    assert again.returncode == 0, again.stderr
    assert len(slack.requests) == posts


def test_apprise_sends_the_smaller_digest_only_to_the_service_that_refused_it(
        workspace: Workspace, site: LocalSite) -> None:
    with JsonReceiver(size_limits={"/small": 8 * 1024}) as receiver:
        setup(workspace, site, {"team": {"type": "apprise",
                                         "urls": [receiver.url("/roomy"),
                                                  receiver.url("/small")]}})

        first = workspace.run("run", "--once")

        assert first.returncode == 0, first.stderr
        [roomy] = receiver.bodies("/roomy")  # it accepted the first digest: never sent again
        *refused, taken = receiver.bodies("/small")
        assert refused and all(len(r.body) > 8 * 1024 for r in refused)
        assert len(taken.body) <= 8 * 1024
        assert REAL_TITLE in taken.json()["message"] and REAL_TITLE in roomy.json()["message"]
        shown = taken.json()["message"].count("Joint production offer ")
        assert outcomes(workspace, "team") == {"sent": shown + 1, "summarised": CAP - shown}
        too_big = workspace.query(
            "SELECT COUNT(*) FROM attempts WHERE channel='team' AND outcome='too-big'")
        assert too_big == [(len(refused),)]

        again = workspace.run("run", "--once")

        assert again.returncode == 0, again.stderr
        assert len(receiver.received) == len(refused) + 2


def test_apprise_refusing_every_smaller_digest_sends_the_accepting_service_one_copy(
        workspace: Workspace, site: LocalSite) -> None:
    with JsonReceiver(routes={"/full": 413}) as receiver:
        setup(workspace, site, {"team": {"type": "apprise",
                                         "urls": [receiver.url("/ok"), receiver.url("/full")]}})

        first = workspace.run("run", "--once")

        assert first.returncode == 1
        assert len(receiver.bodies("/ok")) == 1
        assert len(receiver.bodies("/full")) > 1  # halved down to the summary alone
        assert outcomes(workspace, "team") == {}  # all pending, nothing rejected
        assert workspace.query("SELECT COUNT(*) FROM deliveries WHERE sent_at IS NULL") == \
            [(CAP + 1,)]
