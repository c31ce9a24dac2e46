"""The state database's schema, one list of statements per version (PRAGMA user_version);
how a state file is recognised, created and brought up to date."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from vedette.errors import StateError

APPLICATION_ID = 0x56454453  # "VEDS": tells a Vedette state from any other SQLite file
# What every state file has had since schema 1 (before schema 5 wrote APPLICATION_ID).
CORE_TABLES = frozenset({"articles", "matches", "deliveries", "channel_sends", "runs"})

MIGRATIONS: list[str] = [
    # version 1
    """
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,              -- canonical URL: the dedup key, kept forever
        source TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL DEFAULT '',
        language TEXT,
        published TEXT,                        -- ISO 8601, UTC
        fetched_at TEXT NOT NULL,
        text_source TEXT NOT NULL,             -- 'page' or 'feed' (page failed or not followed)
        fingerprint TEXT,                      -- hash of the normalised text: syndicated copies
        duplicate_of INTEGER REFERENCES articles(id),
        alertable INTEGER NOT NULL DEFAULT 1   -- 0: older than the source's max_age
    );
    CREATE INDEX articles_fingerprint ON articles(fingerprint);
    CREATE TABLE matches (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        topic_id TEXT NOT NULL,
        topic_name TEXT NOT NULL,
        terms TEXT NOT NULL,                   -- JSON list of the terms that hit
        fields TEXT NOT NULL,                  -- JSON list of the fields they hit in
        snippet TEXT NOT NULL,
        snippet_field TEXT NOT NULL,
        highlights TEXT NOT NULL,              -- JSON list of [start, end) in snippet
        created_at TEXT NOT NULL,
        UNIQUE (article_id, topic_id)
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        match_id INTEGER NOT NULL REFERENCES matches(id),
        digest TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at TEXT,                          -- NULL while pending on any of its channels
        UNIQUE (match_id, digest)
    );
    CREATE INDEX deliveries_pending ON deliveries(digest) WHERE sent_at IS NULL;
    CREATE TABLE channel_sends (
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
        channel TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        outcome TEXT NOT NULL,                 -- 'sent' or 'rejected' (permanent refusal)
        at TEXT NOT NULL,
        PRIMARY KEY (delivery_id, channel)
    );
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        digest TEXT NOT NULL,
        channel TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        at TEXT NOT NULL,
        items INTEGER NOT NULL,
        outcome TEXT NOT NULL,                 -- 'sent', 'failed' (will retry), 'rejected'
        error TEXT
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,                  -- 'running', 'ok', 'failed'
        items INTEGER NOT NULL DEFAULT 0,
        new_articles INTEGER NOT NULL DEFAULT 0,
        matches INTEGER NOT NULL DEFAULT 0,
        fallbacks INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE INDEX runs_source ON runs(source, id);
    CREATE TABLE feed_validators (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        updated_at TEXT NOT NULL
    );
    """,
    # version 2: the daemon's schedule memory and source-health notices
    """
    CREATE TABLE job_runs (
        job TEXT PRIMARY KEY,                  -- 'digest:NAME' or 'source:NAME'
        last_run TEXT NOT NULL                 -- ISO 8601, UTC: when it last ran
    );
    CREATE TABLE health_notices (
        source TEXT NOT NULL,
        kind TEXT NOT NULL,                    -- 'failing' or 'stale'
        sent_at TEXT NOT NULL,
        PRIMARY KEY (source, kind)
    );
    """,
    # version 3: what each term hit, and the sentences of terms the first snippet misses
    """
    ALTER TABLE matches ADD COLUMN term_fields TEXT NOT NULL DEFAULT '[]';
                                           -- JSON list: per term of `terms`, its fields
    ALTER TABLE matches ADD COLUMN more_snippets TEXT NOT NULL DEFAULT '[]';
                                           -- JSON list of {field, text, highlights}
    """,
    # version 4: items a crawl stored as seen without alerting (older than its window)
    """
    ALTER TABLE runs ADD COLUMN not_alerted INTEGER NOT NULL DEFAULT 0;
    """,
    # version 5: the file names itself; the ledger's write check before a digest is sent
    f"""
    PRAGMA application_id = {APPLICATION_ID};
    CREATE TABLE write_check (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        at TEXT NOT NULL                       -- the last check, ISO 8601, UTC
    );
    """,
    # version 6: caps. channel_sends.outcome may now be 'summarised' (counted by source in a
    # capped digest, not shown); attempts count those, and 'too-big' attempts are kept;
    # runs count matching articles past settings.max_matches_per_crawl (stored, no delivery).
    """
    ALTER TABLE attempts ADD COLUMN summarised INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN capped INTEGER NOT NULL DEFAULT 0;
    """,
    # version 7: documents decoded by charset detection, pages whose extraction timed out
    """
    ALTER TABLE runs ADD COLUMN redecoded INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN extraction_timeouts INTEGER NOT NULL DEFAULT 0;
    """,
]


def check_ours(db: sqlite3.Connection, path: Path) -> None:
    """Refuse an SQLite file that is not a Vedette state: migrating it would write our tables
    into another program's database."""
    application = db.execute("PRAGMA application_id").fetchone()[0]
    if application == APPLICATION_ID:
        return
    version = db.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if application == 0 and (tables >= CORE_TABLES if version else not tables):
        return  # a state from before schema 5, or an empty database (nothing to lose)
    what = (f"of another program (application id {application:#x})" if application
            else f"with other tables ({', '.join(sorted(tables)[:3]) or 'none'})")
    raise StateError(f"{path}: not a Vedette state file (an SQLite database {what}): check "
                     "settings.state, or move the file aside")


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the state at `path` up to the current schema, one transaction per step."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StateError(
            f"{path}: state file is from a newer Vedette (schema {version}); upgrade Vedette")
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        # executescript commits; the whole step and its version bump go in one script.
        db.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")


def create(path: Path) -> None:
    """A new state file, complete before it appears at `path`.

    So a file found there that is empty or cut short is always a damaged one (a copy that
    ran out of space, a truncation), never a state still being made, and is refused."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        db = sqlite3.connect(temp, isolation_level=None)
        try:
            migrate(db, temp)
        finally:
            db.close()
        try:
            os.link(temp, path)  # never over a state another process made meanwhile
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            os.rename(temp, path)
    finally:
        temp.unlink(missing_ok=True)
