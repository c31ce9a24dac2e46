"""Digest rendering: time to render a 500-match digest and build every channel's messages.

A generated digest of 500 pending matches (six topics, headlines and ~200–300-character
snippets with one to three highlights each, a quarter of them in Ukrainian, some with
syndicated copies) is rendered once per repetition by the shared `render_digest` (text,
HTML and the JSON data), then each channel builds what it would send, without any
network or disk:

- email: `EmailChannel.build_message`, flattened to bytes as aiosmtplib does on send
  (SMTP policy, 8bit);
- Slack: `SlackChannel.messages`, every payload JSON-encoded as `send` posts it;
- Apprise: `AppriseChannel.build_message` in the default `markdown` format (`text` and
  `html` hand over the shared render as it is);
- file: the three file contents, encoded, as `FileChannel.write` builds them.

Each channel's timing includes `Channel.create` from its config, since the daemon creates
the channel for every send. The first (cold) round, which compiles the templates, is
reported apart; the median and p95 are over the warm repetitions. `+render` adds the median
render to a channel's median build: what a digest sent on that channel alone costs before
the network (`send_digest` shares one render among channels with the same pending
matches). Target: under 100 ms per channel on the development machine; PASS when the p95
is under it.

Run from the repository root: python bench/render.py [--matches 500] [--repeat 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtplib.email import flatten_message

from alerts.channels import AppriseChannel, Channel, EmailChannel, FileChannel, SlackChannel
from alerts.channels.file import file_stem
from alerts.render import RenderedDigest, render_digest
from vedette.config import slugify
from vedette.config.channels.apprise import AppriseChannel as AppriseConfig
from vedette.config.channels.email import EmailChannel as EmailConfig
from vedette.config.channels.file import FileChannel as FileConfig
from vedette.config.channels.slack import SlackChannel as SlackConfig
from vedette.store import PendingItem

TARGET_MS = 100.0
RENDER = "render_digest (text+HTML+data)"
GENERATED = dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.UTC)
TOPICS = {  # name: terms highlighted in its snippets
    "Joint production": ("joint production", "co-production"),
    "Long-range drones": ("long-range drones", "long-range strike"),
    "Air defence": ("air defence", "interceptor missiles"),
    "Artillery shells": ("155 mm shells", "artillery ammunition"),
    "Defence budget": ("defence budget", "procurement plan"),
    "Спільне виробництво": ("спільне виробництво", "далекобійних дронів"),
}
SOURCES = ("lrt", "defense-news", "ukrinform", "kyiv-independent", "breaking-defense", "delfi")
ENGLISH = (
    "Lithuania and Ukraine sign memorandum on {term} of military equipment",
    "Ministry confirms {term} contract with three industrial partners",
    "Parliament approves {term} after a long debate over the schedule",
    "NATO allies discuss {term} at the Vilnius summit; officials cautious",
    "Factory in Poland to expand {term} by 2027, minister says",
    "Analysis: what the new {term} agreement means for the frontline",
)
UKRAINIAN = (
    "Україна та Литва домовилися про {term} озброєння",
    "Міністерство оборони підтвердило контракт: {term} з трьома партнерами",
    "Уряд схвалив програму, що передбачає {term} до 2027 року",
)
FILLER = (
    "officials said on Tuesday that the programme would move ahead as planned",
    "the budget for the next three years includes additional funds for the industry",
    "partners from Poland and the Baltic states are expected to join the effort",
    "the agreement covers research, testing and the supply of components",
    "deliveries are scheduled to begin before the end of the year",
)
FILLER_UK = (
    "заявили посадовці у вівторок, додавши, що програма рухається за планом",
    "бюджет на наступні три роки передбачає додаткове фінансування галузі",
    "очікується, що до ініціативи долучаться партнери з Польщі та країн Балтії",
)


def make_items(count: int, seed: int = 11) -> list[PendingItem]:
    """`count` pending matches, spread over the topics, about a quarter in Ukrainian."""
    rng = random.Random(seed)
    names = list(TOPICS)
    items = []
    for n in range(1, count + 1):
        topic = names[n % len(names)]
        terms = TOPICS[topic]
        ukrainian = topic == "Спільне виробництво" or n % 11 == 0
        term = rng.choice(terms)
        title = rng.choice(UKRAINIAN if ukrainian else ENGLISH).format(term=term)
        filler = FILLER_UK if ukrainian else FILLER
        # A sentence of ~200–300 characters holding one to three hits.
        pieces = [rng.choice(filler).capitalize()]
        for _ in range(rng.randint(1, 3)):
            pieces += [rng.choice(terms), rng.choice(filler)]
        snippet = ", ".join(pieces) + "."
        if len(snippet) > 300:
            snippet = snippet[:299].rstrip() + "…"
        highlights = []
        for hit in terms:
            start = snippet.find(hit)
            while start >= 0:
                highlights.append((start, start + len(hit)))
                start = snippet.find(hit, start + len(hit))
        source = SOURCES[n % len(SOURCES)]
        also = (tuple((s, f"https://{s}.example.com/news/{n}") for s in rng.sample(SOURCES, 2))
                if n % 9 == 0 else ())
        items.append(PendingItem(
            delivery_id=n, match_id=n, topic_id=slugify(topic) or f"topic-{n % 6}",
            topic_name=topic, url=f"https://{source}.example.com/news/2026/11/{n}-{term.replace(' ', '-')}",
            title=title, source=source,
            published=GENERATED - dt.timedelta(minutes=rng.randint(1, 24 * 60)) if n % 13 else None,
            terms=tuple(sorted({t for t in terms if t in snippet} or {term})),
            fields=("body",), snippet=snippet, snippet_field="body",
            highlights=tuple(sorted(highlights)), matched_at=GENERATED,
            also=also,
        ))
    return items


def configs(folder: Path) -> dict[str, Any]:
    return {
        "email": EmailConfig.model_validate({
            "type": "email", "host": "smtp.example.org", "from": "Vedette <vedette@example.org>",
            "to": ["analyst@example.org", "desk@example.org"]}),
        "slack": SlackConfig.model_validate({
            "type": "slack", "webhook_url": "https://hooks.slack.com/services/T0000/B0000/XXXXXXXX"}),
        "apprise": AppriseConfig.model_validate({
            "type": "apprise", "urls": ["json://127.0.0.1:9/x"]}),
        "file": FileConfig.model_validate({"type": "file", "directory": str(folder)}),
    }


def build_email(config: Any, digest: RenderedDigest) -> int:
    channel = Channel.create("team-mail", config)
    assert isinstance(channel, EmailChannel)
    return len(flatten_message(channel.build_message(digest)))


def build_slack(config: Any, digest: RenderedDigest) -> int:
    channel = Channel.create("team-slack", config)
    assert isinstance(channel, SlackChannel)
    bodies = [json.dumps(m, ensure_ascii=False).encode("utf-8") for m in channel.messages(digest)]
    return sum(len(b) for b in bodies)


def build_apprise(config: Any, digest: RenderedDigest) -> int:
    channel = Channel.create("team-alerts", config)
    assert isinstance(channel, AppriseChannel)
    title, body, _ = channel.build_message(digest)
    return len(title.encode("utf-8")) + len(body.encode("utf-8"))


def build_files(config: Any, digest: RenderedDigest) -> int:
    channel = Channel.create("archive", config)
    assert isinstance(channel, FileChannel)
    file_stem(digest)
    contents = [digest.html, digest.text,
                json.dumps(digest.data, ensure_ascii=False, indent=2) + "\n"]
    return sum(len(text.encode("utf-8")) for text in contents)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--matches", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    items = make_items(args.matches)
    channel_configs = configs(Path("/nonexistent/vedette-bench"))  # never written to

    def render() -> RenderedDigest:
        return render_digest(
            "morning", items, timezone="Europe/Vilnius", generated_at=GENERATED,
            topic_order=[slugify(t) for t in TOPICS], covers=list(TOPICS))

    builders: dict[str, Callable[[Any, RenderedDigest], int]] = {
        "email (build + flatten)": build_email,
        "slack (messages + JSON)": build_slack,
        "apprise (markdown)": build_apprise,
        "file (3 contents)": build_files,
    }
    kinds = dict(zip(builders, ("email", "slack", "apprise", "file"), strict=True))
    times: dict[str, list[float]] = {RENDER: [], **{label: [] for label in builders}}
    cold: dict[str, float] = {}
    sizes: dict[str, int] = {}
    for round_number in range(args.repeat + 1):
        elapsed, digest = timed(render)
        measured = {RENDER: elapsed}
        for label, build in builders.items():
            measured[label], sizes[label] = timed(partial(build, channel_configs[kinds[label]], digest))
        if round_number == 0:
            cold = measured
        else:
            for label, value in measured.items():
                times[label].append(value)

    slack_messages = len(SlackChannel("s", channel_configs["slack"]).messages(digest))
    cyrillic = sum(1 for i in items if any("а" <= ch <= "я" for ch in i.title.lower()))
    print(f"digest: {len(items)} matches in {len(TOPICS)} topics ({cyrillic} Cyrillic headlines); "
          f"HTML {len(digest.html) / 1024:.0f} KB, text {len(digest.text) / 1024:.0f} KB, "
          f"{slack_messages} Slack messages")
    print(f"{args.repeat} warm repetitions after one cold round; target < {TARGET_MS:.0f} ms each\n")
    print(f"{'step':32} {'cold':>8} {'median':>8} {'p95':>8} {'+render':>8} {'output':>8}  "
          f"verdict (p95 < {TARGET_MS:.0f} ms)")
    sizes[RENDER] = len(digest.html.encode("utf-8")) + len(digest.text.encode("utf-8"))
    render_median = statistics.median(times[RENDER])
    for label, values in times.items():
        median, p95 = statistics.median(values), percentile(values, 0.95)
        verdict = "PASS" if p95 < TARGET_MS else "FAIL"
        with_render = "" if label == RENDER else f"{median + render_median:6.1f}ms"
        print(f"{label:32} {cold[label]:6.1f}ms {median:6.1f}ms {p95:6.1f}ms {with_render:>8} "
              f"{sizes[label] / 1024:6.0f}KB  {verdict}")
    print("\n+render: median render + median build, what one channel's send costs before the "
          "network\n(send_digest renders once and shares it among channels with the same pending matches).")


if __name__ == "__main__":
    main()
