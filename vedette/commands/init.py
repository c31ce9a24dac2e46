"""`vedette init [DIR]`: write the commented starter config for someone who installed Vedette
with pip (the same files as the checkout's config/, shipped inside the package)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from vedette.output import Output

EXIT_OK, EXIT_USAGE = 0, 2
STARTER_FILES = ("settings.yaml", "sources.yaml", "keywords.yaml", "alerts.yaml")


def starter_text(name: str) -> str:
    return resources.files("vedette").joinpath("starter", name).read_text(encoding="utf-8")


def init(folder: Path, out: Output) -> int:
    """Write the starter files into `folder`; refuse when it already holds any YAML (writing
    beside an existing config would merge with it, or overwrite what someone wrote)."""
    if folder.exists() and not folder.is_dir():
        out.error(f"{folder}: exists and is not a folder; nothing written")
        return EXIT_USAGE
    existing = sorted(p.name for p in folder.glob("*.y*ml")) if folder.is_dir() else []
    if existing:
        out.error(f"{folder}: already holds a config ({', '.join(existing)}); nothing written "
                  "(choose another folder, or remove these files first)")
        return EXIT_USAGE
    texts = {name: starter_text(name) for name in STARTER_FILES}
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            with open(folder / name, "x", encoding="utf-8") as handle:  # never overwrite
                written.append(folder / name)
                handle.write(text)
    except OSError as exc:
        for path in written:  # all four or none: a half-written config would block a retry
            path.unlink(missing_ok=True)
        out.error(f"{exc.filename or folder}: cannot write the starter config: "
                  f"{exc.strerror or exc}")
        return EXIT_USAGE

    from vedette.config import load_config  # the files just written must load as they are

    config = load_config(folder)
    where = folder.resolve()
    out.line(f"Wrote the starter config to {where}: {', '.join(STARTER_FILES)}")
    out.line(f"  state (articles, matches, deliveries): {config.settings.state.resolve()}")
    for name, channel in config.channels.items():
        directory = getattr(channel, "directory", None)
        if directory is not None:
            out.line(f"  digests of channel {name!r} are written to: {directory.resolve()}")
    flag = "" if folder == Path("config") else f" --config {folder}"
    out.line("Next: edit sources.yaml and keywords.yaml (every key: docs/config.md), then")
    out.line(f"  vedette{flag} check")
    out.line(f"  vedette{flag} run --once")
    return EXIT_OK
