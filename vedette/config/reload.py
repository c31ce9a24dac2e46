"""Whether a running daemon may swap its config for one loaded from the edited files: the
one place that decides, beyond the config being valid at all."""

from __future__ import annotations

from vedette.config.errors import Problem
from vedette.config.schema import Config

# Sections whose loss would silently stop the work: every topic gone matches nothing, every
# source gone crawls nothing. An emptied file (an editor saving it in two steps, a bad
# merge, `> keywords.yaml`) no longer names its section at all; saying so takes
# `topics: []` written out.
_MUST_NOT_VANISH = (("topics", "topic"), ("sources", "source"))


def refused_reload(running: Config, loaded: Config) -> list[Problem]:
    """Why `loaded` must not replace `running` (nothing: it may)."""
    problems = []
    if loaded.settings.state != running.settings.state:
        problems.append(Problem(loaded.files.get("settings"), None, "settings.state",
                                "cannot change while running; restart to use another state"))
    for section, noun in _MUST_NOT_VANISH:
        before = len(getattr(running, section))
        if before and not getattr(loaded, section) and section not in loaded.files:
            problems.append(Problem(running.files.get(section), None, section, (
                f"no {section} any more (no file says `{section}:`), so the daemon keeps its "
                f"{before} {noun}{'s' if before > 1 else ''}: an emptied or half-saved file "
                f"looks like this. To run without {section}, write `{section}: []`")))
    return problems
