"""The state database's schema, one list of statements per version (PRAGMA user_version)."""

from __future__ import annotations

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
]
