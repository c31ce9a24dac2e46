"""Command start-up: wall time of `vedette --version`, `check` and `status`.

Each command runs as a subprocess of this script, through the `vedette` entry point
installed in the running interpreter's environment, from a fresh temporary folder (so
nothing depends on the current directory), with its output discarded. The rounds are
interleaved (every command once per round) so that load from other jobs spreads over all
of them; the figures are the median over the rounds, and each is also given as a ratio to
`python -c pass` measured in the same run, which is what to compare across machines and
versions. CPU time (user + system, median) is shown beside it: it moves less than wall
time when the machine is shared.

Commands:
- `python -c pass`, and the libraries `check` and `status` cannot do without imported the
  way Vedette imports them (pydantic, PyYAML, APScheduler's cron trigger; the garbage
  collector off, then start-up frozen): the floor under both commands;
- `--version`;
- `check` on a copy of the shipped config (./config);
- `check` on that copy with N generated topics (`--topics`, default 300: term lists in
  several languages, exact terms, `none:` vetoes, boolean queries with NEAR and fields);
- `status` on the shipped config's copy, its state file created by one untimed run.

Python's bytecode cache: by default the children inherit the environment, so with
PYTHONDONTWRITEBYTECODE=1 Vedette's own modules are compiled on every start. With
`--bytecode-cache` the children write and read their cache in a temporary folder
(PYTHONPYCACHEPREFIX), warmed by one untimed run of each command, as after an install.

Run from anywhere: python bench/startup.py [--runs 15] [--topics 300] [--bytecode-cache]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_S = 0.3
LIBRARIES = ("import gc; gc.disable(); import pydantic, yaml, apscheduler.triggers.cron; "
             "from pydantic import BaseModel; gc.freeze(); gc.enable()")
WORDS = ["drone", "missile", "artillery", "shell", "tank", "radar", "satellite", "frigate",
         "howitzer", "interceptor", "ammunition", "armour", "helicopter", "submarine",
         "corvette", "launcher", "jammer", "loitering munition", "air defence", "logistics"]
QUALIFIERS = ["long-range", "joint", "new", "licensed", "mobile", "naval", "coastal",
              "electronic", "heavy", "unmanned"]
UKRAINIAN = ["дрони", "ракети", "снаряди", "виробництво", "ППО", "артилерія"]


def entry_point() -> str:
    """The `vedette` script beside the running interpreter (its venv or installation)."""
    found = shutil.which("vedette", path=sysconfig.get_path("scripts"))
    if found is None:
        raise SystemExit("no `vedette` entry point in this environment: pip install -e .")
    return found


def many_topics(count: int) -> str:
    """keywords.yaml with `count` topics of every shape the schema accepts."""
    lines = ["topics:"]
    for n in range(count):
        word = WORDS[n % len(WORDS)]
        qualifier = QUALIFIERS[(n // len(WORDS)) % len(QUALIFIERS)]
        lines.append(f"  - name: Topic {n} {qualifier} {word}")
        if n % 3 == 0:
            lines.append(f'    query: \'"{qualifier} {word}" NEAR/5 (Ukraine OR Lithuania) '
                         f'AND title:{word.split()[0]}* NOT "film {n}"\'')
        else:
            lines.append("    any:")
            lines += [f'      - "{qualifier} {word} {k}"' for k in range(5)]
            lines.append(f"      - ={word.split()[0].upper()}{n}")
            lines.append(f"      - {UKRAINIAN[n % len(UKRAINIAN)]} {n}")
            lines.append(f"    none: [\"{word} film\", \"{word} game\"]")
        if n % 4 == 0:
            lines.append("    languages: [en, uk]")
    return "\n".join(lines) + "\n"


def prepare(folder: Path, topics: int) -> tuple[Path, Path]:
    """Two config folders: the shipped config, and the same with `topics` generated topics.
    Their state and outbox stay inside `folder`."""
    shipped = folder / "config"
    shutil.copytree(REPO / "config", shipped)
    settings = shipped / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "../state/vedette.db", "state/vedette.db"), encoding="utf-8")
    alerts = shipped / "alerts.yaml"
    alerts.write_text(alerts.read_text(encoding="utf-8").replace("../outbox", "outbox"),
                      encoding="utf-8")
    large = folder / "config-many"
    shutil.copytree(shipped, large)
    (large / "keywords.yaml").write_text(many_topics(topics), encoding="utf-8")
    return shipped, large


def run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; fails loudly when the command fails (exit 2
    or a crash: `status` exits 1 for sources that never ran, which is its answer here)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{errors}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (default 15)")
    parser.add_argument("--topics", type=int, default=300,
                        help="topics in the large config (default 300)")
    parser.add_argument("--bytecode-cache", action="store_true",
                        help="let the children cache bytecode (in a temporary folder)")
    args = parser.parse_args()

    vedette = entry_point()
    with tempfile.TemporaryDirectory(prefix="vedette-startup-") as tmp:
        folder = Path(tmp)
        shipped, large = prepare(folder, args.topics)
        work = folder / "cwd"
        work.mkdir()
        env = dict(os.environ)
        env.pop("VEDETTE_CONFIG", None)
        if args.bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python: the libraries alone": [sys.executable, "-c", LIBRARIES],
            "vedette --version": [vedette, "--version"],
            "vedette check (shipped config)": [vedette, "--config", str(shipped), "check"],
            f"vedette check ({args.topics} topics)": [vedette, "--config", str(large), "check"],
            "vedette status": [vedette, "--config", str(shipped), "status"],
        }
        for command in commands.values():  # untimed: creates the state file, warms caches
            run(command, work, env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                wall, cpu = run(command, work, env)
                walls[name].append(wall)
                cpus[name].append(cpu)

    baseline = statistics.median(walls["python -c pass"])
    cache = "cached in a temporary folder" if args.bytecode_cache else (
        "not written (PYTHONDONTWRITEBYTECODE)" if env.get("PYTHONDONTWRITEBYTECODE")
        else "as the environment has it")
    print(f"{vedette}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}; bytecode {cache}; median of {args.runs} runs")
    print(f"{'command':<34} {'wall s':>7} {'× pass':>7} {'CPU s':>7}  target ≤ {TARGET_S} s")
    for name in commands:
        wall = statistics.median(walls[name])
        verdict = "" if name.startswith("python") else ("PASS" if wall <= TARGET_S else "over")
        print(f"{name:<34} {wall:7.3f} {wall / baseline:7.1f} "
              f"{statistics.median(cpus[name]):7.3f}  {verdict}")


if __name__ == "__main__":
    main()
