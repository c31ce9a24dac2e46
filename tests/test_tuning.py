"""`vedette test-topic` and `vedette schema`."""

from __future__ import annotations

import json

from tests.conftest import Workspace
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite
from vedette.config.schema import json_schema


def serve(site: LocalSite, articles: list[tuple[str, str]]) -> None:
    """A feed of one-paragraph articles (title, text), published an hour ago, at /feed.xml."""
    stories = [Story(slug=f"s{n}", title=title, published=recent(1), paragraphs=[text])
               for n, (title, text) in enumerate(articles)]
    for story in stories:
        site.add(f"/news/{story.slug}", article_page(story))
    site.add("/feed.xml", rss_feed(site.base, [(site.url(f"/news/{s.slug}"), s) for s in stories]),
             content_type="application/rss+xml")


def test_test_topic_runs_the_rule_as_written_now(workspace: Workspace, site: LocalSite) -> None:
    serve(site, [("HIMARS delivered", "Ukraine received more HIMARS launchers on Monday."),
                 ("Himars? No: poetry", "The poet wrote about himars, a word she made up."),
                 ("Budget", "Nothing about rockets here.")])
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=[{"name": "Rockets", "any": ["himars"]}])
    assert workspace.run("crawl").returncode == 0

    loose = workspace.run("test-topic", "Rockets")
    workspace.write("keywords.yaml", {"topics": [{"name": "Rockets", "any": ["=HIMARS"]}]})
    exact = workspace.run("test-topic", "rockets", "--days", "1")
    workspace.write("keywords.yaml", {"topics": [
        {"name": "Rockets", "query": "(himars OR rocket*) NEAR/2 launcher* NOT poet"}]})
    query = workspace.run("test-topic", "Rockets")
    missing = workspace.run("test-topic", "Nope")
    workspace.write("keywords.yaml", {"topics": [
        {"name": "Rockets", "query": "himars NEAR/2 (launcher OR"}]})
    broken = workspace.run("test-topic", "Rockets")

    assert loose.returncode == 0, loose.stderr
    assert "2 of 3 articles" in loose.stdout
    assert exact.returncode == 0 and "1 of 3 articles" in exact.stdout
    assert "**HIMARS**" in exact.stdout and "poetry" not in exact.stdout
    assert query.returncode == 0 and "1 of 3 articles" in query.stdout, query.stdout
    assert "**HIMARS** **launchers**" in query.stdout
    # A NEAR topic records the near pairs: the title's lone "HIMARS" is not one of them.
    assert "matched: himars (body), launcher* (body)" in query.stdout
    assert "terms that hit: himars (1), launcher* (1)" in query.stdout
    assert broken.returncode == 2
    assert "keywords.yaml:3:36: topics[0].query: the query ends where a term was expected" in broken.stderr
    assert missing.returncode == 2 and "no topic named 'Nope'" in missing.stderr


def test_test_topic_over_stored_articles_uses_todays_word_keys(
        workspace: Workspace, site: LocalSite) -> None:
    # Articles stored under any earlier edition of the keys are matched with the keys of
    # the code that runs now: lemmas tell "product" from "production".
    serve(site, [("Startups", "The app is a joint product of two startups."),
                 ("Shells", "Two joint productions of shells start in Lviv."),
                 ("Defence", "Kyiv asks for more air defences.")])
    workspace.setup(sources=[{"name": "s", "type": "feed", "url": site.url("/feed.xml")}],
                    topics=[{"name": "JP", "any": ["joint production", "air defense"]}])
    assert workspace.run("crawl").returncode == 0

    found = workspace.run("test-topic", "JP")

    assert found.returncode == 0, found.stderr
    assert "2 of 3 articles" in found.stdout, found.stdout
    assert "Startups" not in found.stdout
    assert "**joint productions**" in found.stdout and "**air defences**" in found.stdout


def test_schema_describes_every_section_and_forbids_unknown_keys(workspace: Workspace) -> None:
    result = workspace.run("schema")
    assert result.returncode == 0
    printed = json.loads(result.stdout)
    assert printed == json_schema()
    assert set(printed["properties"]) == {"settings", "sources", "topics", "channels", "digests"}
    assert printed["additionalProperties"] is False
    topic = printed["$defs"]["Topic"]
    assert topic["additionalProperties"] is False
    assert "string" in json.dumps(topic["properties"]["any"])


def test_schema_accepts_the_shipped_config_and_flags_mistakes() -> None:
    import jsonschema
    import yaml

    from tests.conftest import ROOT

    validator = jsonschema.Draft202012Validator(json_schema())
    for path in sorted((ROOT / "config").glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(document)) == [], path.name
    wrong = {"topics": [{"name": "X", "any": ["x", {"term": "Y", "exact": True}], "nay": []}],
             "sources": [{"name": "s", "type": "feed", "url": "https://e.org", "schedul": "x"}]}
    messages = [error.message for error in validator.iter_errors(wrong)]
    assert any("nay" in m for m in messages) and any("schedul" in m for m in messages)
