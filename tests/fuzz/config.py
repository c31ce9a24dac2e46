"""Fuzz target: bytes as the text of config files → `vedette.config.load_config`.

The answer must be a Config, or ConfigError whose every problem is one line naming a file.
An input is one file, `config.yaml`, unless it holds lines `# file: NAME` (NAME in
lowercase letters): then each such line starts the file NAME.yaml, as the shipped config
splits settings, sources, keywords and alerts. The files are written into one folder,
emptied before each input; `${VAR}` reads a fixed environment, never the real one.

    python tests/fuzz/config.py [-max_total_time=600] [CORPUS_DIR]
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

if not __package__:  # run as a script: the project's root on the path, for `tests.fuzz`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.harness import FIXTURES, ROOT, Broken, fuzz, instrumented, one_line

with instrumented(__name__, ["vedette", "yaml"]):
    from vedette.config import Config, ConfigError, load_config, schema
    from vedette.config.channels import CHANNEL_TYPES
    from vedette.config.sources import SOURCE_TYPES

TARGET = "config"
ENVIRON = {"SMTP_USER": "alerts", "SMTP_PASSWORD": "hunter22", "NUMBER": "12",
           "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x", "EMPTY": ""}
_FILE = re.compile(rb"^# file: ([a-z]{1,20})[ \t]*\r?$", re.MULTILINE)
_MAX_FILES = 8

_folder: Path | None = None


def folder() -> Path:
    """The one folder every input's files are written to, `vedette-fuzz-config-PID` in the
    temporary directory. libFuzzer ends the process with exit(), which runs no cleanup, so
    the folders of processes that are gone are removed here (a -fork run starts many)."""
    global _folder
    if _folder is None:
        base = Path(tempfile.gettempdir())
        for old in base.glob("vedette-fuzz-config-*"):
            pid = old.name.rsplit("-", 1)[1]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
        _folder = base / f"vedette-fuzz-config-{os.getpid()}"
        _folder.mkdir(exist_ok=True)
        atexit.register(shutil.rmtree, _folder, True)  # when Python exits normally (a replay)
    return _folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def split(data: bytes) -> dict[str, bytes]:
    """The files an input stands for, by name."""
    marks = list(_FILE.finditer(data))[:_MAX_FILES]
    if not marks:
        return {"config.yaml": data}
    found: dict[str, bytes] = {}
    for mark, after in zip(marks, [*marks[1:], None], strict=True):
        end = after.start() if after else len(data)
        name = mark.group(1).decode() + ".yaml"
        found[name] = found.get(name, b"") + data[mark.end():end].lstrip(b"\r\n")
    return found


def check(data: bytes) -> None:
    place = folder()
    for old in place.iterdir():
        old.unlink()
    for name, text in split(data).items():
        (place / name).write_bytes(text)
    try:
        config = load_config(place, environ=ENVIRON)
    except ConfigError as exc:
        if not exc.problems:
            raise Broken("ConfigError without a problem") from exc
        for problem in exc.problems:
            one_line(str(problem), "config problem")
            if problem.file is None:
                raise Broken(f"config problem names no file: {problem}") from exc
        return
    if not isinstance(config, Config):
        raise Broken(f"load_config returned {type(config).__name__}")


def joined(named: dict[str, bytes]) -> bytes:
    return b"".join(b"# file: " + name.encode() + b"\n" + text for name, text in named.items())


def seeds() -> Iterator[bytes]:
    for shipped in (ROOT / "config", ROOT / "vedette" / "starter"):
        named = {p.stem: p.read_bytes() for p in sorted(shipped.glob("*.yaml"))}
        yield joined(named)
        yield b"\n".join(named.values())  # one file holding every section
        yield from named.values()
    yield (FIXTURES / "hostile" / "billion-laughs.yaml").read_bytes()
    yield joined({"alerts": (
        b"channels:\n"
        b"  mail:\n    type: email\n    host: smtp.example.org\n    port: ${NUMBER}\n"
        b"    username: ${SMTP_USER}\n    password: ${SMTP_PASSWORD}\n"
        b"    from: \"Vedette <alerts@example.org>\"\n    to: [analyst@example.org]\n"
        b"  slack:\n    type: slack\n    webhook_url: ${SLACK_WEBHOOK_URL}\n"
        b"  phones:\n    type: apprise\n    urls: ['json://example.org:8080/x']\n"
        b"defaults: &d {type: file, directory: out}\n"
        b"digests:\n  - name: urgent\n    schedule: immediate\n    topics: ['*']\n"
        b"    channels: [mail, slack, phones]\n"),
        "keywords": (
        b"topics:\n  - name: Drones\n    query: '\"long-range\" NEAR/5 (drone* OR UAV) NOT toy'\n"
        b"    languages: [en, uk]\n  - name: Names\n    any: [=HIMARS, {term: IRIS-T, exact: true}]\n"
        b"    all: &terms [Ukraine]\n    none: *terms\n"),
        "sources": (
        b"sources:\n  - name: a\n    type: feed\n    url: https://example.org/rss\n"
        b"    schedule: every 15m\n    max_age: 2d\n    follow: false\n"
        b"    allowed_domains: [example.com]\n"),
        "settings": (
        b"settings:\n  state: ${EMPTY:-state}/v.db\n  max_response_size: 10MB\n"
        b"  request_timeout: 30s\n  timezone: Europe/Kyiv\n  health: {stale: 2d}\n"),
    })


def words() -> Iterator[bytes]:
    """Every key the schema knows, and YAML's and the config's own notations."""
    for section in schema.SECTIONS:
        yield f"{section}:".encode()
    for model in (*vars(schema).values(), *SOURCE_TYPES, *CHANNEL_TYPES):
        if isinstance(model, type) and issubclass(model, BaseModel):
            for name, field in model.model_fields.items():
                yield f"{field.alias or name}: ".encode()
    yield from (b"- ", b"&a ", b"*a", b"<<: ", b"!!int ", b"!!str ", b"!!binary ", b"? ",
                b"${SMTP_PASSWORD}", b"${NUMBER}", b"${EMPTY:-", b"${", b"|\n", b">-\n", b"'",
                b'"', b"[", b"]", b"{", b"}", b"# file: ", b"every 15m", b"immediate", b"*/30 * * * *",
                b"2d", b"10MB", b"https://", b"=", b"NEAR/5 ", b" AND ", b"0x", b"1e9", b".inf")


if __name__ == "__main__":
    fuzz(TARGET, check, seeds, max_len=16384, words=words())
