"""The matching cache beside the state: the same matches with it as without, what it keeps
(costly word keys, compiled topics) is used only when it is right, any damage costs one
log line, bounded, shared by worker processes and by successive runs."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import sqlite3
import time
import zlib
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite
from tests.test_matching import CASES, article, topic
from vedette.config.schema import Topic
from vedette.cpu import CpuPool
from vedette.matching import ArticleText, cachefile, stored
from vedette.matching.cachefile import cache_path
from vedette.matching.engine import Matcher
from vedette.matching.models import rules_of

TOPICS = [
    topic("Drones", any=["long-range drones", "далекобійні дрони", "ударний безпілотник"]),
    topic("Exact", any=["=HIMARS", "F-16"]),
    topic("Wild", any=["intercept*"]),
    topic("Near", query='"joint production" NEAR/4 (Ukraine OR Україна)'),
    topic("Shahed", any=["шахед"], languages=["uk"]),
]
TEXTS = [
    ArticleText(title="Long-range drones hit a depot", language="en",
                body="Ukraine's joint production of long-range drones — and HIMARS’s range. "
                     "F-16s intercepted (Reuters) the... missiles; intercepts, interceptor."),
    ArticleText(title="Далекобійних дронів більше", language="uk",
                body="Україна та партнери: спільне виробництво — «ударних безпілотників»… "
                     "дро́ни, п’ять HIMARS. Удари шахедами."),
    ArticleText(title="Беспилотники атаковали НПЗ", body="Силы ПВО сбили дроны; joint production."),
    ArticleText(title="Dronai", language="lt", body="Tolimojo nuotolio dronai, bendra gamyba."),
    ArticleText(title="Drony", language="pl", body="Drony dalekiego zasięgu: wspólna produkcja."),
]


def prime(path: Path, texts: list[ArticleText], topics: list[Topic] = TOPICS) -> None:
    """One run: a matcher that matches the texts and saves what it learnt."""
    matcher = Matcher(topics, path)
    for text in texts:
        matcher.match(text)
    matcher.save_word_keys()


def stored_words(path: Path, lang: str = "uk") -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT word, key FROM words WHERE lang = ?", (lang,)))


def compiled_keys(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [key for (key,) in db.execute("SELECT key FROM compiled ORDER BY stored")]


def plant(path: Path, word: str, key: str, checksum: int | None = None) -> None:
    """A word's key as some run would have stored it (or with a wrong checksum)."""
    cachefile.connect(path).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT OR REPLACE INTO words VALUES ('uk', ?, ?, ?)", (
            word, key, cachefile._word_checksum("uk", word, key) if checksum is None else checksum))


def test_the_case_table_matches_the_same_through_a_cache_of_other_topics(tmp_path: Path) -> None:
    # Word keys don't depend on the topics: stored while matching other topics, they must
    # give each case's own topic exactly what a matcher without a cache finds.
    path = tmp_path / "vedette.db.cache"
    prime(path, [article(case) for case in CASES])
    for case in CASES:
        spec = Topic.model_validate({"name": case["id"], **case["topic"]})
        text = article(case)
        assert Matcher([spec], path).match(text) == Matcher([spec]).match(text), case["id"]


def test_mixed_texts_match_the_same_in_a_second_run(tmp_path: Path) -> None:
    path = tmp_path / "vedette.db.cache"
    expected = [Matcher(TOPICS).match(text) for text in TEXTS]
    assert all(expected[:2]) and "Shahed" in [found.topic_name for found in expected[1]]
    prime(path, TEXTS)
    # Only what was costly is kept: lemmas guessed for words the dictionary lacks (here
    # also Russian ones: a topic's `languages: [uk]` reads every article as Ukrainian),
    # not dictionary words or stems.
    words = stored_words(path)
    assert {"шахедами": "шахед", "беспилотники": "беспилотник"}.items() <= words.items()
    assert not {"дронів", "удари", "україна"} & set(words)
    assert stored_words(path, "en") == {}
    assert len(compiled_keys(path)) == 1
    again = Matcher(TOPICS, path)
    assert [again.match(text) for text in TEXTS] == expected


