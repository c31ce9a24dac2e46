"""What the running daemon does with a hostile or emptied config (RELIABILITY 38, 39): it
refuses the reload in one log line per problem and goes on with the config it has. And with
a valid one: the secrets it brings are kept out of the log like those read at start."""

from __future__ import annotations

import asyncio
import gc
import shutil
import threading
import weakref
from http.server import BaseHTTPRequestHandler

from tests.conftest import SmtpServer, Workspace
from tests.daemon_support import DaemonProcess, wait_for
from tests.support.pages import article_page, rss_feed
from tests.support.site import LocalSite, Route
from tests.support.slack_receiver import SlackReceiver
from tests.test_config_hostile import BOMB
from tests.test_daemon import TOPICS, immediate_setup, mail, publish, story, titles
from vedette.config import load_config
from vedette.matching.engine import Matcher
from vedette.scheduler import Daemon

DAEMON_MEMORY = 3 * 1024**3
"""The daemon's address space: ample for its work (Scrapy, threads), while expanding the
bomb would need far more, so a regression fails the test instead of filling the machine."""



def refusals(daemon: DaemonProcess) -> list[str]:
    return [line for line in daemon.output().splitlines() if "config not reloaded" in line]


def test_alias_bomb_written_while_running_is_one_line_and_the_old_config_runs_on(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    publish(site, ["a1"])
    immediate_setup(workspace, site, smtp)
    daemons.append(daemon := DaemonProcess(workspace, memory_limit=DAEMON_MEMORY))
    wait_for(lambda: titles(smtp) == ["a1"], what="first story")

    shutil.copy(BOMB, workspace.config / "keywords.yaml")

    wait_for(lambda: refusals(daemon), what="the bomb reported")
    publish(site, ["a2", "a1"])
    wait_for(lambda: sorted(titles(smtp)) == ["a1", "a2"], what="the old config still running")
    [line] = refusals(daemon)
    assert line.endswith(
        f"config not reloaded: {workspace.config / 'keywords.yaml'}:15:20: topics[5].any[1]: "
        "with the 66,430 values this alias repeats, the file would hold more than 200,000 "
        "values (a YAML alias bomb?): repeat fewer or smaller values")
    assert "Traceback" not in daemon.output()
    assert daemon.terminate() == 0


def test_emptied_topics_or_sources_are_kept_unless_the_file_says_so(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    publish(site, ["a1"])
    immediate_setup(workspace, site, smtp)
    daemons.append(daemon := DaemonProcess(workspace))
    wait_for(lambda: titles(smtp) == ["a1"], what="first story")
    keywords, sources = workspace.config / "keywords.yaml", workspace.config / "sources.yaml"

    keywords.write_text("", encoding="utf-8")  # `> keywords.yaml`, a half-done save

    wait_for(lambda: refusals(daemon), what="the emptied keywords.yaml refused")
    assert refusals(daemon)[0].endswith(
        f"config not reloaded: {keywords}: topics: no topics any more (no file says `topics:`), "
        "so the daemon keeps its 1 topic: an emptied or half-saved file looks like this. To "
        "run without topics, write `topics: []`")
    publish(site, ["a2", "a1"])
    wait_for(lambda: sorted(titles(smtp)) == ["a1", "a2"], what="the old topics still matching")

    sources.write_text("# every source moved to another folder\n", encoding="utf-8")

    wait_for(lambda: any(f"{sources}: sources: no sources any more" in line
                         for line in refusals(daemon)), what="the emptied sources.yaml refused")
    assert "config reloaded" not in daemon.output()

    keywords.write_text("topics: []\n", encoding="utf-8")
    sources.write_text("sources: []\n", encoding="utf-8")

    wait_for(lambda: "config reloaded: 0 sources" in daemon.output(), what="the explicit form")
    assert "unscheduled source:wire" in daemon.output()
    assert daemon.terminate() == 0


def test_secrets_a_reload_adds_are_redacted_from_the_log(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    """A channel added while running brings a secret the daemon did not know at start: at
    -vv httpx logs every request's URL, which for Slack is the webhook URL itself."""
    publish(site, ["a1"])
    immediate_setup(workspace, site, smtp)
    daemons.append(daemon := DaemonProcess(workspace, "-v"))  # -vv: httpx's request lines
    wait_for(lambda: titles(smtp) == ["a1"], what="first story")

    with SlackReceiver() as slack:
        workspace.write("alerts.yaml", {
            "channels": {"mail": mail(smtp),
                         "team-slack": {"type": "slack", "webhook_url": slack.url,
                                        "retries": 0, "timeout": "5s"}},
            "digests": [{"name": "now", "schedule": "immediate",
                         "channels": ["mail", "team-slack"]}]})
        wait_for(lambda: "config reloaded" in daemon.output(), what="the new channel")
        publish(site, ["a2", "a1"])
        wait_for(lambda: slack.accepted, what="the next story posted to the new channel")
        wait_for(lambda: "HTTP Request: POST" in daemon.output(), what="httpx's request line")
        assert daemon.terminate() == 0

    token = slack.path.rsplit("/", 1)[1]
    assert token not in daemon.output()
    assert "HTTP Request: POST *** " in daemon.output()


def test_replaced_configs_leave_no_worker_pool_or_matcher_behind(workspace: Workspace) -> None:
    """Each reload builds a worker pool with its own compiled topics (in this process, with
    `extraction_workers: 1`); while it runs, the daemon keeps only the current ones."""
    workspace.setup(sources=[], topics=topics(0))  # no source: nothing crawls meanwhile

    async def reload_three_times() -> tuple[list[bool], int]:
        daemon = Daemon(load_config(workspace.config))
        await daemon.start()
        try:
            gc.collect()
            matchers = live(Matcher)
            pools = [weakref.ref(daemon.context.cpu)]
            for version in (1, 2, 3):
                workspace.write("keywords.yaml", {"topics": topics(version)})
                await daemon.reload_if_changed(force=True)
                pools.append(weakref.ref(daemon.context.cpu))
            gc.collect()
            return [pool() is None for pool in pools], live(Matcher) - matchers
        finally:
            await daemon.stop()

    gone, more_matchers = asyncio.run(reload_three_times())

    assert gone == [True, True, True, False]
    assert more_matchers == 0  # the current config's matcher took the first one's place


def topics(version: int) -> list[dict[str, object]]:
    return [{"name": f"Topic {version}", "any": [f"term{version}"]}]


def live(kind: type) -> int:
    return sum(isinstance(thing, kind) for thing in gc.get_objects())


def test_a_replaced_pool_is_closed_when_its_last_crawl_ends(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    """A crawl under way finishes with the config (and worker pool) it started with; other
    replaced pools are closed meanwhile, not only once no crawl at all is running."""
    publish(site, ["a1"])
    arrived, release = threading.Event(), threading.Event()

    def held_page(request: BaseHTTPRequestHandler) -> None:
        arrived.set()
        release.wait(60)
        body = article_page(story("slow")).encode()
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    site.add("/slow.xml", rss_feed(site.base, [(site.url("/news/slow"), story("slow"))]),
             content_type="application/rss+xml")
    site.routes["/news/slow"] = Route(handler=held_page)
    immediate_setup(workspace, site, smtp, request_timeout="90s")
    workspace.write("sources.yaml", {"sources": [
        {"name": "wire", "type": "feed", "url": site.url("/feed.xml"), "schedule": "every 1s"},
        {"name": "slow", "type": "feed", "url": site.url("/slow.xml"), "schedule": "every 1s"}]})
    daemons.append(daemon := DaemonProcess(workspace))
    closed = "closed the worker pool of a replaced config"
    try:
        wait_for(arrived.is_set, what="the slow crawl under way")
        for version, term in enumerate(["shells", "drones"], 1):
            workspace.write("keywords.yaml", {"topics": [*TOPICS, {"name": term, "any": [term]}]})
            wait_for(lambda v=version: daemon.output().count("config reloaded") == v,
                     what=f"reload {version}")

        # The second config served only `wire`'s short crawls: closed while `slow` runs on.
        wait_for(lambda: daemon.output().count(closed) == 1, what="the second pool closed")
        assert not release.is_set()
    finally:
        release.set()
    wait_for(lambda: "slow" in titles(smtp), what="the slow crawl's match, with its own pool")
    wait_for(lambda: daemon.output().count(closed) == 2, what="the first pool closed")
    assert "Traceback" not in daemon.output()
    assert daemon.terminate() == 0
