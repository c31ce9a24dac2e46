"""A digest as Slack Block Kit messages: escaped, formatted, and split to Slack's limits.

Scraped text (titles, snippets, sources, terms, URLs) is hostile. In mrkdwn it has `&`, `<`
and `>` turned into entities, so `<!channel>` or `<https://evil|Click>` stay literal, and
the formatting characters `*`, `_`, `~` and the backtick replaced with lookalikes
(∗ ˍ ∼ ˋ), so a headline can neither open nor close a bold, italic, strike or code span.
Every mrkdwn text object is `verbatim`: Slack links, mentions and channel names only where
we wrote them. Only http/https URLs become links; `|`, `<` and `>` in them are
percent-encoded so they can't end the link early.

Block Kit JSON is built here in code rather than in a Jinja template: every field has a
length limit, and the message boundaries depend on the rendered lengths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alerts.render import RenderedDigest, shared_context
from alerts.safetext import Segment

MAX_BLOCKS = 50
"""Slack's limit of blocks per message."""
FIELD_MAX = 3000
"""Slack's limit for a section's text (also applied to context elements)."""
HEADER_MAX = 150
"""Slack's limit for a header block's text."""
MESSAGE_MAX = 12_000
"""Our limit for all text in one message: Slack refuses messages whose blocks hold about
13,200 characters (`msg_blocks_too_long`), although no single field is over its limit."""
TITLE_MAX = 500
"""Longest title (escaped); the rest of a section's 3,000 characters is the snippet's."""
URL_MAX = 1500
"""Longer URLs are not made links (they could not be shortened without breaking them)."""
SNIPPET_MIN = 40
"""A further snippet is left out rather than cut to less than this."""
ELLIPSIS = "…"

_MRKDWN = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"),  # "&" first
           ("*", "\u2217"), ("_", "\u02cd"), ("~", "\u223c"), ("`", "\u02cb"))
_URL = (("&", "&amp;"), ("<", "%3C"), (">", "%3E"), ("|", "%7C"))
_OVERHEAD = 2  # header and intro context in every message


def mrkdwn_escape(text: str) -> str:
    """`text` as inert mrkdwn: `& < >` as entities, `* _ ~ \\`` as lookalikes."""
    return _replace(text, _MRKDWN)


def width(text: str) -> int:
    """Length as Slack may count it: UTF-16 code units (never less than `len`)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clip(text: str, limit: int, *, plain: bool = False, label: bool = False) -> str:
    """`text` escaped for mrkdwn (as is when `plain`), at most `limit` wide.

    A cut text ends with "…"; the cut falls between characters of the source text, so
    never inside an entity such as `&amp;`.
    """
    def escape(piece: str) -> str:
        if plain:
            return piece
        piece = mrkdwn_escape(piece)
        return piece.replace("|", "\u2223") if label else piece  # "|" could end the URL part

    whole = escape(text)
    if width(whole) <= limit:
        return whole
    if limit < 1:
        return ""
    room = limit - width(ELLIPSIS)
    low, high = 0, min(len(text), limit)  # the longest prefix whose escape fits `room`
    while low < high:
        middle = (low + high + 1) // 2
        if width(escape(text[:middle])) <= room:
            low = middle
        else:
            high = middle - 1
    return escape(text[:low]).rstrip() + ELLIPSIS


def snippet_mrkdwn(segments: Sequence[Segment], limit: int) -> str:
    """A snippet with its matched terms in bold, at most `limit` wide."""
    pieces: list[tuple[str, bool]] = []
    for segment in segments:
        if not segment.mark:
            pieces.append((segment.text, False))
            continue
        core = segment.text.strip()  # "* term*" would not be bold
        start = segment.text.index(core) if core else len(segment.text)
        pieces += [(segment.text[:start], False), (core, True),
                   (segment.text[start + len(core):], False)]
    out: list[str] = []
    used = 0
    for text, bold in pieces:
        if not text:
            continue
        room = limit - used - (2 if bold else 0)
        piece = clip(text, room)
        cut = piece != mrkdwn_escape(text)
        if not piece.strip(ELLIPSIS):
            if used + width(ELLIPSIS) <= limit:
                out.append(ELLIPSIS)
            break
        piece = f"*{piece}*" if bold else piece
        out.append(piece)
        used += width(piece)
        if cut:
            break
    return "".join(out)


def link_url(url: str) -> str:
    """An http(s) URL written so that it can sit inside `<URL|label>`."""
    return _replace(url, _URL)


def build_messages(digest: RenderedDigest) -> list[dict[str, Any]]:
    """The webhook payloads for `digest`, in order: every article once, each message within
    Slack's limits, headers numbered "(k/n)" when there is more than one."""
    return [message for message, _ in build_parts(digest)]


