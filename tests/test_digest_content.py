"""What the analyst reads: syndicated copies folded into one entry, the footer, templates
the user overrides (rendered in a sandbox)."""

from __future__ import annotations

from tests.conftest import Workspace
from tests.support.pages import Story, article_page, recent, rss_feed
from tests.support.site import LocalSite

TOPICS = [{"name": "Joint production", "any": ["joint production"]}]
WIRE = [
    "Ukraine and Lithuania signed a letter of intent on joint production of long-range drones "
    "on Monday, the defence ministries of both countries said in a joint statement.",
    *[f"Paragraph {n}: the agreement covers design, testing, certification and the supply of "
      "components, and opens the way for companies from both countries to set up joint "
      "ventures, officials said, adding that financing would be discussed next month."
      for n in range(8)],
]


def two_outlets_one_wire_story(site: LocalSite) -> None:
    for outlet, slug in (("a", "wire-a"), ("b", "wire-b")):
        story = Story(slug=slug, title=f"Outlet {outlet.upper()}: allies to build drones together",
                      paragraphs=WIRE, published=recent(1),
                      sidebar=[f"Other news on outlet {outlet}"])
        site.add(f"/news/{slug}", article_page(story))
        site.add(f"/{outlet}.xml", rss_feed(site.base, [(site.url(f"/news/{slug}"), story)]),
                 content_type="application/rss+xml")


def test_syndicated_copy_is_shown_once_with_also_reported_by(
        workspace: Workspace, site: LocalSite) -> None:
    two_outlets_one_wire_story(site)
    workspace.setup(sources=[{"name": "outlet-a", "type": "feed", "url": site.url("/a.xml")},
                             {"name": "outlet-b", "type": "feed", "url": site.url("/b.xml")}],
                    topics=TOPICS)

    assert workspace.run("crawl", "outlet-a").returncode == 0
    assert workspace.run("crawl", "outlet-b").returncode == 0
    result = workspace.run("digest")

    assert result.returncode == 0, result.stderr
    [text_file] = workspace.outbox.glob("daily-*.txt")
    text = text_file.read_text(encoding="utf-8")
    assert text.count("allies to build drones together") == 1
    assert "Also reported by: outlet-b " + site.url("/news/wire-b") in text
    [html_file] = workspace.outbox.glob("daily-*.html")
    assert f'href="{site.url("/news/wire-b")}"' in html_file.read_text(encoding="utf-8")


def test_footer_names_the_digest_and_its_topics_but_no_server_path(
        workspace: Workspace, site: LocalSite) -> None:
    two_outlets_one_wire_story(site)
    workspace.setup(sources=[{"name": "outlet-a", "type": "feed", "url": site.url("/a.xml")}],
                    topics=[*TOPICS, {"name": "Air defence", "any": ["air defence"]}])

    assert workspace.run("run", "--once").returncode == 0

    [text_file] = workspace.outbox.glob("daily-*.txt")
    text = text_file.read_text(encoding="utf-8")
    assert 'digest "daily", covering: Joint production, Air defence.' in text
    [html_file] = workspace.outbox.glob("daily-*.html")
    html = html_file.read_text(encoding="utf-8")
    assert "covering: Joint production, Air defence" in html
    for content in (text, html):
        assert str(workspace.root) not in content
        assert "keywords.yaml" not in content


def test_user_templates_are_used_and_sandboxed(workspace: Workspace, site: LocalSite) -> None:
    two_outlets_one_wire_story(site)
    templates = workspace.root / "templates" / "email"
    templates.mkdir(parents=True)
    (templates / "digest.txt.j2").write_text(
        "CUSTOM {{ subject }}\n{% for t in topics %}{% for a in t.articles %}- {{ a.title }}\n"
        "{% endfor %}{% endfor %}", encoding="utf-8")
    workspace.setup(sources=[{"name": "outlet-a", "type": "feed", "url": site.url("/a.xml")}],
                    topics=TOPICS, settings={"templates": str(workspace.root / "templates")})

    assert workspace.run("run", "--once").returncode == 0
    [text_file] = workspace.outbox.glob("daily-*.txt")
    assert text_file.read_text(encoding="utf-8").startswith("CUSTOM 1 new: Joint production (1)")
    [html_file] = workspace.outbox.glob("daily-*.html")  # not overridden: the shipped one
    assert "<!DOCTYPE html>" in html_file.read_text(encoding="utf-8")

    (templates / "digest.txt.j2").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    story = Story(slug="n2", title="Joint production news", paragraphs=["joint production"],
                  published=recent(0.2))
    site.add("/news/n2", article_page(story))
    site.add("/a.xml", rss_feed(site.base, [(site.url("/news/n2"), story)]),
             content_type="application/rss+xml")
    result = workspace.run("run", "--once")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and "template error: SecurityError" in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert workspace.query("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == [(1,)]
