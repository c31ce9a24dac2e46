"""The `vedette` command."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from vedette import __version__, reactor

reactor.install()  # before anything imports twisted.internet.reactor

from vedette.config import Config, ConfigError, load_config  # noqa: E402
from vedette.lock import LockHeld, StateLock  # noqa: E402
from vedette.output import Output  # noqa: E402

log = logging.getLogger("vedette")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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
    parser.add_argument("--version", action="version", version=f"vedette {__version__}")
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
    tune.add_argument("--days", type=int, default=30, help="how far back (default 30)")
    tune.add_argument("--samples", type=int, default=5, help="examples to show (default 5)")
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
    commands.add_parser(
        "status", help="per-source health and pending deliveries",
        description="Show each source's last crawl and the deliveries still pending.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Output()
    out.configure_logging(args.verbose, json_lines=args.log_format == "json")
    if args.command == "schema":
        from vedette.commands.tuning import print_schema

        return print_schema(out)
    if args.command == "demo":
        from vedette.demo import run_demo

        folder = args.output or Path(tempfile.mkdtemp(prefix="vedette-demo-"))
        return run_demo(folder, out)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            out.error(str(problem))
        return EXIT_USAGE
    try:
        if args.command == "check":
            from vedette.commands.check import check
            return check(config, out)
        if args.command == "status":
            from vedette.commands.status import status
            return status(config, out)
        if args.command == "test-topic":
            from vedette.commands.tuning import test_topic
            return test_topic(config, args.topic, args.days, args.samples, out)
        return _locked(args, config, out)
    except KeyboardInterrupt:
        out.error("interrupted")
        return EXIT_FAILED


def _locked(args: argparse.Namespace, config: Config, out: Output) -> int:
    from vedette.commands import work

    try:
        lock = StateLock(config.settings.state).acquire()
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