def build_parts(digest: RenderedDigest) -> list[tuple[dict[str, Any], int]]:
    """`build_messages`, each payload with the number of articles it shows: the first k
    messages show the first (sum of their counts) of `digest.items`, the order shown."""
    context = shared_context(digest)
    intro = _context(f"Vedette digest *{clip(context['digest'], 200)}* · "
                     f"{clip(context['generated'], 100)}")
    bodies: list[list[dict[str, Any]]] = []
    counts: list[int] = []
    body: list[dict[str, Any]] = []
    used = count = 0
    budget = MESSAGE_MAX - HEADER_MAX - _chars(intro)
    for topic in context["topics"]:
        for number, article in enumerate(topic["articles"]):
            unit = _article(article)
            heading = [] if body and number else [_topic(topic, continued=number > 0)]
            if body and (len(body) + len(heading) + len(unit) > MAX_BLOCKS - _OVERHEAD
                         or used + _chars(*heading, *unit) > budget):
                bodies.append(body)
                counts.append(count)
                body, used, count, heading = [], 0, 0, [_topic(topic, continued=number > 0)]
            body += heading + unit
            used += _chars(*heading, *unit)
            count += 1
    if context.get("left_out"):
        unit = [_left_out(context)]
        if body and (len(body) + 1 > MAX_BLOCKS - _OVERHEAD or used + _chars(*unit) > budget):
            bodies.append(body)
            counts.append(count)
            body, count = [], 0
        body += unit
    if body or not bodies:
        bodies.append(body or [_section("Nothing new matched your topics since the last digest.")])
        counts.append(count)
    total = len(bodies)
    messages = []
    for index, blocks in enumerate(bodies, 1):
        suffix = f" ({index}/{total})" if total > 1 else ""
        title = clip(context["subject"], HEADER_MAX - width(suffix), plain=True) + suffix
        header = {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": False}}
        messages.append({
            "text": clip(context["subject"], 300) + suffix,
            "blocks": [header, intro, *blocks],
            "unfurl_links": False,
            "unfurl_media": False,
        })
    return list(zip(messages, counts, strict=True))


def _article(article: dict[str, Any]) -> list[dict[str, Any]]:
    """A section (linked title, snippet) and a context block (source, time, terms)."""
    link = article["link"]
    if link and width(link_url(link)) <= URL_MAX:
        head = f"*<{link_url(link)}|{clip(article['title'], TITLE_MAX, label=True)}>*"
    else:
        head = f"*{clip(article['title'], TITLE_MAX)}*"
    text = head
    for snippet in (article["snippet"], *article["more_snippets"]):
        room = FIELD_MAX - width(text) - 1
        if snippet and room > SNIPPET_MIN:
            text += "\n" + snippet_mrkdwn(snippet, room)
    details = [clip(article["source"], 200), clip(article["published"], 100)]
    if article["terms"]:
        details.append("matched: " + clip(", ".join(article["terms"]), 1000))
    if article["url"] and not link:
        details.append("not a web link: " + clip(article["url"], 500))
    elif link and width(link_url(link)) > URL_MAX:
        details.append("link too long to show")
    return [_section(text), _context(" · ".join(details))]


def _left_out(context: dict[str, Any]) -> dict[str, Any]:
    """One section: how many matches the cap left out, and from which sources."""
    lines = [f"*Not shown ({context['left_out']:,})*", clip(context["left_out_note"], 500)]
    lines += [f"• {clip(line, 120)}" for line in context["left_out_lines"]]
    return _section(clip("\n".join(lines), FIELD_MAX, plain=True))


def _topic(topic: dict[str, Any], *, continued: bool) -> dict[str, Any]:
    more = " (continued)" if continued else ""
    return _section(f"*{clip(topic['name'], 200)}* ({topic['count']}){more}")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _replace(text: str, pairs: Sequence[tuple[str, str]]) -> str:
    for old, new in pairs:  # str.replace: much faster than str.translate with a dict
        text = text.replace(old, new)
    return text


def _chars(*blocks: dict[str, Any]) -> int:
    """All text in `blocks`, as Slack counts it toward a message's size."""
    total = 0
    for block in blocks:
        for text in [block.get("text"), *block.get("elements", ())]:
            if isinstance(text, dict):
                total += width(str(text.get("text", "")))
    return total
