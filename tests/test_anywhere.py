"""Vedette runs the same from anywhere (RELIABILITY 45): installed from a wheel, started from
an unrelated directory as cron and systemd start it, with the same stored matches and the
same email as from the checkout; and a crawl that ran without Vedette's own Scrapy parts is
a failure, never a silent success."""

from __future__ import annotations

import os
import re
import shutil
import site as site_module
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, SmtpServer, Workspace
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite

TOPICS = [
    {"name": "Joint production", "any": ["joint production"]},
    {"name": "Long-range drones", "any": ["long-range drones"]},
]
# What the build must never copy from a working tree into a wheel.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".ruff_cache", ".mypy_cache", "state", "outbox")


def news_site(site: LocalSite) -> None:
    stories = [
        Story(slug="ua-lt", title="Ukraine and Lithuania to build drones together",
              paragraphs=["Ukraine and Lithuania signed a letter of intent on joint production "
                          "of long-range drones on Tuesday.",
                          "The ministers did not say where the plant would be."],
              published=recent(1), sidebar=["Parliament debates the budget"]),
        Story(slug="budget", title="Parliament debates the budget",
              paragraphs=["The debate on next year's budget went on late into the night."],
              published=recent(2)),
    ]
    for story in stories:
        site.add(f"/news/{story.slug}", article_page(story))
    site.add("/feed.xml", rss_feed(site.base, [(site.url(f"/news/{s.slug}"), s) for s in stories]),
             content_type="application/rss+xml")


def write_config(folder: Path, site: LocalSite, smtp: SmtpServer) -> None:
    """A config whose paths are relative to its folder, as `vedette init` writes them."""
    folder.mkdir(parents=True)
    (folder / "vedette.yaml").write_text(yaml.safe_dump({
        "settings": {"state": "../state/vedette.db", "extraction_workers": 1,
                     "request_timeout": "5s", "timezone": "Europe/Vilnius"},
        "sources": [{"name": "wire", "type": "feed", "url": site.url("/feed.xml")}],
        "topics": TOPICS,
        "channels": {
            "mail": {"type": "email", "host": "127.0.0.1", "port": smtp.port,
                     "security": "none", "from": "vedette@example.org",
                     "to": ["analyst@example.org"], "retries": 0},
            "archive": {"type": "file", "directory": "../outbox"},
        },
        "digests": [{"name": "daily", "schedule": "0 7 * * *", "channels": ["mail", "archive"]}],
    }, sort_keys=False), encoding="utf-8")


def stored_matches(state: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(state) as db:
        return sorted(db.execute(
            "SELECT a.url, a.title, a.body, m.topic_id, m.terms, m.fields, m.snippet,"
            " m.highlights, d.digest, d.sent_at IS NOT NULL"
            " FROM matches m JOIN articles a ON a.id = m.article_id"
            " JOIN deliveries d ON d.match_id = m.id"))


def comparable(message: EmailMessage) -> tuple[str, str, str]:
    """Subject, text and HTML with the one line that differs between runs (when) removed."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    when = re.compile(r"generated [^\n<]*")
    return str(message["Subject"]), when.sub("", text), when.sub("", html)


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtual environment with Vedette installed from a wheel (not editable).

    The wheel is built from a copy of the sources, so nothing of the checkout can leak in.
    Vedette's dependencies come from the test environment's site-packages through a .pth
    line (a path listed there is searched, but the checkout's editable-install hook in it
    is not run), so the fresh environment sees the wheel's Vedette and nothing else of ours.
    """
    work = tmp_path_factory.mktemp("wheel")
    sources = work / "src"
    shutil.copytree(ROOT, sources, symlinks=True, ignore=NOT_SOURCES)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(work / "dist"), str(sources)],
        capture_output=True, text=True, check=False, timeout=300, cwd=work)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (work / "dist").glob("vedette-*.whl")

    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "test-dependencies.pth").write_text(
        "\n".join(site_module.getsitepackages()) + "\n", encoding="utf-8")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
         "-q", str(wheel)], capture_output=True, text=True, check=False, timeout=300, cwd=work)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    yield venv


def in_wheel(venv: Path, *args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "vedette"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, check=False,
                          env={k: v for k, v in os.environ.items() if k != "VEDETTE_CONFIG"})


