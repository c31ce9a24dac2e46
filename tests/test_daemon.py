"""`vedette run`: the daemon as users run it, against local servers, with `every 1s`
schedules. Tests wait for deliveries, never for a clock."""

from __future__ import annotations

import os
import signal
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.conftest import SmtpServer, Workspace
from tests.daemon_support import DaemonProcess, wait_for
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite, Route
from vedette.store import Store

TOPICS = [{"name": "Joint production", "any": ["joint production"]}]


def story(slug: str) -> Story:
    return Story(slug=slug, title=f"Joint production story {slug}",
                 paragraphs=[f"Story {slug}: the allies agreed on joint production of shells."],
                 published=recent(0.5))


def publish(site: LocalSite, slugs: list[str]) -> None:
    stories = [story(slug) for slug in slugs]
    for item in stories:
        site.add(f"/news/{item.slug}", article_page(item))
    site.add("/feed.xml", rss_feed(site.base, [(site.url(f"/news/{s.slug}"), s) for s in stories]),
             content_type="application/rss+xml")


def titles(smtp: SmtpServer) -> list[str]:
    found = []
    for message in smtp.messages:
        text = message.get_body(("plain",)).get_content()
        found += [line.split()[-1] for line in text.splitlines()
                  if line.strip().startswith("* Joint production story")]
    return found


def mail(smtp: SmtpServer) -> dict[str, object]:
    return {"type": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
            "from": "v@example.org", "to": ["a@example.org"], "retries": 0, "timeout": "5s"}



def immediate_setup(ws: Workspace, site: LocalSite, smtp: SmtpServer, **settings: object) -> None:
    ws.setup(sources=[{"name": "wire", "type": "feed", "url": site.url("/feed.xml"),
                       "schedule": "every 1s"}],
             topics=TOPICS, channels={"mail": mail(smtp)},
             digests=[{"name": "now", "schedule": "immediate", "channels": ["mail"]}],
             settings=settings or None)


