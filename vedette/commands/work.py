"""`crawl`, `digest` and `run --once`: the commands that do work under the state lock."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from vedette import reactor
from vedette.config import Config
from vedette.config.secrets import loaded_secrets
from vedette.jobs import Report
from vedette.output import Output

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _pick(names: Sequence[str], known: Sequence[str], kind: str, out: Output) -> list[str] | None:
    unknown = [n for n in names if n not in known]
    if unknown:
        out.error(f"no {kind} named {', '.join(map(repr, unknown))} "
                  f"(configured: {', '.join(known) or 'none'})")
        return None
    return list(names) or list(known)


def crawl(config: Config, names: Sequence[str], out: Output, verbosity: int) -> int:
    from vedette import jobs
    from vedette.app import App

    picked = _pick(names, [s.name for s in config.sources], "source", out)
    if picked is None:
        return EXIT_USAGE
    out.redact(loaded_secrets(config))
    app = App(config, log_level=out.scrapy_log_level(verbosity))
    report = Report()
    sources = [config.source(n) for n in picked]
    reactor.run(lambda: jobs.crawl(app, sources, report))
    return _summarise(report, out)


def digest(config: Config, names: Sequence[str], out: Output, *, preview: Path | None,
           dry_run: bool) -> int:
    from vedette import jobs
    from vedette.app import App

    picked = _pick(names, [d.name for d in config.digests], "digest", out)
    if picked is None:
        return EXIT_USAGE
    if preview is not None and len(picked) != 1:
        out.error("--preview needs exactly one digest name")
        return EXIT_USAGE
    out.redact(loaded_secrets(config))
    app = App(config)
    report = Report()
    digests = [config.digest(n) for n in picked]
    reactor.run(lambda: jobs.send_digests(app, digests, report, dry_run=dry_run,
                                          preview=preview))
    return _summarise(report, out)


def run_once(config: Config, out: Output, verbosity: int) -> int:
    from vedette import jobs
    from vedette.app import App

    out.redact(loaded_secrets(config))
    app = App(config, log_level=out.scrapy_log_level(verbosity))
    report = Report()
    reactor.run(lambda: jobs.run_once(app, report))
    return _summarise(report, out)


def run_daemon(config: Config, out: Output, verbosity: int) -> int:
    """`vedette run`: schedule everything until SIGTERM/SIGINT; exit 0 after a clean stop,
    the fault's status after a stop because the state failed (its one line is logged)."""
    from vedette.scheduler import Daemon

    out.redact(loaded_secrets(config))
    daemon: Daemon | None = None

    async def start() -> None:
        nonlocal daemon
        daemon = Daemon(config, out.scrapy_log_level(verbosity), on_fault=reactor.stop_soon,
                        redact=out.redact)
        await daemon.start()

    async def stop() -> None:
        if daemon is not None:
            await daemon.stop()

    reactor.serve(start, stop)
    if daemon is not None and daemon.fault is not None:
        return daemon.fault.exit_status
    return EXIT_OK


def _summarise(report: Report, out: Output) -> int:
    for c in report.crawls:
        run = c.run
        if run is not None:
            out.line(f"crawled {c.source}: {run.items} items, {run.new_articles} new, "
                     f"{run.matches} matches"
                     + (f", {run.fallbacks} from feed text" if run.fallbacks else "")
                     + (f", {run.not_alerted} older items stored as seen"
                        if run.not_alerted else "")
                     + (f", {run.redecoded} re-decoded (not the UTF-8 they declared)"
                        if run.redecoded else "")
                     + (f", {run.extraction_timeouts} pages past the extraction time limit"
                        if run.extraction_timeouts else ""))
            if run.capped:
                out.warning(f"source {c.source}: {run.capped:,} more matching articles than "
                            "settings.max_matches_per_crawl allows in one crawl were stored "
                            "without alerting")
    for d in report.deliveries:
        if d.status == "sent":
            out.line(f"sent {d.digest} via {d.channel}: {d.items} matches"
                     + (f" ({d.note})" if d.note else ""))
        elif d.status == "dry-run":
            out.line(f"would send {d.digest} via {d.channel}: {d.items} matches"
                     + (f", {d.summarised:,} more counted by source" if d.summarised else "")
                     + (f" — {d.note}" if d.note else ""))
        elif d.status == "nothing":
            out.line(f"{d.digest} via {d.channel}: nothing pending")
    failures = report.failures
    for line in failures:
        out.error(line)
    return EXIT_FAILED if failures else EXIT_OK
