"""End to end: a local site with feeds and article pages → `vedette` → emails and files."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import SmtpServer, Workspace, free_port
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite

TOPICS = [
    {"name": "Joint production", "any": ["joint production"]},
    {"name": "Long-range drones", "any": ["long-range drones", "long-range drone"]},
]

LOI = Story(
    slug="ua-lt-loi",
    title="Ukraine and Lithuania sign letter of intent",
    paragraphs=[
        "Kyiv and Vilnius agreed on Monday to deepen defence industrial cooperation.",
        "The two governments signed a letter of intent on joint production of long-range "
        "drones, officials said.",
        "The first systems are expected next year.",
    ],
    published=recent(2),
    summary="Defence ministers met in Vilnius.",
)
OTHER = Story(
    slug="budget",
    title="Parliament debates budget",
    paragraphs=["The budget debate continued late into the night.",
                "No agreement was reached on pensions."],
    published=recent(3),
    summary="Budget talks go on.",
    sidebar=["Joint production deal for long-range drones announced"],
    footer="Partners: the joint production of long-range drones consortium.",
)


def publish(site: LocalSite, feed_path: str, stories: list[Story], *,
            tracking: str = "", padding: int = 3) -> None:
    items = []
    for story in stories:
        site.add(f"/news/{story.slug}", article_page(story, padding))
        items.append((site.url(f"/news/{story.slug}{tracking}"), story))
    site.add(feed_path, rss_feed(site.base, items), content_type="application/rss+xml")


def email_setup(ws: Workspace, site: LocalSite, smtp: SmtpServer,
                feeds: dict[str, str], **extra: Any) -> None:
    ws.setup(
        sources=[{"name": name, "type": "feed", "url": site.url(path)} for name, path in feeds.items()],
        topics=TOPICS,
        channels={"mail": {"type": "email", "host": "127.0.0.1", "port": smtp.port,
                           "security": "none", "from": "Vedette <v@example.org>",
                           "to": ["analyst@example.org"], "retries": 0, "timeout": "5s"}},
        **extra,
    )


def test_story_reaches_the_analyst_once_with_the_sentence(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    publish(site, "/feed.xml", [LOI, OTHER])
    email_setup(workspace, site, smtp, {"example": "/feed.xml"})

    result = workspace.run("run", "--once")

    assert result.returncode == 0, result.stderr
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Ukraine and Lithuania sign letter of intent" in text
    assert "joint production of long-range" in text.replace("**", "").replace("\n", " ")
    assert site.url("/news/ua-lt-loi") in html
    assert "Joint production" in message["Subject"]
    # The budget story's only mentions are in its sidebar and footer: no match.
    assert "Parliament debates budget" not in text
    assert workspace.query("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == [(0,)]


def test_same_story_in_two_feeds_with_tracking_parameters_is_delivered_once(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    publish(site, "/a.xml", [LOI], tracking="?utm_source=rss&utm_medium=feed")
    publish(site, "/b.xml", [LOI], tracking="?fbclid=abc123#comments")
    email_setup(workspace, site, smtp, {"feed-a": "/a.xml", "feed-b": "/b.xml"})

    result = workspace.run("run", "--once")

    assert result.returncode == 0, result.stderr
    assert workspace.query("SELECT count(*) FROM articles") == [(1,)]
    assert len(smtp.messages) == 1
    body = smtp.messages[0].get_body(("plain",)).get_content()
    assert body.count("Ukraine and Lithuania sign letter of intent") == 2  # once per topic
    assert "utm_source" not in body and "fbclid" not in body


def test_second_run_sends_nothing_and_fetches_no_article(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    publish(site, "/feed.xml", [LOI, OTHER])
    email_setup(workspace, site, smtp, {"example": "/feed.xml"})
    assert workspace.run("run", "--once").returncode == 0
    fetched = site.article_requests()

    result = workspace.run("run", "--once")

    assert result.returncode == 0, result.stderr
    assert len(smtp.messages) == 1
    assert site.article_requests() == fetched  # known items are skipped without a request


def test_new_article_alone_is_sent_next_time(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    publish(site, "/feed.xml", [LOI])
    email_setup(workspace, site, smtp, {"example": "/feed.xml"})
    assert workspace.run("run", "--once").returncode == 0
    fresh = Story(slug="new-uav", title="Factory for long-range drones opens",
                  paragraphs=["A new plant will build long-range drones for the army."],
                  published=recent(0.5))
    publish(site, "/feed.xml", [fresh, LOI])

    result = workspace.run("run", "--once")

    assert result.returncode == 0, result.stderr
    assert len(smtp.messages) == 2
    second = smtp.messages[1].get_body(("plain",)).get_content()
    assert "Factory for long-range drones opens" in second
    assert "letter of intent" not in second


def test_dead_source_fails_alone(workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    publish(site, "/feed.xml", [LOI])
    email_setup(workspace, site, smtp, {"alive": "/feed.xml", "dead": "/missing.xml"})
    dead_url = f"http://127.0.0.1:{free_port()}/feed.xml"  # nothing listens there
    workspace.write("sources.yaml", {"sources": [
        {"name": "alive", "type": "feed", "url": site.url("/feed.xml")},
        {"name": "gone", "type": "feed", "url": site.url("/missing.xml")},
        {"name": "down", "type": "feed", "url": dead_url},
    ]})

    result = workspace.run("run", "--once")

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert any("source gone" in line and "404" in line for line in errors), result.stderr
    assert any("source down" in line for line in errors), result.stderr
    assert len(smtp.messages) == 1
    status = workspace.query("SELECT source, status FROM runs ORDER BY source")
    assert status == [("alive", "ok"), ("down", "failed"), ("gone", "failed")]


def test_smtp_down_loses_nothing(workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    publish(site, "/feed.xml", [LOI])
    email_setup(workspace, site, smtp, {"example": "/feed.xml"})
    port = smtp.port
    smtp.stop()

    first = workspace.run("run", "--once")

    assert first.returncode == 1
    assert "digest daily via mail" in first.stderr
    assert workspace.query("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == [(2,)]
    status = workspace.run("status")
    assert "channel=mail  pending=2  last attempt=failed" in status.stdout, status.stdout
    revived = SmtpServer(port).start()
    try:
        second = workspace.run("run", "--once")
        assert second.returncode == 0, second.stderr
        assert len(revived.messages) == 1
        assert "letter of intent" in revived.messages[0].get_body(("plain",)).get_content()
    finally:
        revived.stop()


def test_unreachable_page_falls_back_to_feed_text(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    story = Story(slug="gone", title="Joint production of shells agreed", paragraphs=["x"],
                  published=recent(1), summary="Deal on joint production signed.")
    publish(site, "/feed.xml", [story])
    site.routes.pop("/news/gone")
    email_setup(workspace, site, smtp, {"example": "/feed.xml"})

    result = workspace.run("run", "--once")

    assert result.returncode == 0, result.stderr
    assert workspace.query("SELECT text_source FROM articles") == [("feed",)]
    assert workspace.query("SELECT fallbacks FROM runs") == [(1,)]
    assert len(smtp.messages) == 1


def test_items_older_than_max_age_are_stored_not_alerted(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    old = Story(slug="old", title="Old joint production story", paragraphs=["joint production"],
                published=recent(24 * 30))
    publish(site, "/feed.xml", [old, LOI])
    email_setup(workspace, site, smtp, {"example": "/feed.xml"})

    assert workspace.run("run", "--once").returncode == 0

    assert workspace.query("SELECT alertable FROM articles ORDER BY alertable") == [(0,), (1,)]
    assert site.requested("/news/old") == 0
    assert "Old joint production story" not in smtp.messages[0].get_body(("plain",)).get_content()


def test_file_channel_writes_the_machine_readable_digest(
        workspace: Workspace, site: LocalSite) -> None:
    publish(site, "/feed.xml", [LOI])
    workspace.setup(sources=[{"name": "example", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=TOPICS)

    result = workspace.run("run", "--once")

    assert result.returncode == 0, result.stderr
    [data_file] = workspace.outbox.glob("daily-*.json")
    data = json.loads(data_file.read_text(encoding="utf-8"))
    assert data["digest"] == "daily"
    assert {m["topic"] for m in data["matches"]} == {"Joint production", "Long-range drones"}
    match = data["matches"][0]
    assert set(match) >= {"topic", "topic_id", "url", "title", "source", "published", "terms",
                          "snippet"}
    assert match["url"] == site.url("/news/ua-lt-loi")
    assert len(list(workspace.outbox.glob("daily-*.html"))) == 1
    assert len(list(workspace.outbox.glob("daily-*.txt"))) == 1


@pytest.mark.parametrize("title", [
    "<script>alert('x')</script> joint production",
    "Joint production\r\nBcc: victim@example.org",
])
def test_hostile_titles_stay_data(workspace: Workspace, site: LocalSite, smtp: SmtpServer,
                                  title: str) -> None:
    story = Story(slug="hostile", title=title, paragraphs=["They agreed on joint production."],
                  published=recent(1))
    publish(site, "/feed.xml", [story])
    email_setup(workspace, site, smtp, {"example": "/feed.xml"})

    assert workspace.run("run", "--once").returncode == 0, "run failed"

    [message] = smtp.messages
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]


def test_robots_txt_is_obeyed(workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    publish(site, "/feed.xml", [LOI])
    site.add("/robots.txt", "User-agent: *\nDisallow: /news/\n", content_type="text/plain")
    email_setup(workspace, site, smtp, {"example": "/feed.xml"})

    result = workspace.run("run", "--once")

    assert result.returncode == 0, result.stderr
    assert site.requested("/news/ua-lt-loi") == 0
    assert workspace.query("SELECT text_source FROM articles") == [("feed",)]
