"""What the fuzz targets share: the "crash" they raise, the seeds, and the atheris main.

A target is a module with `check(data: bytes) -> None`, which feeds `data` to one entry
point of Vedette and returns when the answer is one Vedette declares (a result, or its own
error type with a one-line message); anything else escapes as an exception, which is what
atheris (libFuzzer) calls a crash. Hangs and runaway memory are libFuzzer's `-timeout` and
`-rss_limit_mb`. The same `check` replays the saved crashes in `tests/fixtures/fuzz/`.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
REGRESSIONS = FIXTURES / "fuzz"
"""tests/fixtures/fuzz/<target>/: inputs that once crashed a target, replayed by every run."""
CORPUS = ROOT.parent / "shared" / "corpus"
"""Real feeds, used as seeds when present (never copied into the project)."""


class Broken(AssertionError):
    """An answer Vedette should never give (a message on several lines, an offset outside
    the text …): a crash like any uncaught exception. Raised, not asserted, so `python -O`
    keeps the checks."""


def one_line(message: str, what: str) -> None:
    """Raise Broken unless `message` is one non-empty line of readable length."""
    if not message.strip() or "\n" in message or "\r" in message:
        raise Broken(f"{what} is not one line: {message!r}")
    if len(message) > 1000:
        raise Broken(f"{what} is {len(message)} characters long: {message[:200]!r}…")


def files(*folders: Path, pattern: str = "*") -> Iterator[bytes]:
    """The contents of the files matching `pattern` in each folder that exists."""
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob(pattern)):
                if path.is_file():
                    yield path.read_bytes()


def regressions(target: str) -> list[Path]:
    """The saved crashing inputs of `target`."""
    folder = REGRESSIONS / target
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def instrumented(module_name: str, include: list[str]) -> contextlib.AbstractContextManager[object]:
    """Around a target's imports of the code under test: atheris instruments the modules
    whose names start with one of `include` (for coverage feedback), but only when the
    target runs as the fuzzer (`module_name == "__main__"`); replaying needs no atheris."""
    if module_name != "__main__":
        return contextlib.nullcontext()
    import atheris

    return atheris.instrument_imports(include=include)


_DEFAULTS = {"-max_len": "65536", "-timeout": "20", "-rss_limit_mb": "2048"}


def fuzz(target: str, check: Callable[[bytes], None], seeds: Callable[[], Iterable[bytes]],
         max_len: int, words: Iterable[bytes] = ()) -> None:
    """Run `check` under atheris with libFuzzer's command line (`-max_total_time=600`,
    corpus folders …); never returns. The seeds and the saved regressions are written to a
    folder of their own (FIRST_CORPUS.seeds), read after any corpus folder given (the
    first one given keeps what the fuzzer finds). `words` (keys, operators, tags) become
    libFuzzer's dictionary: mutations insert them whole."""
    import atheris

    # libFuzzer runs argv[0] through the shell for -minimize_crash and -fork: make it this
    # interpreter and this script, whatever the script's permissions or PATH.
    args = [f"{shlex.quote(sys.executable)} {shlex.quote(str(Path(sys.argv[0]).resolve()))}"]
    given = {arg.split("=", 1)[0] for arg in sys.argv[1:] if arg.startswith("-")}
    defaults = {**_DEFAULTS, "-max_len": str(max_len)}
    args += [f"{flag}={value}" for flag, value in defaults.items() if flag not in given]
    args += sys.argv[1:]
    if "-seed_inputs" in given or any(
            Path(arg).is_file() for arg in sys.argv[1:] if not arg.startswith("-")):
        # Inputs to run or minimise (`-minimize_crash=1 FILE`), or a job of `-fork=N`,
        # which its parent gives its inputs: no seeds of its own.
        atheris.Setup(args, check)
        atheris.Fuzz()
    # Emptied and written again at each start, beside the corpus folder when one is given
    # (so runs with their own folders never share it), else in the temporary directory:
    # libFuzzer ends the process with exit(), so a temporary folder would never be removed.
    folders = [Path(arg).resolve() for arg in sys.argv[1:] if not arg.startswith("-")]
    seed_dir = (folders[0].with_name(folders[0].name + ".seeds") if folders
                else Path(tempfile.gettempdir()) / f"vedette-fuzz-seeds-{target}")
    shutil.rmtree(seed_dir, ignore_errors=True)
    seed_dir.mkdir(parents=True)
    count = 0
    for count, data in enumerate([*seeds(), *(p.read_bytes() for p in regressions(target))], 1):
        (seed_dir / f"seed-{count:04d}").write_bytes(data)
    args.append(str(seed_dir))
    words = sorted(set(words))
    if words and "-dict" not in given:
        dictionary = seed_dir.with_name(seed_dir.name + ".dict")
        dictionary.write_text("".join(f'"{_escaped(word)}"\n' for word in words), "ascii")
        args.insert(1, f"-dict={dictionary}")
    print(f"{target}: {count} seeds in {seed_dir}", file=sys.stderr)

    atheris.Setup(args, check)
    atheris.Fuzz()


def _escaped(word: bytes) -> str:
    """`word` as a libFuzzer dictionary entry's text (printable ASCII, the rest as \\xNN)."""
    return "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\x{b:02x}" for b in word)
