"""What the running daemon does with a hostile or emptied config (RELIABILITY 38, 39): it
refuses the reload in one log line per problem and goes on with the config it has. And with
a valid one: the secrets it brings are kept out of the log like those read at start."""

from __future__ import annotations

import shutil

from tests.conftest import SmtpServer, Workspace
from tests.daemon_support import DaemonProcess, wait_for
from tests.support.site import LocalSite
from tests.support.slack_receiver import SlackReceiver
from tests.test_config_hostile import BOMB
from tests.test_daemon import immediate_setup, mail, publish, titles

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
