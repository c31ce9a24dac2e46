"""The word-key cache beside the state: the same matches with it as without, any damage
costs one log line, bounded, shared by worker processes and by successive runs."""

from __future__ import annotations

import asyncio
import json
import logging
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
from vedette.matching import ArticleText, Matcher, keyfile
from vedette.matching.keyfile import JOIN, MAGIC, NO_WORDS
from vedette.matching.wordkeys import cache_path

TOPICS = [
    topic("Drones", any=["long-range drones", "далекобійні дрони", "ударний безпілотник"]),
    topic("Exact", any=["=HIMARS", "F-16"]),
    topic("Wild", any=["intercept*"]),
    topic("Near", query='"joint production" NEAR/4 (Ukraine OR Україна)'),
]
TEXTS = [
    ArticleText(title="Long-range drones hit a depot", language="en",
                body="Ukraine's joint production of long-range drones — and HIMARS’s range. "
                     "F-16s intercepted (Reuters) the... missiles; intercepts, interceptor."),
    ArticleText(title="Далекобійних дронів більше", language="uk",
                body="Україна та партнери: спільне виробництво — «ударних безпілотників»… "
                     "дро́ни, п’ять HIMARS."),
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


def stored_chunks(path: Path, slot: str = "en") -> list[str]:
    return list(keyfile.read_tables(path).get(slot, {}))


def test_the_case_table_matches_the_same_through_a_cache_of_other_topics(tmp_path: Path) -> None:
    # The file holds keys, not codes: written while matching other topics, it must give
    # each case's own topic exactly what a matcher without it finds.
    path = tmp_path / "vedette.db.wordkeys"
    prime(path, [article(case) for case in CASES])
    assert len(stored_chunks(path)) > 500
    for case in CASES:
        spec = Topic.model_validate({"name": case["id"], **case["topic"]})
        text = article(case)
        assert Matcher([spec], path).match(text) == Matcher([spec]).match(text), case["id"]


def test_mixed_texts_match_the_same_in_a_second_run(tmp_path: Path) -> None:
    path = tmp_path / "vedette.db.wordkeys"
    expected = [Matcher(TOPICS).match(text) for text in TEXTS]
    assert all(expected[:2])
    prime(path, TEXTS)
    assert {"Long-range", "F-16s", "missiles;", "(Reuters)", "—"} <= set(stored_chunks(path))
    assert "дро́ни," in stored_chunks(path, "uk")
    assert [Matcher(TOPICS, path).match(text) for text in TEXTS] == expected


def _file(edition: str, table: dict[str, str]) -> bytes:
    """A cache file as some version of Vedette would have written it."""
    sizes, raw = keyfile.encode(table)
    header = {"format": keyfile.FORMAT, "edition": edition, "layout": keyfile._LAYOUT,
              "sections": [["en", *sizes, len(raw), zlib.crc32(raw)]]}
    return MAGIC + json.dumps(header).encode() + b"\n" + raw


def test_stored_keys_are_used_only_from_the_same_edition(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A key planted in the file shows that a fresh matcher reads it…
    path = tmp_path / "vedette.db.wordkeys"
    planted = {"Flamingos": "drone", "Mirage-2000": JOIN.join(["f", "16"]), "over": NO_WORDS}
    path.write_bytes(_file(keyfile.keys_edition(), planted))
    drones = [topic("Drones", any=["drones"]), topic("Jets", any=["F-16"]),
              topic("Lake", any=["ducks lake"])]
    # The title's chunks are computed afresh; having met them, a fresh matcher codes the
    # stored chunks (a small file is worth it at once), and the body finds them.
    text = ArticleText(title="Lake report", body="Flamingos and ducks over lake, Mirage-2000 at sea",
                       language="en")
    assert [found.topic_name for found in Matcher(drones, path).match(text)] == [
        "Drones", "Jets", "Lake"]
    assert not Matcher(drones).match(text)
    # …and that keys of another edition of the normalisation (another PyStemmer,
    # pymorphy3 or dictionary, or a change of ours) are never read.
    older = json.loads(keyfile.keys_edition())
    older["keys"] -= 1
    path.write_bytes(_file(json.dumps(older, sort_keys=True, ensure_ascii=False), planted))
    with caplog.at_level(logging.INFO, logger="vedette"):
        assert not Matcher(drones, path).match(text)
    assert [r.getMessage() for r in caplog.records] == [
        f"word-key cache {path} is from another version (written by another edition of the "
        "word normalisation); rebuilding it"]


def test_a_small_run_does_not_code_a_large_file(tmp_path: Path) -> None:
    # Coding every stored chunk costs more than a few articles' new chunks: a Latin slot's
    # file is coded once the run has computed an eighth as many chunks afresh. (A planted
    # key shows when it is.)
    path = tmp_path / "vedette.db.wordkeys"
    planted = {f"filler{n}": f"filler{n}" for n in range(799)} | {"Flamingos": "drone"}
    path.write_bytes(_file(keyfile.keys_edition(), planted))
    drones = [topic("Drones", any=["drones"])]
    few = ArticleText(title="Lake report", body="Flamingos over the lake", language="en")
    assert not Matcher(drones, path).match(few)
    many = ArticleText(title=" ".join(f"w{n}" for n in range(100)), body=few.body, language="en")
    assert Matcher(drones, path).match(many)


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flipped(data: bytes) -> bytes:
    return data[:-10] + bytes([data[-10] ^ 0x20]) + data[-9:]


def _foreign(data: bytes) -> bytes:
    return b"SQLite format 3\x00" + data[16:]


def _bad_header(data: bytes) -> bytes:
    return MAGIC + b'{"format": 1, "edition": 3}\n' + data


def _bad_index(data: bytes) -> bytes:
    # A section whose checksum is right but whose numbers point nowhere.
    tables = {"en": {"drones": "drone"}}
    sizes, raw = keyfile.encode(tables["en"])
    raw = b"\xff\xff\x00\x00" + raw[4:]
    header = {"format": keyfile.FORMAT, "edition": keyfile.keys_edition(),
              "layout": keyfile._LAYOUT, "sections": [["en", *sizes, len(raw), zlib.crc32(raw)]]}
    return MAGIC + json.dumps(header).encode() + b"\n" + raw


@pytest.mark.parametrize(("damage", "message"), [
    (lambda data: b"", "not a word-key cache"),
    (_truncated, "truncated"),
    (_flipped, "checksum of"),
    (_foreign, "not a word-key cache"),
    (_bad_header, "bad header (KeyError)"),
    (lambda data: data + b"x", "trailing bytes"),
    (_bad_index, "entry count"),
], ids=["empty", "truncated", "flipped", "foreign", "bad-header", "trailing", "bad-index"])
def test_a_damaged_file_costs_one_log_line_and_is_rebuilt(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: object, message: str) -> None:
    path = tmp_path / "vedette.db.wordkeys"
    prime(path, TEXTS)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    expected = [Matcher(TOPICS).match(text) for text in TEXTS]

    matcher = Matcher(TOPICS, path)
    with caplog.at_level(logging.INFO, logger="vedette"):
        assert [matcher.match(text) for text in TEXTS] == expected
        matcher.save_word_keys()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1, lines
    assert message in lines[0] and str(path) in lines[0]
    assert "Long-range" in stored_chunks(path)  # rebuilt, and readable again


def test_a_missing_file_is_built_with_one_info_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "state" / "vedette.db.wordkeys"
    with caplog.at_level(logging.INFO, logger="vedette"):
        prime(path, TEXTS)
    assert [r.levelname for r in caplog.records] == ["INFO"]
    assert "Long-range" in stored_chunks(path)
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "vedette.db.wordkeys", "vedette.db.wordkeys.lock"]  # no temp file left behind


def test_a_cache_that_cannot_be_written_is_reported_not_raised(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "vedette.db.wordkeys"
    path.mkdir()  # something else sits where the file goes
    matcher = Matcher(TOPICS, path)
    with caplog.at_level(logging.INFO, logger="vedette"):
        assert [matcher.match(text) for text in TEXTS] == [
            Matcher(TOPICS).match(text) for text in TEXTS]
        matcher.save_word_keys()
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]  # read, save
    assert "not saved" in caplog.records[1].getMessage()


def test_the_file_keeps_the_newest_chunks_within_its_bounds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyfile, "SECTION_CHUNKS", 40)
    path = tmp_path / "vedette.db.wordkeys"
    batches = [[f"w{batch}x{n}a" for n in range(30)] for batch in range(4)]
    for words in batches:  # four runs, each meeting 30 new words
        prime(path, [ArticleText(title=" ".join(words))])
    kept = stored_chunks(path)
    assert len(kept) == 40
    assert set(batches[3]) <= set(kept) and not set(batches[0]) & set(kept)

    monkeypatch.setattr(keyfile, "SECTION_BYTES", 300)
    prime(path, [ArticleText(title=" ".join(f"z{n}" * 5 for n in range(100)))])
    assert len(keyfile.read_sections(path)["en"][4]) <= 300


