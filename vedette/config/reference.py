"""The config reference (docs/config.md), written from the models' field docstrings so the
documentation cannot drift from what the loader accepts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from vedette.config import schema

SECTIONS: list[tuple[str, str, type[BaseModel]]] = [
    ("settings", "`settings:` — the installation", schema.Settings),
    ("health", "`settings: health:` — source-health notices (daemon)", schema.Health),
    ("sources", "`sources:` — `type: feed`", schema.FeedSource),
    ("topics", "`topics:` — what to match", schema.Topic),
    ("terms", "Terms in `any` / `all` / `none`", schema.TermSpec),
    ("email", "`channels:` — `type: email`", schema.EmailChannel),
    ("file", "`channels:` — `type: file`", schema.FileChannel),
    ("slack", "`channels:` — `type: slack`", schema.SlackChannel),
    ("apprise", "`channels:` — `type: apprise`", schema.AppriseChannel),
    ("digests", "`digests:` — when and where", schema.Digest),
]

INTRO = """# Configuration reference

Vedette reads every `*.yaml` file in its config folder (`--config DIR`, else
`$VEDETTE_CONFIG`, else `./config`) and merges them; each top-level section (`settings`,
`sources`, `topics`, `channels`, `digests`) may appear in one file only. Relative paths
resolve against the config folder. `${VAR}` and `${VAR:-default}` in any value are taken
from the environment: keep passwords and webhook URLs there. Unknown keys are errors.

Durations are written `30s`, `15m`, `4h`, `7d`, `2w`; sizes `10MB`, `512KiB` or bytes;
schedules as a 5-field cron expression (`"*/30 * * * *"`), an interval (`every 15m`), or,
for digests, `immediate`.

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
"""


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default
    if value is PydanticUndefined or value is None:
        return "—"
    if hasattr(value, "total_seconds"):
        seconds = int(value.total_seconds())
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0 and seconds >= size:
                return f"`{seconds // size}{unit}`"
        return f"`{seconds}s`"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1024 * 1024:
        return f"`{value // (1024 * 1024)}MiB`"
    if isinstance(value, str) and value.startswith("vedette/"):
        return "`vedette/<version>`"
    if isinstance(value, list):
        return f"`{value}`" if value else "`[]`"
    return f"`{value}`"


def render_reference() -> str:
    parts = [INTRO]
    for _, title, model in SECTIONS:
        parts.append(f"\n## {title}\n")
        if model.__doc__ and model.__module__ == schema.__name__ and model.__doc__.strip():
            parts.append(model.__doc__.strip().splitlines()[0] + "\n")
        parts.append("\n| key | default | meaning |\n|---|---|---|")
        for name, field in model.model_fields.items():
            if model is schema.Config or name == "directory":
                continue
            key = field.alias or name
            if key == "type":
                continue
            description = (field.description or "").replace("\n", " ").replace("|", "\\|")
            parts.append(f"| `{key}` | {_default(field)} | {description} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    print(render_reference(), end="")
