"""What the state keeps of a match: each term's fields and every snippet, read back whole;
a state file from before those columns is upgraded in place and loses nothing."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from vedette.config.schema import Topic
from vedette.matching import ArticleText
from vedette.matching.engine import Matcher
from vedette.store import NewArticle, Store
from vedette.store.migrations import MIGRATIONS

BODY = ("Vilnius and Kyiv agreed on joint production of defence equipment. "
        "The first item on the list is long-range drones, officials said.")
TOPIC = Topic.model_validate({"name": "Joint production",
                              "query": '"joint production" AND "long-range drones"'})


def article(url: str = "https://e.org/a") -> NewArticle:
    return NewArticle(url=url, source="lrt", title="Ukraine and Lithuania sign a letter",
                      summary="", body=BODY, language="en", published=None,
                      text_source="page", fingerprint=None, alertable=True)


def test_term_fields_and_every_snippet_are_read_back_as_matched(tmp_path: Path) -> None:
    (match,) = Matcher([TOPIC]).match(ArticleText(title=article().title, body=BODY))
    assert match.more_snippets  # the two terms sit in different sentences
    with Store(tmp_path / "state.db") as store:
        store.articles.save(article(), [match], {TOPIC.id: ["morning"]})
        (item,) = store.deliveries.pending("morning")
    assert item.terms == match.terms == ("joint production", "long-range drones")
    assert item.term_fields == match.term_fields == (("body",), ("body",))
    assert (item.snippet, item.snippet_field, item.highlights) == (
        match.snippet.text, match.snippet.field, match.snippet.highlights)
    assert item.more_snippets == match.more_snippets


def test_a_state_file_from_schema_2_is_upgraded_and_its_pending_matches_kept(
        tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    db = sqlite3.connect(state, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:2], start=1):
        db.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")
    db.execute("INSERT INTO articles (url, source, title, fetched_at, text_source)"
               " VALUES ('https://e.org/old', 'lrt', 'Old story', '2026-01-01', 'page')")
    db.execute("INSERT INTO matches (article_id, topic_id, topic_name, terms, fields, snippet,"
               " snippet_field, highlights, created_at) VALUES (1, 'jp', 'Joint production',"
               " '[\"joint production\"]', '[\"body\"]', 'On joint production.', 'body',"
               " '[[3, 19]]', '2026-01-01T00:00:00+00:00')")
    db.execute("INSERT INTO deliveries (match_id, digest, created_at)"
               " VALUES (1, 'morning', '2026-01-01T00:00:00+00:00')")
    db.close()

    with Store(state) as store:
        (old,) = store.deliveries.pending("morning")
        assert (old.terms, old.snippet, old.highlights) == (
            ("joint production",), "On joint production.", ((3, 19),))
        assert (old.term_fields, old.more_snippets) == ((), ())
        # New matches keep the new columns alongside the upgraded old ones.
        (match,) = Matcher([TOPIC]).match(ArticleText(title="t", body=BODY))
        store.articles.save(article("https://e.org/new"), [match], {TOPIC.id: ["morning"]})
        assert [item.term_fields for item in store.deliveries.pending("morning")] == [
            (), (("body",), ("body",))]
    with closing(sqlite3.connect(state)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
