"""Quick commands import only what they use: `--version`, `check` and `status` never load
Scrapy, Twisted's reactor, the extraction, delivery or lemma libraries (a second of
start-up, docs/performance.md "Start-up"); off a terminal they print without rich, and
start-up runs without the garbage collector, then freezes what it built; the commands that
crawl or send still install the asyncio reactor before anything imports
`twisted.internet.reactor`.

Structure only, no timing: each command runs in a fresh interpreter, which reports the
modules it ended up with. bench/startup.py measures the time."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Workspace

# Runs `vedette ARGS` in-process and writes what it imported to the file named first.
PROBE = """
import gc, json, sys
from vedette.cli import main
report, args = sys.argv[1], sys.argv[2:]
try:
    code = main(args)
except SystemExit as exc:
    code = exc.code
reactor = sys.modules.get("twisted.internet.reactor")
with open(report, "w", encoding="utf-8") as out:
    json.dump({"code": code, "modules": sorted(sys.modules),
               "reactor": type(reactor).__name__ if reactor else None,
               "gc_enabled": gc.isenabled(), "gc_frozen": gc.get_freeze_count()}, out)
"""

# Never needed to read a config, print it or report on the state.
HEAVY = ("scrapy", "twisted", "trafilatura", "apprise", "pymorphy3", "aiosmtplib", "aiosmtpd",
         "jinja2", "httpx", "feedparser", "lxml", "w3lib", "Stemmer", "ahocorasick",
         "apscheduler.schedulers", "spiders", "pipelines", "alerts", "vedette.matching.engine",
         "vedette.cpu", "vedette.reactor")
# Not even those: `--version` needs neither the config nor the output, nor a lookup in the
# installed packages' metadata (the version is written in vedette/__init__.py).
CONFIG = ("pydantic", "yaml", "rich", "apscheduler", "vedette.config", "vedette.output",
          "importlib.metadata")
# Off a terminal, lines are written without rich; URLs are validated without
# pydantic.networks (and what it imports).
OFF_A_TERMINAL = ("rich", "pydantic.networks")


def run_probe(tmp_path: Path, *args: str, terminal: bool = False) -> dict[str, Any]:
    """Run the probe with its output captured, or on a pseudo-terminal (`terminal`)."""
    report = tmp_path / "imported.json"
    if terminal:
        controller, child = pty.openpty()
        done = subprocess.run([sys.executable, "-c", PROBE, str(report), *args], cwd=tmp_path,
                              stdin=subprocess.DEVNULL, stdout=child, stderr=subprocess.PIPE,
                              text=True, timeout=120, check=False)
        os.close(child)
        stdout = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal's other end is closed: all has been read
                break
            if not chunk:
                break
            stdout += chunk
        os.close(controller)
        done.stdout = stdout.decode(errors="replace")
    else:
        done = subprocess.run([sys.executable, "-c", PROBE, str(report), *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, check=False)
    assert report.exists(), done.stderr
    result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    result["stdout"], result["stderr"] = done.stdout, done.stderr
    return result


def loaded(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    """The names in `packages` of which `modules` holds the package or any module in it."""
    return [p for p in packages if any(m == p or m.startswith(p + ".") for m in modules)]


def small_config(workspace: Workspace) -> None:
    workspace.setup(sources=[{"name": "wire", "type": "feed", "url": "http://127.0.0.1:9/feed"}],
                    topics=[{"name": "Drones", "any": ["long-range drones"]},
                            {"name": "Joint production", "query": '"joint production" NOT film'}])


def test_version_imports_neither_the_config_nor_scrapy(tmp_path: Path) -> None:
    result = run_probe(tmp_path, "--version")
    assert result["code"] == 0
    assert result["stdout"].startswith("vedette ")
    assert loaded(result["modules"], HEAVY + CONFIG) == []


def test_check_of_the_shipped_config_imports_no_crawl_or_delivery_library(tmp_path: Path) -> None:
    result = run_probe(tmp_path, "--config", str(ROOT / "config"), "check")
    assert result["code"] == 0, result["stderr"]
    assert "valid" in result["stdout"]
    assert loaded(result["modules"], HEAVY + OFF_A_TERMINAL) == []


def test_status_imports_no_crawl_or_delivery_library(workspace: Workspace) -> None:
    small_config(workspace)
    result = run_probe(workspace.root, "--config", str(workspace.config), "status")
    assert result["code"] in (0, 1), result["stderr"]  # 1: a source that never ran
    assert "wire" in result["stdout"]
    assert loaded(result["modules"], HEAVY + OFF_A_TERMINAL) == []


def test_a_config_error_is_reported_without_scrapy(workspace: Workspace) -> None:
    small_config(workspace)
    workspace.write("keywords.yaml", {"topics": [{"name": "Drones", "anny": ["drones"]}]})
    result = run_probe(workspace.root, "--config", str(workspace.config), "check")
    assert result["code"] == 2
    assert "anny" in result["stderr"]
    assert loaded(result["modules"], HEAVY + OFF_A_TERMINAL) == []


def test_a_terminal_gets_rich_tables(workspace: Workspace) -> None:
    small_config(workspace)
    result = run_probe(workspace.root, "--config", str(workspace.config), "check",
                       terminal=True)
    assert result["code"] == 0, result["stderr"]
    assert "rich" in result["modules"]
    assert "│ Drones" in result["stdout"]  # a table row, not `name=Drones`


def test_start_up_objects_are_frozen_out_of_garbage_collection(tmp_path: Path) -> None:
    result = run_probe(tmp_path, "--config", str(ROOT / "config"), "check")
    assert result["code"] == 0, result["stderr"]
    assert result["gc_enabled"]  # collecting again once the command runs
    assert result["gc_frozen"] > 10_000  # the modules and the config, never walked again


@pytest.mark.parametrize("command", [["crawl", "no-such-source"], ["digest", "no-such-digest"]])
def test_commands_that_crawl_or_send_install_the_asyncio_reactor(
        workspace: Workspace, command: list[str]) -> None:
    small_config(workspace)
    result = run_probe(workspace.root, "--config", str(workspace.config), *command)
    assert result["code"] == 2, result["stderr"]  # refused the unknown name, after the reactor
    assert result["reactor"] == "AsyncioSelectorReactor"