def test_every_new_article_is_delivered_exactly_once_across_cycles(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    publish(site, ["a1"])
    immediate_setup(workspace, site, smtp)
    daemons.append(daemon := DaemonProcess(workspace))

    wait_for(lambda: titles(smtp) == ["a1"], what="first story")
    publish(site, ["a2", "a3", "a1"])
    wait_for(lambda: sorted(titles(smtp)) == ["a1", "a2", "a3"], what="new stories")
    polls = site.requested("/feed.xml")
    wait_for(lambda: site.requested("/feed.xml") >= polls + 3, what="three more cycles")

    assert sorted(titles(smtp)) == ["a1", "a2", "a3"]
    assert daemon.terminate() == 0


def test_sigterm_mid_crawl_exits_0_and_loses_nothing(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    publish(site, ["slow"])
    arrived: list[int] = []

    def slow_page(request: BaseHTTPRequestHandler) -> None:
        arrived.append(1)
        body = article_page(story("slow")).encode()
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        try:
            for start in range(0, len(body), 200):
                request.wfile.write(body[start:start + 200])
                request.wfile.flush()
                import time
                time.sleep(0.05)
        except OSError:
            pass

    site.routes["/news/slow"] = Route(handler=slow_page)
    immediate_setup(workspace, site, smtp)
    daemons.append(daemon := DaemonProcess(workspace))
    wait_for(lambda: arrived, what="the article request")

    os.kill(daemon.pid, signal.SIGTERM)

    assert daemon.terminate() == 0
    if not titles(smtp):  # stopped before delivering: the next start must deliver it
        daemons.append(again := DaemonProcess(workspace))
        wait_for(lambda: titles(smtp) == ["slow"], what="delivery after restart")
        assert again.terminate() == 0
    assert titles(smtp) == ["slow"]


def test_second_instance_is_refused(workspace: Workspace, site: LocalSite, smtp: SmtpServer,
                                    daemons: list[DaemonProcess]) -> None:
    publish(site, ["a1"])
    immediate_setup(workspace, site, smtp)
    daemons.append(daemon := DaemonProcess(workspace))
    wait_for(lambda: titles(smtp), what="the daemon at work")

    second = workspace.run("run", "--once")
    third = DaemonProcess(workspace)

    assert second.returncode == 1
    assert f"in use by pid {daemon.pid}" in second.stderr
    assert third.process.wait(60) == 1
    assert f"in use by pid {daemon.pid}" in third.output()
    assert daemon.terminate() == 0


def test_config_edits_valid_applied_invalid_reported(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    publish(site, ["a1"])
    immediate_setup(workspace, site, smtp)
    daemons.append(daemon := DaemonProcess(workspace))
    wait_for(lambda: titles(smtp) == ["a1"], what="first story")

    workspace.write("keywords.yaml", "topics:\n  - name: Broken\n    any: [unclosed\n")
    wait_for(lambda: "config not reloaded" in daemon.output(), what="the invalid edit reported")
    assert "keywords.yaml:3:10: this '[' is never closed" in daemon.output()
    publish(site, ["a2", "a1"])
    wait_for(lambda: sorted(titles(smtp)) == ["a1", "a2"], what="old config still running")

    workspace.write("keywords.yaml", {"topics": [
        {"name": "Joint production", "any": ["joint production"]},
        {"name": "Shells", "any": ["shells"]}]})
    wait_for(lambda: "config reloaded" in daemon.output(), what="the valid edit applied")
    polls = site.requested("/feed.xml")  # a crawl already under way keeps the old topics
    wait_for(lambda: site.requested("/feed.xml") >= polls + 2, what="a crawl with the new config")
    publish(site, ["a3", "a2", "a1"])
    wait_for(lambda: titles(smtp).count("a3") == 2, what="the new topic matching")

    os.kill(daemon.pid, signal.SIGHUP)
    wait_for(lambda: "SIGHUP: reloading the config" in daemon.output(), what="SIGHUP handled")
    wait_for(lambda: daemon.output().count("config reloaded") == 2, what="the forced reload")
    status = workspace.run("status")
    assert f"in use by pid {daemon.pid}" in status.stdout
    assert "source=wire" in status.stdout and "next run=" in status.stdout
    assert daemon.terminate() == 0


def test_digest_missed_while_down_is_sent_once_at_start(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    publish(site, ["a1"])
    workspace.setup(sources=[{"name": "wire", "type": "feed", "url": site.url("/feed.xml"),
                              "schedule": "0 0 1 1 *"}],
                    topics=TOPICS, channels={"mail": mail(smtp)},
                    digests=[{"name": "hourly", "schedule": "0 * * * *", "channels": ["mail"]}])
    assert workspace.run("crawl").returncode == 0
    # The daemon last sent this digest three days ago: 72 hourly slots were missed.
    workspace.query("INSERT INTO job_runs (job, last_run) VALUES ('digest:hourly', "
                    "datetime('now', '-3 days'))")
    with_commit = workspace.query("SELECT count(*) FROM job_runs")
    assert with_commit == [(1,)]

    daemons.append(daemon := DaemonProcess(workspace))
    wait_for(lambda: titles(smtp) == ["a1"], what="the catch-up digest")
    wait_for(lambda: "digest:hourly is overdue" in daemon.output(), what="the catch-up log line")

    assert daemon.terminate() == 0
    assert len(smtp.messages) == 1


def test_failing_source_one_notice_one_recovery(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    ops = SmtpServer().start()
    try:
        workspace.setup(
            sources=[{"name": "flaky", "type": "feed", "url": site.url("/feed.xml"),
                      "schedule": "every 1s"}],
            topics=TOPICS, channels={"mail": mail(smtp), "ops": mail(ops)},
            digests=[{"name": "now", "schedule": "immediate", "channels": ["mail"]}],
            settings={"health": {"failures": 2, "channel": "ops"}})
        daemons.append(daemon := DaemonProcess(workspace))
        wait_for(lambda: ops.messages, what="the failing notice")
        failing_polls = site.requested("/feed.xml")
        wait_for(lambda: site.requested("/feed.xml") >= failing_polls + 3, what="more failures")
        publish(site, ["back"])
        wait_for(lambda: len(ops.messages) == 2, what="the recovery notice")
        polls = site.requested("/feed.xml")
        wait_for(lambda: site.requested("/feed.xml") >= polls + 3, what="more good crawls")

        subjects = [str(m["Subject"]) for m in ops.messages]
        assert subjects == ["[Vedette] Source failing: flaky", "[Vedette] Source recovered: flaky"]
        assert "Source failing: flaky" in daemon.output()
        assert "HTTP 404" in ops.messages[0].get_body(("plain",)).get_content()
        assert titles(smtp) == ["back"]
        assert daemon.terminate() == 0
        # One error line per failed crawl, however many requests of it failed.
        failed_runs = workspace.query("SELECT count(*) FROM runs WHERE status='failed'"
                                      " AND last_error LIKE '%HTTP 404%'")[0][0]
        error_lines = [line for line in daemon.output().splitlines()
                       if " ERROR " in line and "HTTP 404" in line]
        assert failed_runs >= 2 and len(error_lines) == failed_runs, error_lines
    finally:
        ops.stop()


def test_a_notice_that_fails_unexpectedly_is_one_line_and_the_crawl_job_carries_on(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer, tmp_path: Path,
        daemons: list[DaemonProcess]) -> None:
    """Not every failure of a notice is a DeliveryError: a broken CA bundle named by
    SSL_CERT_FILE makes httpx raise ssl.SSLError before the Slack channel sends anything.
    That notice waits for the next crawl; the job still sends its immediate digest."""
    bundle = tmp_path / "broken-ca-bundle.pem"
    bundle.write_text("not a certificate\n", encoding="utf-8")
    publish(site, ["back"])
    workspace.setup(
        sources=[{"name": "wire", "type": "feed", "url": site.url("/feed.xml"),
                  "schedule": "every 1s"}],
        topics=TOPICS, channels={
            "mail": mail(smtp),
            "ops": {"type": "slack", "webhook_url": "http://127.0.0.1:9/services/T/B/opsToken77",
                    "retries": 0, "timeout": "5s"}},
        digests=[{"name": "now", "schedule": "immediate", "channels": ["mail"]}],
        settings={"health": {"failures": 1, "channel": "ops"}})
    store = Store(workspace.state)
    store.daemon.set_notice("wire", "failing", True)  # so its good crawl owes a "recovered" notice
    store.close()

    daemons.append(daemon := DaemonProcess(workspace, env={"SSL_CERT_FILE": str(bundle)}))

    wait_for(lambda: titles(smtp) == ["back"], what="the immediate digest after the crawl")
    wait_for(lambda: "health notice via ops" in daemon.output(), what="the notice's failure")
    [line, *_] = [x for x in daemon.output().splitlines() if "health notice via ops" in x]
    assert " ERROR " in line and "SSLError" in line and "NO_CERTIFICATE_OR_CRL_FOUND" in line
    assert "Traceback" not in daemon.output()
    assert workspace.query("SELECT kind FROM health_notices") == [("failing",)]  # owed still
    assert daemon.terminate() == 0


def test_overdue_interval_source_is_crawled_soon_after_start(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer,
        daemons: list[DaemonProcess]) -> None:
    publish(site, ["a1"])
    workspace.setup(sources=[{"name": "wire", "type": "feed", "url": site.url("/feed.xml"),
                              "schedule": "every 1h"}],
                    topics=TOPICS, channels={"mail": mail(smtp)},
                    digests=[{"name": "now", "schedule": "immediate", "channels": ["mail"]}])
    Store(workspace.state).close()  # an existing state, with the job's last run in it
    workspace.query("INSERT INTO job_runs (job, last_run) VALUES ('source:wire', "
                    "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-5 hours'))")

    daemons.append(daemon := DaemonProcess(workspace))

    wait_for(lambda: titles(smtp) == ["a1"], what="the overdue crawl")
    assert "source:wire is overdue" in daemon.output()
    assert daemon.terminate() == 0


def test_cron_runs_send_the_same_health_notices_as_the_daemon(
        workspace: Workspace, site: LocalSite, smtp: SmtpServer) -> None:
    # `run --once` takes the daemon's steps after a crawl: a source that died is heard of
    # from cron too, once, and its recovery once.
    ops = SmtpServer().start()
    try:
        workspace.setup(
            sources=[{"name": "flaky", "type": "feed", "url": site.url("/feed.xml")}],
            topics=TOPICS, channels={"mail": mail(smtp), "ops": mail(ops)},
            digests=[{"name": "now", "schedule": "immediate", "channels": ["mail"]}],
            settings={"health": {"failures": 2, "channel": "ops"}})
        runs = [workspace.run("run", "--once") for _ in range(3)]
        publish(site, ["back"])
        recovered = workspace.run("run", "--once")

        assert [r.returncode for r in runs] == [1, 1, 1], runs[0].stderr
        assert recovered.returncode == 0, recovered.stderr
        subjects = [str(m["Subject"]) for m in ops.messages]
        assert subjects == ["[Vedette] Source failing: flaky", "[Vedette] Source recovered: flaky"]
        assert titles(smtp) == ["back"]
    finally:
        ops.stop()
