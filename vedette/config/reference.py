"""The config reference (docs/config.md), written from the models' field docstrings so the
documentation cannot drift from what the loader accepts."""

from __future__ import annotations

import inspect
import json
import re
from datetime import timedelta
from typing import Any, Literal, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from vedette.config import schema
from vedette.config.channels import CHANNEL_TYPES
from vedette.config.sources import SOURCE_TYPES
from vedette.config.types import format_size
from vedette.config.yamllimits import MAX_DEPTH, MAX_FILE_BYTES, MAX_INTEGER, MAX_VALUES


def _sections() -> list[tuple[str, str, type[BaseModel]]]:
    found: list[tuple[str, str, type[BaseModel]]] = [
        ("settings", "`settings:` — the installation", schema.Settings),
        ("health", "`settings: health:` — source-health notices (daemon)", schema.Health),
    ]
    found += [(kind, f"`sources:` — `type: {kind}`", model) for kind, model in SOURCE_TYPES.items()]
    found += [("topics", "`topics:` — what to match", schema.Topic),
              ("terms", "Terms in `any` / `all` / `none`", schema.TermSpec)]
    found += [(kind, f"`channels:` — `type: {kind}`", model)
              for kind, model in CHANNEL_TYPES.items()]
    found.append(("digests", "`digests:` — when and where", schema.Digest))
    return found


SECTIONS: list[tuple[str, str, type[BaseModel]]] = _sections()
"""(anchor, title, model) of every table: each section, and each kind of source and channel."""

# The numbers come from the limits themselves, so the page cannot drift from them.
_LIMITS = f"""**Limits of a file.** A config file holds at most \
{MAX_FILE_BYTES // 1024**2}MiB, {MAX_VALUES:,} values, and lists and
mappings nested {MAX_DEPTH} deep; an alias (`*name`, which repeats what `&name` marked) counts
as every value it repeats, so a few lines of nested aliases (an "alias bomb") are refused,
never expanded. Whole numbers are at most {MAX_INTEGER:,} (2⁶³ − 1).
Webhook URLs are checked as they will be used (a port from 1 to 65535, a valid host name;
an international one must be valid IDNA): a URL that could never be sent to is refused.

"""

INTRO = """# Configuration reference

Vedette reads every `*.yaml` file in its config folder (`--config DIR`, else
`$VEDETTE_CONFIG`, else `./config`) and merges them; each top-level section (`settings`,
`sources`, `topics`, `channels`, `digests`) may appear in one file only. Relative paths
resolve against the config folder. `${VAR}` and `${VAR:-default}` in any value are taken
from the environment: keep passwords and webhook URLs there. Unknown keys are errors.

Durations are written `30s`, `15m`, `4h`, `7d`, `2w`; sizes `10MB`, `512KiB` or bytes;
schedules as a 5-field cron expression (`"*/30 * * * *"`), an interval (`every 15m`), or,
for digests, `immediate`.

{LIMITS}
**Emptying a section while the daemon runs.** A running daemon refuses an edit that leaves
it no topics or no sources at all, unless a file says so: `topics: []` (or `sources: []`).
An emptied or deleted `keywords.yaml`, or a save caught half-done, keeps the running
topics and logs why. `vedette check` and a fresh start take either form.

**Editor support.** `vedette schema > vedette.schema.json` writes the JSON Schema of these
files. With the YAML language server (VS Code's YAML extension, Neovim, Helix, …), put
`# yaml-language-server: $schema=../vedette.schema.json` on the first line of each YAML
file, or map `config/*.yaml` to the schema in the editor's settings; unknown keys and
wrong types are then flagged as you type, and keys complete with their descriptions.

**Writing topics.** [matching.md](matching.md) explains the `query:` language (AND, OR,
NOT, NEAR/n, `title:`, `drone*`, `=HIMARS`), how words and inflections match, and the
`languages:` hint.

**Tuning a topic.** `vedette test-topic NAME [--days 30]` runs a topic as it is written
now over the articles stored in the last days (their text is kept for
`settings.keep_text`) and shows how many match, which terms hit, and sample sentences.

This file is generated from the code (`python -m vedette.config.reference > docs/config.md`);
a test keeps it current.
""".replace("{LIMITS}\n", _LIMITS)  # a str.format would trip over ${VAR}


# "default 587 for starttls…", "(default settings.timezone)", "defaults to the slug of…",
# "Default: every language…": what an unset key means, as its docstring already says it.
_STATED_DEFAULT = re.compile(r"\b[Dd]efaults?(?: to)?:?\s+(.+?)(?=[;)]|\.(?:\s|$)|$)")


def describe(field: FieldInfo) -> str:
    """A field's docstring as one line of Markdown table text."""
    return " ".join((field.description or "").split()).replace("|", "\\|")


def model_summary(model: type[BaseModel]) -> str:
    """The first paragraph of a model's own docstring, as one line ("" without one)."""
    doc = model.__dict__.get("__doc__")
    if not doc or not doc.strip():
        return ""
    return " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())


def default_text(field: FieldInfo) -> str:
    """A key's default as a user reads it: `7d`, `10MiB`, `true`, or, for a key that is
    unset by default, what its docstring says happens then."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None or value == "" or value == []:
        stated = _STATED_DEFAULT.search(describe(field))
        if stated:
            return stated.group(1).strip()
        if value is None or value == "":
            return "not set"
    return f"`{_yaml(value)}`"


def duration_text(value: timedelta) -> str:
    """A duration as people write it: the largest unit that gives a whole number of at
    least 2 (`24h` rather than `1d`, `7d` rather than `1w`, `60s` rather than `1m`)."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= 2 * size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _yaml(value: Any) -> str:
    """A default value written as it would be in the YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return duration_text(value)
    if isinstance(value, int) and value >= 1024 and value % 1024 == 0:
        return format_size(value)  # 64KiB, 5MiB, 1GiB
    if isinstance(value, str) and value.startswith("vedette/"):
        return "vedette/<version>"
    if isinstance(value, list):
        return json.dumps([_yaml(item) for item in value], ensure_ascii=False)
    if isinstance(value, BaseModel):  # a nested section: its own keys' defaults, inline
        return ", ".join(f"{field.alias or name}: {_yaml(getattr(value, name))}"
                         for name, field in type(value).model_fields.items()
                         if getattr(value, name) is not None)
    return str(value)


def render_reference() -> str:
    parts = [INTRO]
    for _, title, model in SECTIONS:
        parts.append(f"\n## {title}\n")
        summary = model_summary(model)
        if summary:
            parts.append(summary + "\n")
        parts.append("\n| key | default | meaning |\n|---|---|---|")
        for name, field in model.model_fields.items():
            key = field.alias or name
            if key == "type" and get_origin(field.annotation) is Literal:
                continue  # the kind's discriminator: the section title names it
            parts.append(f"| `{key}` | {default_text(field)} | {describe(field)} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    print(render_reference(), end="")