def test_saves_from_two_processes_are_merged(tmp_path: Path) -> None:
    # Both read the file before either saved (two workers starting together): the second
    # save must keep what the first one added.
    path = tmp_path / "vedette.db.wordkeys"
    first, second = Matcher(TOPICS, path), Matcher(TOPICS, path)
    first.match(ArticleText(title="alpha bravo", language="en"))
    second.match(ArticleText(title="charlie delta", language="en"))
    first.save_word_keys()
    second.save_word_keys()
    assert {"alpha", "bravo", "charlie", "delta"} <= set(stored_chunks(path))


def _match_all(pool: CpuPool, texts: list[ArticleText]) -> list[object]:
    async def run() -> list[object]:
        return [await pool.match(text) for text in texts]

    return asyncio.run(run())


def _wait_for(path: Path, chunk: str) -> list[str]:
    deadline = time.monotonic() + 60  # a bound for a stuck worker, not a timing assert
    while chunk not in (found := stored_chunks(path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_worker_processes_save_for_the_next_run(tmp_path: Path) -> None:
    state = tmp_path / "state" / "vedette.db"
    expected = [Matcher(TOPICS).match(text) for text in TEXTS]
    pool = CpuPool(2, TOPICS, state)
    assert pool.processes
    assert _match_all(pool, TEXTS) == expected
    pool.close()  # the workers exit, and save on their way out
    assert "(Reuters)" in _wait_for(cache_path(state), "(Reuters)")

    again = CpuPool(2, TOPICS, state)
    assert _match_all(again, TEXTS) == expected
    again.close()


def test_each_state_has_its_own_cache(tmp_path: Path) -> None:
    one, other = tmp_path / "a" / "vedette.db", tmp_path / "b" / "other.db"
    pools = CpuPool(1, TOPICS, one), CpuPool(1, TOPICS, other)
    _match_all(pools[0], [ArticleText(title="alpha bravo")])
    _match_all(pools[1], [ArticleText(title="charlie delta")])
    for pool in pools:
        pool.close()
    assert cache_path(one) == tmp_path / "a" / "vedette.db.wordkeys"
    assert set(stored_chunks(cache_path(one))) == {"alpha", "bravo"}
    assert set(stored_chunks(cache_path(other))) == {"charlie", "delta"}


LOI = Story(
    slug="loi", title="Ukraine and Lithuania sign letter of intent",
    paragraphs=["The two governments signed a letter of intent on joint production of "
                "long-range drones, officials said."],
    published=recent(2))
PLANT = Story(
    slug="plant", title="Factory for long-range drones opens",
    paragraphs=["A new plant will build long-range drones (Shahed-type) for the army."],
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
                    topics=[{"name": "Long-range drones", "any": ["long-range drone"]}],
                    settings={"extraction_workers": 2})
    cache = cache_path(workspace.state)

    first = workspace.run("crawl")
    assert first.returncode == 0, first.stderr
    assert "governments" in stored_chunks(cache)

    _publish(site, [PLANT, LOI])
    second = workspace.run("crawl")
    assert second.returncode == 0, second.stderr
    assert {"governments", "(Shahed-type)"} <= set(stored_chunks(cache))
    with sqlite3.connect(workspace.state) as db:
        titles = {title for (title,) in db.execute(
            "SELECT a.title FROM matches m JOIN articles a ON a.id = m.article_id")}
    assert titles == {LOI.title, PLANT.title}
