"""Schedules across DST (RELIABILITY 28), health decisions (stale sources), JSON logs."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Workspace
from vedette.config import Schedule, load_config
from vedette.health import due_notices
from vedette.store import Store

KYIV = ZoneInfo("Europe/Kyiv")


@pytest.mark.parametrize("after,expected", [
    # The night clocks go back (2026-10-25, 04:00 EEST → 03:00 EET): 07:00 local, once.
    (datetime(2026, 10, 24, 5, 0, tzinfo=UTC), datetime(2026, 10, 25, 5, 0, tzinfo=UTC)),
    # The night clocks go forward (2026-03-29, 03:00 EET → 04:00 EEST): 07:00 local, once.
    (datetime(2026, 3, 28, 6, 0, tzinfo=UTC), datetime(2026, 3, 29, 4, 0, tzinfo=UTC)),
])
def test_cron_digest_fires_at_local_time_across_dst(after: datetime, expected: datetime) -> None:
    fire = Schedule.parse("0 7 * * *").next_run(after, KYIV)
    assert fire is not None
    assert fire.astimezone(UTC) == expected
    assert fire.astimezone(KYIV).hour == 7


def write_config(folder: Path, state: Path, **health: object) -> None:
    folder.mkdir()
    (folder / "all.yaml").write_text(json.dumps({
        "settings": {"state": str(state), "health": {"failures": 2, **health}},
        "sources": [{"name": "quiet", "type": "feed", "url": "https://example.org/rss"}],
        "topics": [{"name": "X", "any": ["x"]}],
    }), encoding="utf-8")


def test_stale_source_gets_one_notice_and_one_all_clear(tmp_path: Path) -> None:
    write_config(tmp_path / "cfg", tmp_path / "state.db", stale="3d")
    config = load_config(tmp_path / "cfg", environ={})
    now = datetime.now(UTC)
    with Store(tmp_path / "state.db") as store:
        run = store.runs.start("quiet")
        store.runs.finish(run, status="ok", items=5, new_articles=5, matches=0, fallbacks=0,
                          errors=0, last_error=None)
        with closing(sqlite3.connect(tmp_path / "state.db")) as db, db:  # past stale: 3d
            db.execute("UPDATE runs SET started_at=?", ((now - timedelta(days=4)).isoformat(),))
        quiet = store.runs.start("quiet")
        store.runs.finish(quiet, status="ok", items=5, new_articles=0, matches=0, fallbacks=0,
                          errors=0, last_error=None)

        [(kind, on, subject, _)] = due_notices(config, store, "quiet", now)
        assert (kind, on, subject) == ("stale", True, "Source stale: quiet")
        store.daemon.set_notice("quiet", "stale", True)
        assert due_notices(config, store, "quiet", now) == []  # one notice, not one per crawl

        fresh = store.runs.start("quiet")
        store.runs.finish(fresh, status="ok", items=6, new_articles=1, matches=0, fallbacks=0,
                          errors=0, last_error=None)
        [(kind, on, _, _)] = due_notices(config, store, "quiet", now)
        assert (kind, on) == ("stale", False)


def test_failing_threshold_counts_consecutive_failures_only(tmp_path: Path) -> None:
    write_config(tmp_path / "cfg", tmp_path / "state.db")
    config = load_config(tmp_path / "cfg", environ={})
    with Store(tmp_path / "state.db") as store:
        for status in ("failed", "ok", "failed"):
            run = store.runs.start("quiet")
            store.runs.finish(run, status=status, items=0, new_articles=0, matches=0,
                              fallbacks=0, errors=1, last_error="HTTP 503")
        assert due_notices(config, store, "quiet", datetime.now(UTC)) == []
        run = store.runs.start("quiet")
        store.runs.finish(run, status="failed", items=0, new_articles=0, matches=0, fallbacks=0,
                          errors=1, last_error="HTTP 503")
        [(kind, on, _, lines)] = due_notices(config, store, "quiet", datetime.now(UTC))
        assert (kind, on) == ("failing", True) and "Last error: HTTP 503" in lines


def test_json_log_lines(workspace: Workspace) -> None:
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": "http://127.0.0.1:9/feed"}],
                    topics=[{"name": "X", "any": ["x"]}])
    result = workspace.run("--log-format", "json", "crawl")
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    [error] = [r for r in records if r["level"] == "error"]
    assert error["message"].startswith("source s: http://127.0.0.1:9/feed: Connection was refused")