def test_stored_keys_are_used_only_when_right(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A key planted in the file shows that a fresh matcher reads it…
    path = tmp_path / "vedette.db.cache"
    drones = [topic("Drones", any=["дрон"], languages=["uk"])]
    text = ArticleText(title="Удари шахедами", language="uk")
    plant(path, "шахедами", "дрон")
    assert Matcher(drones, path).match(text)
    assert not Matcher(drones).match(text)
    # …not when its checksum says the value is damaged…
    plant(path, "шахедами", "дрон", checksum=1)
    assert not Matcher(drones, path).match(text)
    # …nor once the file is from another edition of the normalisation (another
    # PyStemmer, pymorphy3 or dictionary, or a change of ours): emptied, one line.
    plant(path, "шахедами", "дрон")
    with sqlite3.connect(path) as db:
        edition = json.loads(db.execute("SELECT value FROM meta").fetchone()[0])
        edition["keys"] -= 1
        db.execute("UPDATE meta SET value = ?", (json.dumps(edition),))
    with caplog.at_level(logging.INFO, logger="vedette"):
        assert not Matcher(drones, path).match(text)
    assert [r.getMessage() for r in caplog.records] == [
        f"matching cache {path} is from another version (written by another edition of the "
        "word normalisation); rebuilding it"]
    assert stored_words(path) == {}


def test_compiled_topics_are_read_back_and_follow_every_edit(tmp_path: Path) -> None:
    path = tmp_path / "vedette.db.cache"
    text = ArticleText(title="Long-range drones and HIMARS", language="en")
    first = [topic("Drones", any=["long-range drones"])]
    edited = [topic("Drones", any=["=HIMARS"])]
    assert Matcher(first, path).match(text)
    (key,) = compiled_keys(path)
    assert key == stored.topics_key(rules_of(first))
    # What is stored under a topics' key is what a fresh matcher uses: planted under the
    # key of `edited`, the compiled form of `first` finds "long-range drones".
    with sqlite3.connect(path) as db:
        db.execute("UPDATE compiled SET key = ?", (stored.topics_key(rules_of(edited)),))
    (found,) = Matcher(edited, path).match(text)
    assert found.terms == ("long-range drones",)
    # Any edit of the topics is another key: compiled afresh, and kept beside.
    (found,) = Matcher([topic("Drones", any=["=HIMARS"], none=["film"])], path).match(text)
    assert found.terms == ("HIMARS",)
    assert len(compiled_keys(path)) == cachefile.COMPILED_KEPT == 2


class _Touch:
    """What a hostile pickle would run on loading: here, create a file."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.target), "w")  # a plain `pickle.loads` would create the file


def test_stored_topics_never_run_code_and_a_bad_entry_is_compiled_afresh(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "vedette.db.cache"
    topics = [topic("Drones", any=["long-range drones", "—"])]
    text = ArticleText(title="Long-range drones", language="en")
    expected = Matcher(topics).match(text)
    Matcher(topics, path)
    target = tmp_path / "ran"
    data = pickle.dumps(_Touch(target))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE compiled SET data = ?, checksum = ?",
                   (data, cachefile.zlib.crc32(data)))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="vedette"):
        assert Matcher(topics, path).match(text) == expected
    assert not target.exists()
    lines = [r.getMessage() for r in caplog.records]
    assert "stored topics unusable" in lines[0] and "is not part of compiled topics" in lines[0]
    # The compiler's warnings are the user's each time the topics load, stored or not.
    assert lines[1:] == ["term '—' has no letters or digits and will never match"]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="vedette"):
        assert Matcher(topics, path).match(text) == expected
    assert [r.getMessage() for r in caplog.records] == lines[1:]


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _foreign(data: bytes) -> bytes:
    return b"vedette word keys\n{}\n" + data[:100]  # e.g. the earlier format, or anything


def _other_database(path: Path) -> None:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")


def _bad_pages(data: bytes) -> bytes:
    # Every page but the first (the header, our application id) overwritten.
    return data[:4096] + b"\xff" * (len(data) - 4096)


@pytest.mark.parametrize("damage", [
    _truncated, _foreign, _bad_pages, lambda data: b"\x00" * len(data),
], ids=["truncated", "foreign", "bad-pages", "zeros"])
def test_a_damaged_file_costs_one_log_line_and_is_rebuilt(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: object) -> None:
    path = tmp_path / "vedette.db.cache"
    prime(path, TEXTS)
    assert path.stat().st_size > 8192
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    expected = [Matcher(TOPICS).match(text) for text in TEXTS]

    matcher = Matcher(TOPICS, path)
    with caplog.at_level(logging.INFO, logger="vedette"):
        assert [matcher.match(text) for text in TEXTS] == expected
        matcher.save_word_keys()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"matching cache {path} ignored and rebuilt")
    prime(path, TEXTS)  # usable again
    assert "шахедами" in stored_words(path)


def test_another_applications_database_is_not_used(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "vedette.db.cache"
    _other_database(path)
    with caplog.at_level(logging.INFO, logger="vedette"):
        prime(path, TEXTS)
    assert [r.getMessage() for r in caplog.records] == [
        f"matching cache {path} ignored and rebuilt: not a matching cache"]
    assert "шахедами" in stored_words(path)


def test_workers_hear_of_a_damaged_file_once_through_the_parent(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    state = tmp_path / "vedette.db"
    prime(cache_path(state), TEXTS)
    path = cache_path(state)
    path.write_bytes(_bad_pages(path.read_bytes()))
    with caplog.at_level(logging.INFO, logger="vedette"):
        cachefile.vet(path)
        cachefile.vet(path)
    assert len(caplog.records) == 1
    assert caplog.records[0].getMessage().startswith(f"matching cache {path} ignored and rebuilt")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)]


def test_a_new_file_is_built_silently_and_replaces_the_earlier_format(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    (folder / "vedette.db.wordkeys").write_bytes(b"vedette word keys\n")  # an earlier version's
    (folder / "vedette.db.wordkeys.lock").touch()
    with caplog.at_level(logging.INFO, logger="vedette"):
        prime(cache_path(folder / "vedette.db"), TEXTS)
    assert caplog.records == []
    assert sorted(p.name for p in folder.iterdir()) == ["vedette.db.cache"]


def test_a_cache_that_cannot_be_written_is_reported_not_raised(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "vedette.db.cache"
    path.mkdir()  # something else sits where the file goes
    expected = [Matcher(TOPICS).match(text) for text in TEXTS]
    with caplog.at_level(logging.INFO, logger="vedette"):
        matcher = Matcher(TOPICS, path)
        assert [matcher.match(text) for text in TEXTS] == expected
        matcher.save_word_keys()
    assert [r.getMessage() for r in caplog.records] == [
        f"matching cache {path} not used: unable to open database file"]


def test_the_file_keeps_the_newest_words_within_its_bound(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cachefile, "WORD_LIMIT", 40)
    path = tmp_path / "vedette.db.cache"
    letters = "абвгдежзиклмнопрстуфхцчшщюя"
    batches = [[f"ґрц{letters[batch]}{letters[n]}" for n in range(27)] for batch in range(4)]
    for words in batches:  # four runs, each meeting 27 words the dictionary lacks
        prime(path, [ArticleText(title=" ".join(words), language="uk")])
    kept = set(stored_words(path))
    assert len(kept) <= 40
    assert set(batches[3]) <= kept and not set(batches[0]) & kept


def test_saves_from_two_processes_are_merged(tmp_path: Path) -> None:
    # Both open the file before either saved (two workers starting together).
    path = tmp_path / "vedette.db.cache"
    first, second = Matcher(TOPICS, path), Matcher(TOPICS, path)
    first.match(ArticleText(title="Удари шахедами", language="uk"))
    second.match(ArticleText(title="Мавіки і байрактари", language="uk"))
    first.save_word_keys()
    second.save_word_keys()
    assert {"шахедами", "мавіки", "байрактари"} <= set(stored_words(path))


def _match_all(pool: CpuPool, texts: list[ArticleText]) -> list[object]:
    async def run() -> list[object]:
        return [await pool.match(text) for text in texts]

    return asyncio.run(run())


def _wait_for(path: Path, word: str) -> dict[str, str]:
    deadline = time.monotonic() + 60  # a bound for a stuck worker, not a timing assert
    while word not in (found := stored_words(path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_worker_processes_save_for_the_next_run(tmp_path: Path) -> None:
    state = tmp_path / "state" / "vedette.db"
    expected = [Matcher(TOPICS).match(text) for text in TEXTS]
    pool = CpuPool(2, TOPICS, state)
    assert pool.processes
    assert _match_all(pool, TEXTS) == expected
    pool.close()  # the workers exit, and save on their way out
    assert "шахедами" in _wait_for(cache_path(state), "шахедами")
    assert compiled_keys(cache_path(state)) == [stored.topics_key(rules_of(TOPICS))]

    again = CpuPool(2, TOPICS, state)
    assert _match_all(again, TEXTS) == expected
    again.close()


def test_each_state_has_its_own_cache(tmp_path: Path) -> None:
    one, other = tmp_path / "a" / "vedette.db", tmp_path / "b" / "other.db"
    pools = CpuPool(1, TOPICS, one), CpuPool(1, TOPICS, other)
    _match_all(pools[0], [ArticleText(title="Удари шахедами", language="uk")])
    _match_all(pools[1], [ArticleText(title="Мавіки", language="uk")])
    for pool in pools:
        pool.close()
    assert cache_path(one) == tmp_path / "a" / "vedette.db.cache"
    assert set(stored_words(cache_path(one))) == {"шахедами"}
    assert set(stored_words(cache_path(other))) == {"мавіки"}


LOI = Story(
    slug="loi", title="Україна і Литва підписали лист про наміри",
    paragraphs=["Уряди підписали лист про наміри щодо спільного виробництва далекобійних "
                "дронів і перехоплювачів шахедів, повідомили посадовці."],
    published=recent(2))
PLANT = Story(
    slug="plant", title="Відкрито завод далекобійних дронів",
    paragraphs=["Новий завод вироблятиме далекобійні дрони для збиття мавіків."],
    published=recent(1))


def _publish(site: LocalSite, stories: list[Story]) -> None:
    for story in stories:
        site.add(f"/news/{story.slug}", article_page(story, 0))  # no shared padding: not copies
    items = [(site.url(f"/news/{story.slug}"), story) for story in stories]
    site.add("/feed.xml", rss_feed(site.base, items), content_type="application/rss+xml")


def test_successive_cron_runs_with_worker_processes_share_the_cache(
        workspace: Workspace, site: LocalSite) -> None:
    _publish(site, [LOI])
    workspace.setup(sources=[{"name": "example", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=[{"name": "Long-range drones", "any": ["далекобійні дрони"]}],
                    settings={"extraction_workers": 2})
    cache = cache_path(workspace.state)

    first = workspace.run("crawl")
    assert first.returncode == 0, first.stderr
    assert "шахедів" in stored_words(cache)
    (compiled,) = compiled_keys(cache)

    _publish(site, [PLANT, LOI])
    second = workspace.run("crawl")
    assert second.returncode == 0, second.stderr
    assert {"шахедів", "мавіків"} <= set(stored_words(cache))
    assert compiled_keys(cache) == [compiled]  # read back, not compiled again
    with sqlite3.connect(workspace.state) as db:
        titles = {title for (title,) in db.execute(
            "SELECT a.title FROM matches m JOIN articles a ON a.id = m.article_id")}
    assert titles == {LOI.title, PLANT.title}


_COMPILE_IN_A_FRESH_PROCESS = """
import logging, sys
from vedette.config.schema import Topic
from vedette.matching import ArticleText
from vedette.matching.engine import Matcher
logging.basicConfig(level=logging.DEBUG, format="%(name)s %(message)s", stream=sys.stdout)
topic = Topic.model_validate({"name": "P", "any": [sys.argv[2], "šaudmenys"]})
matcher = Matcher([topic], __import__("pathlib").Path(sys.argv[1]))
print("MATCHED", bool(matcher.match(ArticleText(title=sys.argv[3], language="en"))))
"""


def _compile_in_a_fresh_process(cache: Path, term: str, title: str, home: Path) -> str:
    import os
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", _COMPILE_IN_A_FRESH_PROCESS, str(cache), term,
                           title], capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, "XDG_CACHE_HOME": str(home)})
    return done.stdout


def test_lexicons_are_built_once_and_read_back_by_later_processes(tmp_path: Path) -> None:
    cache, home = tmp_path / "vedette.db.cache", tmp_path / "home-cache"

    def compiled(term: str, title: str, state_cache: Path = cache) -> str:
        return _compile_in_a_fresh_process(state_cache, term, title, home)

    first = compiled("joint production", "Joint productions start")
    assert "en lexicon built from simplemma's dictionary" in first
    assert "lt lexicon built from simplemma's dictionary" in first
    assert "MATCHED True" in first
    assert len(list((home / "vedette").glob("lexicon-*"))) == 2
    # Other topics: compiled afresh, with the lexicons read back instead of built.
    second = compiled("air defense", "Air defences held")
    assert "en lexicon read back from the matching cache" in second
    assert "lexicon built" not in second
    assert "MATCHED True" in second
    # Topics compiled before need no lexicon at all.
    again = compiled("joint production", "A joint product launch")
    assert "lexicon" not in again
    assert "MATCHED False" in again
    # Another state finds them in the user's cache folder.
    other = compiled("joint productions", "Joint production", tmp_path / "b" / "x.db.cache")
    assert "en lexicon read back from the user's cache folder" in other
    assert "MATCHED True" in other
    # A damaged lexicon, or one that is not what Vedette writes, is never used: built
    # again, with the same keys.
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE lexicons SET data = ?, checksum = ? WHERE lang = 'en'",
                   (b"not\0a lexicon", zlib.crc32(b"not\0a lexicon")))
    for path in (home / "vedette").glob("lexicon-en-*"):
        path.write_bytes(path.read_bytes()[:-10])
    third = compiled("co-production", "A co-product of refining")
    assert "en lexicon built from simplemma's dictionary" in third
    assert "lt lexicon read back from the matching cache" in third
    assert "MATCHED False" in third


def test_a_user_cache_folder_that_cannot_be_used_costs_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    done = _compile_in_a_fresh_process(tmp_path / "s.db.cache", "joint production",
                                       "Joint productions start", blocker)
    assert "lexicon built" in done and "MATCHED True" in done
    assert blocker.read_text() == "a file where the cache folder would be"
