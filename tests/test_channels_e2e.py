"""Channels end to end through the CLI: independent channels, empty digests, previews."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SmtpServer, Workspace
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite
from tests.support.slack_receiver import Reply, SlackReceiver

TOPICS = [{"name": "Joint production", "any": ["joint production"]}]


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    with SlackReceiver() as receiver:
        yield receiver


def one_story(site: LocalSite, slug: str = "s1", title: str = "Joint production agreed") -> None:
    story = Story(slug=slug, title=title, published=recent(1),
                  paragraphs=["The allies agreed on joint production of drones."])
    site.add(f"/news/{slug}", article_page(story))
    site.add("/feed.xml", rss_feed(site.base, [(site.url(f"/news/{slug}"), story)]),
             content_type="application/rss+xml")


def mail(smtp: SmtpServer) -> dict[str, object]:
    return {"type": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
            "from": "v@example.org", "to": ["a@example.org"], "retries": 0}


def test_email_accepted_slack_down_only_slack_is_retried(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer, slack: SlackReceiver) -> None:
    one_story(site)
    workspace.setup(
        sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}], topics=TOPICS,
        channels={"mail": mail(smtp),
                  "ops-slack": {"type": "slack", "webhook_url": slack.url, "retries": 0}},
        digests=[{"name": "daily", "schedule": "0 7 * * *", "channels": ["mail", "ops-slack"]}])
    slack.script(Reply.error(503, "service_unavailable"))

    first = workspace.run("run", "--once")

    assert first.returncode == 1
    assert "digest daily via ops-slack" in first.stderr and slack.url not in first.stderr
    assert len(smtp.messages) == 1 and slack.accepted == []

    second = workspace.run("run", "--once")

    assert second.returncode == 0, second.stderr
    assert len(smtp.messages) == 1  # no second email
    [payload] = slack.accepted
    assert "Joint production agreed" in json.dumps(payload, ensure_ascii=False)
    assert workspace.query("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == [(0,)]
    third = workspace.run("run", "--once")
    assert third.returncode == 0 and len(smtp.messages) == 1 and len(slack.accepted) == 1


def test_slack_answering_200_with_a_page_keeps_the_delivery_pending(
        workspace: Workspace, site: LocalSite, slack: SlackReceiver) -> None:
    """A proxy or a wrong URL answering 200 with its own page is no delivery: the run fails
    and the next run posts the same match to Slack."""
    one_story(site)
    workspace.setup(
        sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}], topics=TOPICS,
        channels={"ops-slack": {"type": "slack", "webhook_url": slack.url, "retries": 0}},
        digests=[{"name": "daily", "schedule": "0 7 * * *", "channels": ["ops-slack"]}])
    slack.script(Reply(200, "<html><title>Proxy sign-in</title></html>"))

    first = workspace.run("run", "--once")

    assert first.returncode == 1
    assert "answered 200 with '<html><title>Proxy sign-in</title></html>' instead of " \
           "Slack's 'ok'" in first.stderr and slack.url not in first.stderr
    assert workspace.query("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == [(1,)]

    second = workspace.run("run", "--once")

    assert second.returncode == 0, second.stderr
    assert workspace.query("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == [(0,)]
    # The same digest both times, but for the clock in it (the runs may straddle a minute).
    first_post, second_post = (re.sub(r"\d\d:\d\d(:\d\d)?", "HH:MM", json.dumps(r.payload))
                               for r in slack.requests)
    assert first_post == second_post and "Joint production agreed" in second_post


@pytest.mark.parametrize("send_empty", [False, True])
def test_empty_digest_sends_nothing_unless_asked(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer, send_empty: bool) -> None:
    one_story(site, title="Budget debate")
    workspace.setup(
        sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
        topics=[{"name": "Air defence", "any": ["air defence"]}],
        channels={"mail": mail(smtp)},
        digests=[{"name": "daily", "schedule": "0 7 * * *", "channels": ["mail"],
                  "send_empty": send_empty}])

    result = workspace.run("run", "--once")

    assert result.returncode == 0, result.stderr
    if send_empty:
        [message] = smtp.messages
        assert "No new matches" in str(message["Subject"])
    else:
        assert smtp.messages == []
        assert "daily via mail: nothing pending" in result.stdout


def test_preview_is_the_html_that_is_sent(workspace: Workspace, site: LocalSite,
                                         smtp: SmtpServer, tmp_path: Path) -> None:
    one_story(site)
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=TOPICS, channels={"mail": mail(smtp)})
    assert workspace.run("crawl").returncode == 0
    preview = tmp_path / "preview.html"

    assert workspace.run("digest", "daily", "--preview", str(preview)).returncode == 0
    assert workspace.run("digest", "daily").returncode == 0

    sent = smtp.messages[0].get_body(("html",)).get_content().replace("\r\n", "\n")
    generated = re.compile(r"generated \d{4}-\d\d-\d\d \d\d:\d\d \w+")
    assert generated.sub("", preview.read_text(encoding="utf-8")).strip() == \
        generated.sub("", sent).strip()


def test_a_full_mailbox_keeps_the_digest_pending_for_the_next_run(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    one_story(site)
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=TOPICS, channels={"mail": mail(smtp)},
                    digests=[{"name": "daily", "schedule": "0 7 * * *", "channels": ["mail"]}])
    smtp.handler.refuse_rcpt = "552 5.2.2 Mailbox full"

    first = workspace.run("run", "--once")

    assert first.returncode == 1
    assert "refused every recipient for now: a@example.org (552 5.2.2 Mailbox full)" \
        in first.stderr
    assert workspace.query("SELECT COUNT(*) FROM channel_sends") == [(0,)]  # not rejected
    assert workspace.query("SELECT COUNT(*) FROM deliveries WHERE sent_at IS NULL") == [(1,)]

    smtp.handler.refuse_rcpt = None  # the mailbox was emptied
    second = workspace.run("run", "--once")

    assert second.returncode == 0, second.stderr
    [message] = smtp.messages
    assert "Joint production agreed" in str(message.get_body(("plain",)).get_content())
    assert workspace.query("SELECT COUNT(*) FROM deliveries WHERE sent_at IS NULL") == [(0,)]
