"""An offline tour: serve the sample site on 127.0.0.1, catch email in a local SMTP sink,
run the real pipeline (crawl, match, store, digest) into it and a file channel, and say
where to look. Everything it starts, it stops."""

from __future__ import annotations

import email.policy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from aiosmtpd.controller import Controller

from vedette import jobs, reactor
from vedette.app import App
from vedette.config import load_config
from vedette.demo.pages import Story, article_page, recent, rss_feed
from vedette.demo.site import LocalSite
from vedette.output import Output


class MailSink:
    """An SMTP server on 127.0.0.1 that files every message it receives as an .eml file."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.received: list[Path] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        path = self.folder / f"digest-{len(self.received) + 1}.eml"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        path.write_bytes(message.as_bytes())
        self.received.append(path)
        return "250 OK"


def _publish(site: LocalSite, outlets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sources = []
    for outlet in outlets:
        items = []
        for entry in outlet["stories"]:
            story = Story(slug=entry["slug"], title=entry["title"], summary=entry["summary"],
                          paragraphs=entry["paragraphs"], sidebar=entry.get("sidebar", ()),
                          published=recent(entry["hours_ago"]), lang=outlet["lang"])
            path = f"/{outlet['name']}/{entry['slug']}"
            site.add(path, article_page(story, padding_paragraphs=0))
            items.append((site.url(path), story))
        site.add(f"/{outlet['name']}/feed.xml", rss_feed(site.base, items, outlet["title"]),
                 content_type="application/rss+xml")
        sources.append({"name": outlet["name"], "type": "feed",
                        "url": site.url(f"/{outlet['name']}/feed.xml")})
    return sources


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_demo(folder: Path, out: Output) -> int:
    sample = yaml.safe_load(resources.files("vedette.demo").joinpath("stories.yaml").read_text(
        encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    site = LocalSite().start()
    sink = MailSink(folder / "mail", _free_port())
    sink.controller.start()
    try:
        config_dir = folder / "config"
        config_dir.mkdir(exist_ok=True)
        (config_dir / "demo.yaml").write_text(yaml.safe_dump({
            "settings": {"state": "../state/vedette.db", "extraction_workers": 1,
                         "timezone": "Europe/Kyiv"},
            "sources": _publish(site, sample["outlets"]),
            "topics": sample["topics"],
            "channels": {
                "demo-mail": {"type": "email", "host": "127.0.0.1",
                              "port": sink.controller.port, "security": "none",
                              "from": "Vedette demo <vedette@localhost>",
                              "to": ["analyst@localhost"], "retries": 0, "timeout": "20s"},
                "archive": {"type": "file", "directory": "../outbox"},
            },
            "digests": [{"name": "demo", "schedule": "immediate",
                         "channels": ["demo-mail", "archive"]}],
        }, allow_unicode=True, sort_keys=False), encoding="utf-8")
        config = load_config(config_dir)
        app = App(config)
        report = jobs.Report()
        reactor.run(lambda: jobs.run_once(app, report))
    finally:
        sink.controller.stop()
        site.stop()
    for crawl in report.crawls:
        if crawl.run is not None:
            out.line(f"crawled {crawl.source}: {crawl.run.new_articles} articles, "
                     f"{crawl.run.matches} matches")
    for failure in report.failures:
        out.error(failure)
    pages = sorted((folder / "outbox").glob("demo-*.html"))
    out.line("")
    out.line(f"The digest as a web page: {pages[-1] if pages else '(none written)'}")
    out.line(f"The digest as email:      {sink.received[-1] if sink.received else '(none received)'}")
    out.line(f"The config that made it:  {config_dir / 'demo.yaml'}")
    out.line(f"Everything is in {folder}; nothing is left running. Delete it when done.")
    return 1 if report.failures or not pages else 0


