"""The `vedette` command."""

from __future__ import annotations

import argparse
import gc
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vedette.errors import StateError
from vedette.lock import LockHeld, StateLock

# Imported when a command needs them, not here: the config (pydantic), the output (rich)
# and above all Scrapy and Twisted cost a second of start-up that `--version`, `check`
# and `status` have no use for (docs/performance.md, "Start-up").
if TYPE_CHECKING:
    from vedette.config import Config
    from vedette.output import Output

log = logging.getLogger("vedette")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


# Commands that neither crawl nor send: they run without Twisted's reactor (and without
# importing Scrapy). Every other command installs it first thing, before anything can
# import twisted.internet.reactor (else Scrapy keeps the default one: vedette/reactor.py).
NO_REACTOR = frozenset({"check", "status", "schema", "test-topic", "init", "state"})


class _VersionAction(argparse.Action):
    """`--version`, reading the installed version only when asked (it costs a metadata
    lookup that no other command needs this early)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: Any = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from vedette import __version__

        sys.stdout.write(f"vedette {__version__}\n")  # where argparse's own action prints it
        parser.exit()


def _whole_number(text: str, low: int, high: int) -> int:
    """`text` as a whole number from `low` to `high`, else argparse's usage error (exit 2):
    `int()` alone let `--days 99999999999` through to a timedelta overflow (a traceback)
    and gives up on more than 4,300 digits with a message about Python."""
    if re.fullmatch(r"\s*[+-]?\d{1,20}\s*", text) and low <= int(text) <= high:
        return int(text)
    shown = f"{text!r} is not " if len(text) <= 20 else "expected "
    raise argparse.ArgumentTypeError(f"{shown}a whole number from {low} to {high}")


def _days(text: str) -> int:
    # The longest look back is the longest duration a config may hold (100 years); the
    # config's types are imported now only: test-topic loads the config anyway.
    from vedette.config.types import MAX_DURATION

    return _whole_number(text, 1, MAX_DURATION.days)


def _samples(text: str) -> int:
    return _whole_number(text, 0, 1000)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vedette",
        description="Watch news sites and send digests of the articles that match your topics.",
        epilog="Exit status: 0 all went well; 1 the run finished but something failed "
               "(a source, a delivery); 2 usage or configuration error.",
    )
    parser.add_argument("--config", metavar="DIR",
                        help="config folder (default: $VEDETTE_CONFIG, else ./config)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log lines (-vv for Scrapy's own)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="log lines on stderr as text (default) or one JSON object each")
    parser.add_argument("--version", action=_VersionAction,
                        help="show program's version number and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser(
        "check", help="validate the config; list sources, topics, channels and next runs",
        description="Validate the config and print sources, topics, channels and digests "
                    "with their next run times. Exit 2 when the config is invalid.")
    run = commands.add_parser(
        "run", help="crawl and send on schedule until stopped (--once: one round, for cron)",
        description="Run as a daemon: crawl each source and send each digest on its schedule "
                    "until SIGTERM/SIGINT (exit 0); SIGHUP or an edit of the config folder "
                    "reloads the config. With --once: crawl every source once, then send "
                    "every digest that has pending matches; the form to put in cron.")
    run.add_argument("--once", action="store_true", help="one round, then exit")
    crawl = commands.add_parser(
        "crawl", help="crawl sources now and store matches; send nothing",
        description="Crawl the named sources (default: all) now, store new articles and "
                    "their matches; deliveries stay pending for the digests.")
    crawl.add_argument("sources", nargs="*", metavar="SOURCE", help="source names")
    digest = commands.add_parser(
        "digest", help="send digests now (or preview them)",
        description="Send the named digests (default: all) with what is pending now.")
    digest.add_argument("digests", nargs="*", metavar="NAME", help="digest names")
    digest.add_argument("--preview", metavar="FILE", type=Path,
                        help="write the HTML that would be sent to FILE; send nothing")
    digest.add_argument("--dry-run", action="store_true",
                        help="show what would go to each channel; send and mark nothing")
    tune = commands.add_parser(
        "test-topic", help="run one topic, as written now, over the stored articles",
        description="Run a topic as it is currently written in the YAML against the articles "
                    "already stored, and show how many match, which terms hit, and samples "
                    "with the matching sentence: tune a rule before the next digest.")
    tune.add_argument("topic", metavar="NAME", help="topic name or id")
    tune.add_argument("--days", type=_days, default=30,
                      help="how far back, 1 to 36500 (default 30)")
    tune.add_argument("--samples", type=_samples, default=5,
                      help="examples to show, 0 to 1000 (default 5)")
    commands.add_parser(
        "schema", help="print the config's JSON Schema (for YAML editors)",
        description="Print the JSON Schema of Vedette's config files, for editors that "
                    "validate and complete YAML (see docs/config.md).")
    demo = commands.add_parser(
        "demo", help="offline tour: a bundled sample site, a local SMTP sink, a real digest",
        description="Serve a bundled sample site on 127.0.0.1, run the whole pipeline into a "
                    "local SMTP sink and a file channel, and print where the digest is. Needs "
                    "no network and no config; leaves nothing running.")
    demo.add_argument("--output", metavar="DIR", type=Path,
                      help="where to put the demo's files (default: a new temporary folder)")
    status = commands.add_parser(
        "status", help="per-source health, next runs and pending deliveries; exit 1 when unhealthy",
        description="Show each source's last crawl and health, when each source and digest "
                    "runs next, and the deliveries still pending. Exit 1 when a source is "
                    "failing or stale or a delivery is still pending after its retries failed "
                    "(0 when healthy): fit for monitoring and a container's HEALTHCHECK.")
    status.add_argument("--json", action="store_true",
                        help="one JSON document on stdout, for scripts")
    state = commands.add_parser(
        "state", help="look after the state file (backup)",
        description="Look after the state file named by settings.state.")
    actions = state.add_subparsers(dest="action", required=True, metavar="ACTION")
    backup = actions.add_parser(
        "backup", help="a consistent copy of the state file, safe while Vedette runs",
        description="Copy the state file with SQLite's online backup (safe while the daemon "
                    "runs), check the copy, and only then put it at FILE (default: beside "
                    "the state, named by the time, e.g. state/vedette-backup-"
                    "20260105T070000Z.db). An older backup at FILE is replaced; any other "
                    "file is not. Restoring: docs/operations.md.")
    backup.add_argument("file", nargs="?", metavar="FILE", type=Path,
                        help="where to write the backup")
    init = commands.add_parser(
        "init", help="write the commented starter config into DIR (default ./config)",
        description="Write the commented starter config (settings, sources, keywords, alerts) "
                    "into DIR (default: --config, else $VEDETTE_CONFIG, else ./config). "
                    "Refuses to write into a folder that already holds YAML files.")
    init.add_argument("dir", nargs="?", metavar="DIR", type=Path,
                      help="the config folder to create")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    gc.disable()  # until the command starts: see _started()
    args = build_parser().parse_args(argv)
    if args.command not in NO_REACTOR:
        from vedette import reactor

        reactor.install()  # before anything imports twisted.internet.reactor
    from vedette.output import Output

    out = Output()
    out.configure_logging(args.verbose, json_lines=args.log_format == "json")
    if args.command == "schema":
        from vedette.commands.tuning import print_schema

        return print_schema(out)
    if args.command == "init":
        from vedette.commands.init import init
        from vedette.config import config_directory

        return init(config_directory(args.dir or args.config), out)
    if args.command == "demo":
        import tempfile

        from vedette.demo import run_demo

        _started()
        folder = args.output or Path(tempfile.mkdtemp(prefix="vedette-demo-"))
        return run_demo(folder, out)
    from vedette.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            out.error(problem.detailed())  # the line, then the file's text with a caret
        return EXIT_USAGE
    _started()
    try:
        if args.command == "check":
            from vedette.commands.check import check
            return check(config, out)
        if args.command == "status":
            from vedette.commands.status import status
            return status(config, out, as_json=args.json)
        if args.command == "test-topic":
            from vedette.commands.tuning import test_topic
            return test_topic(config, args.topic, args.days, args.samples, out)
        if args.command == "state":
            from vedette.commands.state import backup
            return backup(config, args.file, out)
        return _locked(args, config, out)
    except KeyboardInterrupt:
        out.error("interrupted")
        return EXIT_FAILED
    except StateError as exc:
        # 2: the state can't be used as it is (damaged, newer, a folder); 1: it can't be
        # written now, or changed under the run (vedette/errors.py).
        out.error(str(exc))
        return exc.exit_status


def _started() -> None:
    """Start-up is over: collect garbage again, but never among what start-up built.

    Start-up (the imports, the config) makes some fifty thousand objects that live until
    exit and next to no garbage, yet each collection meanwhile, and the one at exit, walks
    them all: a quarter of `check`'s time (docs/performance.md, "Start-up"). So start-up
    runs without the collector, and what it built is frozen out of every later collection.
    """
    gc.freeze()
    gc.enable()


def _locked(args: argparse.Namespace, config: Config, out: Output) -> int:
    from vedette.commands import work

    try:
        lock = StateLock(config.settings.state).acquire()  # a StateError says why it can't be
    except LockHeld as exc:
        out.error(str(exc))
        return EXIT_FAILED
    try:
        if args.command == "crawl":
            return work.crawl(config, args.sources, out, args.verbose)
        if args.command == "digest":
            return work.digest(config, args.digests, out, preview=args.preview,
                               dry_run=args.dry_run)
        if not args.once:
            return work.run_daemon(config, out, args.verbose)
        return work.run_once(config, out, args.verbose)
    finally:
        lock.release()


if __name__ == "__main__":
    sys.exit(main())
