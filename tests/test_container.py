"""The container (Dockerfile): built and run where a Docker daemon is reachable; skipped,
saying so, where none is (a Docker client alone is not enough)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SmtpServer
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite

pytestmark = pytest.mark.slow


def docker_unavailable() -> str | None:
    """Why the container can't be tested here, or None when it can."""
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    try:
        probe = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                               capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return "the Docker daemon did not answer within 30 s"
    if probe.returncode != 0:
        return "no Docker daemon reachable: " + (probe.stderr.strip().splitlines() or ["?"])[-1]
    return None


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    reason = docker_unavailable()
    if reason:
        pytest.skip(f"container not tested: {reason}")
    tag = f"vedette-test:{uuid.uuid4().hex[:12]}"
    built = subprocess.run(["docker", "build", "--tag", tag, str(ROOT)], capture_output=True,
                           text=True, timeout=1800, check=False)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    yield tag
    subprocess.run(["docker", "image", "rm", "--force", tag], capture_output=True, check=False,
                   timeout=120)


def docker_run(image: str, *args: str, volumes: dict[Path, str] | None = None,
               host_network: bool = False) -> subprocess.CompletedProcess[str]:
    command = ["docker", "run", "--rm"]
    if host_network:
        command += ["--network", "host"]  # the test site and SMTP server listen on loopback
    for host_path, container_path in (volumes or {}).items():
        command += ["--volume", f"{host_path}:{container_path}"]
    return subprocess.run([*command, image, *args], capture_output=True, text=True,
                          timeout=600, check=False)


def writable_folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)  # the container runs as its own unprivileged user
    return path


def test_runs_as_an_unprivileged_user_and_has_a_healthcheck(image: str) -> None:
    uid = docker_run(image, "--version")
    inspected = subprocess.run(
        ["docker", "image", "inspect", "--format",
         "{{.Config.User}} {{json .Config.Healthcheck.Test}} {{.Config.Env}}", image],
        capture_output=True, text=True, check=True, timeout=60)

    assert uid.returncode == 0 and uid.stdout.startswith("vedette "), uid.stderr
    user, healthcheck, env = inspected.stdout.split(" ", 2)
    assert user == "vedette"
    assert '"vedette","status"' in healthcheck
    assert "VEDETTE_CONFIG=/vedette/config" in env


def test_init_writes_the_starter_config_into_the_config_volume(image: str, tmp_path: Path) -> None:
    config = writable_folder(tmp_path / "config")

    init = docker_run(image, "init", volumes={config: "/vedette/config"})
    check = docker_run(image, "check", volumes={config: "/vedette/config"})

    assert init.returncode == 0, init.stderr
    for path in config.iterdir():
        assert path.read_bytes() == (ROOT / "config" / path.name).read_bytes()
    assert check.returncode == 0, check.stderr


def test_crawls_and_sends_with_config_and_state_in_volumes(
        image: str, tmp_path: Path, site: LocalSite, smtp: SmtpServer) -> None:
    story = Story(slug="ua-lt", title="Ukraine and Lithuania to build drones together",
                  paragraphs=["The two countries agreed on joint production of long-range "
                              "drones."], published=recent(1))
    site.add("/news/ua-lt", article_page(story))
    site.add("/feed.xml", rss_feed(site.base, [(site.url("/news/ua-lt"), story)]),
             content_type="application/rss+xml")
    config = writable_folder(tmp_path / "config")
    state = writable_folder(tmp_path / "state")
    (config / "vedette.yaml").write_text(yaml.safe_dump({
        "settings": {"state": "../state/vedette.db"},
        "sources": [{"name": "wire", "type": "feed", "url": site.url("/feed.xml")}],
        "topics": [{"name": "Joint production", "any": ["joint production"]}],
        "channels": {"mail": {"type": "email", "host": "127.0.0.1", "port": smtp.port,
                              "security": "none", "from": "v@example.org",
                              "to": ["a@example.org"]}},
        "digests": [{"name": "daily", "schedule": "0 7 * * *", "channels": ["mail"]}],
    }), encoding="utf-8")
    volumes = {config: "/vedette/config", state: "/vedette/state"}

    once = docker_run(image, "run", "--once", volumes=volumes, host_network=True)
    status = docker_run(image, "status", volumes=volumes, host_network=True)

    assert once.returncode == 0, once.stdout + once.stderr
    assert "crawled wire: 1 items, 1 new, 1 matches" in once.stdout
    assert len(smtp.messages) == 1
    assert (state / "vedette.db").is_file()
    assert status.returncode == 0, status.stdout + status.stderr

