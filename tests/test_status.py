"""`vedette status` as monitoring uses it: exit 1 when a source is failing or stale or a
delivery is stuck, 0 when healthy; `--json`; times in the configured timezone; next runs
from the schedules without a daemon. And a failing source is reported once per run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import SmtpServer, Workspace
from tests.support.pages import one_story_site
from tests.support.site import LocalSite

TOPICS = [{"name": "Joint production", "any": ["joint production"]}]


def status_json(workspace: Workspace) -> tuple[int, dict[str, Any]]:
    result = workspace.run("status", "--json")
    return result.returncode, json.loads(result.stdout)


def test_before_any_run_status_is_healthy_creates_nothing_and_shows_next_runs(
        workspace: Workspace) -> None:
    workspace.setup(
        sources=[{"name": "hourly", "type": "feed", "url": "https://example.org/rss",
                  "schedule": "15 * * * *"},
                 {"name": "often", "type": "feed", "url": "https://example.org/rss2",
                  "schedule": "every 10m"}],
        topics=TOPICS, settings={"timezone": "Asia/Kolkata"})

    text = workspace.run("status")
    code, found = status_json(workspace)

    assert text.returncode == 0 and code == 0, text.stderr
    assert not workspace.state.exists() and not workspace.state.parent.exists()
    assert "not created yet" in text.stdout and "times in Asia/Kolkata" in text.stdout
    assert found["healthy"] is True and found["timezone"] == "Asia/Kolkata"
    hourly, often = found["sources"]
    assert hourly["health"] == "never crawled" and hourly["last_run"] is None
    fire = datetime.fromisoformat(hourly["next_run"])
    assert fire.utcoffset() == timedelta(hours=5, minutes=30) and fire.minute == 15
    assert fire - datetime.now(UTC) <= timedelta(hours=1)
    assert datetime.fromisoformat(often["next_run"]) <= datetime.now(UTC)  # never ran: due now
    [digest] = found["digests"]
    assert datetime.fromisoformat(digest["next_run"]).astimezone(UTC) > datetime.now(UTC)


def test_a_failing_source_makes_status_exit_1_until_it_recovers(
        workspace: Workspace, site: LocalSite) -> None:
    one_story_site(site)
    workspace.setup(sources=[{"name": "good", "type": "feed", "url": site.url("/feed.xml")},
                             {"name": "flaky", "type": "feed", "url": site.url("/flaky.xml")}],
                    topics=TOPICS, settings={"health": {"failures": 2},
                                             "timezone": "Europe/Kyiv"})
    workspace.run("crawl")
    assert workspace.run("status").returncode == 0  # one failure is not yet "failing"
    workspace.run("crawl")

    text = workspace.run("status")
    code, found = status_json(workspace)

    assert text.returncode == 1 and code == 1
    [problem] = text.stderr.splitlines()
    assert problem == ("error: source flaky: failing: 2 crawls in a row failed; "
                       f"last error: {site.url('/flaky.xml')}: HTTP 404")
    assert found["healthy"] is False and found["problems"] == [problem.removeprefix("error: ")]
    good, flaky = found["sources"]
    assert good["health"] == "ok" and flaky["health"] == "failing"
    assert flaky["consecutive_failures"] == 2
    started = datetime.fromisoformat(flaky["last_run"]["started_at"])
    assert started.tzinfo is not None and started.utcoffset() in (timedelta(hours=2),
                                                                  timedelta(hours=3))

    site.add("/flaky.xml", site.routes["/feed.xml"].body, content_type="application/rss+xml")
    workspace.run("crawl")
    assert workspace.run("status").returncode == 0


def test_a_source_with_nothing_new_for_too_long_is_stale(
        workspace: Workspace, site: LocalSite) -> None:
    one_story_site(site)
    workspace.setup(sources=[{"name": "quiet", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=TOPICS, settings={"health": {"stale": "3d"}})
    assert workspace.run("crawl").returncode == 0
    long_ago = (datetime.now(UTC) - timedelta(days=4)).isoformat(timespec="seconds")
    workspace.query("UPDATE runs SET started_at=?", long_ago)
    assert workspace.run("crawl").returncode == 0  # crawled fine, nothing new

    result = workspace.run("status")

    assert result.returncode == 1
    assert result.stderr.startswith("error: source quiet: stale: no new item since ")


def test_a_delivery_still_pending_after_its_retries_makes_status_exit_1(
        workspace: Workspace, site: LocalSite) -> None:
    one_story_site(site)
    smtp = SmtpServer()  # not started yet: the first sends are refused
    workspace.setup(
        sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}], topics=TOPICS,
        channels={"mail": {"type": "email", "host": "127.0.0.1", "port": smtp.port,
                           "security": "none", "from": "v@example.org",
                           "to": ["a@example.org"], "retries": 1}})
    assert workspace.run("run", "--once").returncode == 1

    stuck = workspace.run("status")
    code, found = status_json(workspace)
    smtp.start()
    try:
        assert workspace.run("digest").returncode == 0
        healthy = workspace.run("status")
    finally:
        smtp.stop()

    assert stuck.returncode == 1 and code == 1
    assert stuck.stderr.startswith("error: digest daily via mail: 1 pending; the last attempt "
                                   "(failed, ")
    [channel] = found["digests"][0]["channels"]
    assert channel["pending"] == 1 and channel["last_attempt"]["outcome"] == "failed"
    assert healthy.returncode == 0, healthy.stderr
    assert "pending=0" in healthy.stdout and len(smtp.messages) == 1


def test_a_failing_source_is_reported_in_one_line(workspace: Workspace) -> None:
    workspace.setup(sources=[{"name": "dead", "type": "feed",
                              "url": "http://127.0.0.1:9/feed.xml"}], topics=TOPICS)

    result = workspace.run("crawl")
    json_lines = workspace.run("--log-format", "json", "crawl")

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: source dead: http://127.0.0.1:9/feed.xml: Connection was refused by other "
        "side: 111: Connection refused."]
    [record] = [json.loads(line) for line in json_lines.stderr.splitlines()]
    assert record["level"] == "error" and record["message"].startswith("source dead: ")
