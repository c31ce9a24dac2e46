"""Configuration: merged files, environment, one clear line per problem, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Workspace
from vedette.config import ConfigError, load_config

GOOD = {
    "settings.yaml": "settings:\n  state: state/v.db\n",
    "sources.yaml": "sources:\n  - name: example\n    type: feed\n    url: https://example.org/rss\n",
    "keywords.yaml": "topics:\n  - name: Joint production\n    any: [joint production]\n",
    "alerts.yaml": (
        "channels:\n  archive:\n    type: file\n    directory: outbox\n"
        "digests:\n  - name: morning\n    schedule: '0 7 * * *'\n    channels: [archive]\n"
    ),
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def problems(folder: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(folder, environ=env or {})
    return [str(p) for p in caught.value.problems]


def test_valid_config_is_merged_and_paths_resolve_against_the_folder(tmp_path: Path) -> None:
    folder = write(tmp_path / "cfg", GOOD)
    config = load_config(folder, environ={})
    assert config.settings.state == folder / "state" / "v.db"
    assert config.channels["archive"].directory == folder / "outbox"  # type: ignore[union-attr]
    assert [t.id for t in config.topics] == ["joint-production"]


CASES = {
    "unknown key with a hint": (
        {"sources.yaml": GOOD["sources.yaml"] + "    schedul: every 5m\n"},
        "sources.yaml:5: sources[0].schedul: unknown key (did you mean 'schedule'?)"),
    "key of another kind of entry": (
        {"alerts.yaml": GOOD["alerts.yaml"].replace("type: file", "type: file\n    retries: 2")},
        "alerts.yaml:4: channels.archive.retries: unknown key: this kind of entry has no "
        "'retries' (see docs/config.md)"),
    "unknown section": ({"extra.yaml": "topcs: []\n"},
                        "extra.yaml:1: topcs: unknown section (did you mean 'topics'?)"),
    "broken YAML": ({"keywords.yaml": "topics:\n  - name: [unclosed\n"},
                    "keywords.yaml:2:11: this '[' is never closed"),
    "section in two files": ({"more.yaml": "topics: []\n"},
                             "more.yaml:1: topics: already defined in keywords.yaml"),
    "bad schedule": (
        {"sources.yaml": GOOD["sources.yaml"] + "    schedule: every banana\n"},
        "sources.yaml:5: sources[0].schedule:"),
    "bad url scheme": (
        {"sources.yaml": "sources:\n  - name: x\n    type: feed\n    url: ftp://example.org/\n"},
        "sources.yaml:4: sources[0].url: 'ftp://example.org/' is not an http:// or https:// URL"),
    "unknown source type": (
        {"sources.yaml": "sources:\n  - name: x\n    type: gopher\n    url: https://e.org/\n"},
        "sources.yaml:3: sources[0].type: unknown type 'gopher' (one of: 'feed')"),
    "digest names a missing channel": (
        {"alerts.yaml": GOOD["alerts.yaml"].replace("[archive]", "[archiv]")},
        "alerts.yaml:8: digests[0].channels[0]: no channel named 'archiv' (did you mean 'archive'?)"),
    "topic without terms": ({"keywords.yaml": "topics:\n  - name: Empty\n"},
                            "keywords.yaml:2: topics[0]: a topic needs a `query`, or at least one term"),
    "bad timezone": ({"settings.yaml": "settings:\n  timezone: Mars/Olympus\n"},
                     "settings.yaml:2: settings.timezone: 'Mars/Olympus' is not a timezone"),
    "yaml python tag": ({"settings.yaml": "settings: !!python/object/apply:os.system ['id']\n"},
                        "settings.yaml:1:11: the tag '!!python/object/apply:os.system' is not "
                        "allowed"),
}


@pytest.mark.parametrize("change,expected", CASES.values(), ids=CASES.keys())
def test_each_problem_is_one_line_with_file_line_and_key(
        tmp_path: Path, change: dict[str, str], expected: str) -> None:
    folder = write(tmp_path / "cfg", {**GOOD, **change})
    found = problems(folder)
    assert any(expected in line for line in found), found
    assert all("\n" not in line for line in found)


def test_environment_variables_are_substituted(tmp_path: Path) -> None:
    alerts = GOOD["alerts.yaml"].replace("directory: outbox", "directory: ${OUTBOX:-fallback}")
    folder = write(tmp_path / "cfg", {**GOOD, "alerts.yaml": alerts})
    assert load_config(folder, environ={"OUTBOX": "/srv/out"}).channels["archive"].directory == \
        Path("/srv/out")  # type: ignore[union-attr]
    assert load_config(folder, environ={}).channels["archive"].directory == \
        folder / "fallback"  # type: ignore[union-attr]


def test_missing_secret_names_the_variable(tmp_path: Path) -> None:
    channels, digests = GOOD["alerts.yaml"].split("digests:")
    alerts = channels + (
        "  mail:\n    type: email\n    host: smtp.example.org\n    password: ${SMTP_PASSWORD}\n"
        "    from: v@example.org\n    to: [a@example.org]\n") + "digests:" + digests
    folder = write(tmp_path / "cfg", {**GOOD, "alerts.yaml": alerts})
    found = problems(folder)
    assert found == [f"{folder / 'alerts.yaml'}:8: channels.mail.password: "
                     "environment variable SMTP_PASSWORD is not set"]


def test_cli_reports_problems_and_exits_2(workspace: Workspace) -> None:
    write(workspace.config, {**GOOD, "keywords.yaml": "topics:\n  - nme: x\n"})
    for command in (["check"], ["run", "--once"], ["crawl"], ["digest"]):
        result = workspace.run(*command)
        assert result.returncode == 2, command
        assert "keywords.yaml:2: topics[0].nme: unknown key (did you mean 'name'?)" in result.stderr
        assert result.stderr.count("\n") >= 1


def test_check_prints_everything_and_no_secret(workspace: Workspace) -> None:
    channels, digests = GOOD["alerts.yaml"].split("digests:")
    alerts = channels + (
        "  mail:\n    type: email\n    host: smtp.example.org\n    username: bot\n"
        "    password: ${SMTP_PASSWORD}\n    from: v@example.org\n    to: [a@example.org]\n"
    ) + "digests:" + digests
    write(workspace.config, {**GOOD, "alerts.yaml": alerts})

    result = workspace.run("check", env={"SMTP_PASSWORD": "hunter2-very-secret"})

    assert result.returncode == 0, result.stderr
    for expected in ("example", "Joint production", "archive", "mail", "morning",
                     "smtp.example.org"):
        assert expected in result.stdout
    assert "hunter2-very-secret" not in result.stdout + result.stderr