@pytest.mark.slow
def test_the_wheel_imports_only_its_own_files(wheel_venv: Path, tmp_path: Path) -> None:
    found = subprocess.run(
        [str(wheel_venv / "bin" / "python"), "-c",
         "import alerts, pipelines, spiders, vedette; "
         "print('\\n'.join(m.__file__ for m in (alerts, pipelines, spiders, vedette)))"],
        capture_output=True, text=True, cwd=tmp_path, check=True)
    for path in found.stdout.split():
        assert Path(path).is_relative_to(wheel_venv), path


@pytest.mark.slow
def test_wheel_from_elsewhere_stores_and_sends_what_the_checkout_does(
        wheel_venv: Path, site: LocalSite, smtp: SmtpServer, tmp_path: Path) -> None:
    news_site(site)
    from_checkout = tmp_path / "checkout" / "config"
    from_wheel = tmp_path / "installed" / "config"
    write_config(from_checkout, site, smtp)
    write_config(from_wheel, site, smtp)
    elsewhere = tmp_path / "cron-home"
    elsewhere.mkdir()

    checkout = subprocess.run(
        [sys.executable, "-m", "vedette", "--config", str(from_checkout), "run", "--once"],
        capture_output=True, text=True, cwd=ROOT, timeout=180, check=False)
    installed = in_wheel(wheel_venv, "--config", str(from_wheel), "run", "--once", cwd=elsewhere)

    assert checkout.returncode == 0, checkout.stderr
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout == checkout.stdout
    assert "crawled wire: 2 items, 2 new, 2 matches" in installed.stdout
    wanted = stored_matches(from_checkout.parent / "state" / "vedette.db")
    assert len(wanted) == 2 and all(row[-1] for row in wanted)  # two topics, both sent
    assert stored_matches(from_wheel.parent / "state" / "vedette.db") == wanted
    [first, second] = smtp.messages
    assert comparable(second) == comparable(first)
    assert "signed a letter of intent" in comparable(second)[1]
    assert len(list((from_wheel.parent / "outbox").glob("daily-*.html"))) == 1
    assert list(elsewhere.iterdir()) == []  # nothing lands in the working directory


@pytest.mark.slow
def test_wheel_carries_the_starter_config_and_the_demo(wheel_venv: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()

    init = in_wheel(wheel_venv, "init", cwd=elsewhere)
    check = in_wheel(wheel_venv, "check", cwd=elsewhere)
    demo = in_wheel(wheel_venv, "demo", "--output", str(tmp_path / "demo"), cwd=elsewhere)

    assert init.returncode == 0, init.stderr
    assert sorted(p.name for p in (elsewhere / "config").iterdir()) == [
        "alerts.yaml", "keywords.yaml", "settings.yaml", "sources.yaml"]
    for path in (elsewhere / "config").iterdir():
        assert path.read_bytes() == (ROOT / "config" / path.name).read_bytes()
    assert check.returncode == 0, check.stderr
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert list((tmp_path / "demo" / "mail").glob("*.eml"))


def scrapy_crawl_with(leave_out: str, workspace: Workspace) -> subprocess.CompletedProcess[str]:
    """`scrapy crawl feed -a source=s` under settings that leave out one of Vedette's parts."""
    env = {**os.environ, "VEDETTE_CONFIG": str(workspace.config), "LEAVE_OUT": leave_out,
           "SCRAPY_SETTINGS_MODULE": "tests.support.settings_without_vedette_parts",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "scrapy", "crawl", "feed", "-a", "source=s"],
                          cwd=workspace.root, capture_output=True, text=True, env=env,
                          check=False, timeout=120)


def test_a_crawl_whose_items_were_never_stored_is_a_failed_run(
        workspace: Workspace, site: LocalSite) -> None:
    news_site(site)
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=TOPICS, settings={"health": {"failures": 1}})

    crawled = scrapy_crawl_with("pipelines", workspace)
    status = workspace.run("status")

    assert site.requested("/feed.xml") == 1, crawled.stderr[-2000:]
    assert workspace.query("SELECT count(*) FROM articles") == [(0,)]
    [(outcome, error)] = workspace.query("SELECT status, last_error FROM runs")
    assert outcome == "failed"
    assert error == "2 of 2 items were never stored: Vedette's item pipelines did not run"
    assert status.returncode == 1, status.stdout
    assert f"error: source s: failing: 1 crawls in a row failed; last error: {error}" in status.stderr


def test_a_crawl_without_the_network_guard_fetches_nothing(
        workspace: Workspace, site: LocalSite) -> None:
    news_site(site)
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=TOPICS)

    crawled = scrapy_crawl_with("guard", workspace)

    assert site.hits == []
    assert "the network guard is not enabled" in crawled.stderr
