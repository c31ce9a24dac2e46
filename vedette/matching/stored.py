"""Compiled topics kept between processes: compiling 10,000 terms takes 0.6 s or more,
paid by every cron run in each worker process, while the topics change only when someone
edits them.

Kept in the matching cache file (`cachefile`) under a key that names everything the
compiled form depends on: the topics as validated, the word normalisation's edition, and
the source of the matching code itself (any edit of it makes a new key, so no version
number has to be remembered). Stored as a pickle of our own dataclasses and the
automaton (pyahocorasick pickles itself), without the topics, which the caller has; read
by an unpickler that builds those and nothing else (a file in the state folder must
never run code). Anything unexpected means compiling as if nothing were stored.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import io
import json
import logging
import pickle
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import vedette
from vedette.matching.cachefile import CacheFile
from vedette.matching.compiler import Compiled, compile_topics
from vedette.matching.models import TopicRule
from vedette.matching.stemming import Analyzer, keys_edition

log = logging.getLogger(__name__)

FORMAT = 1
_ALLOWED = {
    ("ahocorasick", "Automaton"),  # its own C code reads its state, as pyahocorasick wrote it
    ("vedette.matching.compiler", "Compiled"),
    ("vedette.matching.compiler", "TopicPlan"),
    ("vedette.matching.compiler", "WildTerm"),
    ("vedette.matching.rules", "Ref"),
    *(("vedette.matching.query", name) for name in ("AllOf", "AnyOf", "Not", "Near", "InField")),
}


def compiled_topics(topics: Sequence[TopicRule], analyzer: Analyzer,
                    cache: CacheFile | None) -> Compiled:
    """The topics compiled: from the cache when it holds them, else compiled (and kept)."""
    with _no_collection():
        if cache is None:
            return compile_topics(topics, analyzer)
        key = topics_key(topics)
        data = cache.compiled(key)
        if data is not None:
            try:
                return _loads(data, topics)
            except Exception as exc:  # whatever it is, compiling is the answer
                log.warning("matching cache %s: stored topics unusable (%s); compiling them",
                            cache.path, exc)
        compiled = compile_topics(topics, analyzer)
        cache.add_compiled(key, _dumps(compiled), time.time())
        return compiled


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """Compiling and loading build a few hundred thousand lasting objects and no garbage:
    the collections their allocations set off walked them all again and again, 40 % of
    compiling 10,000 terms and 70 % of loading them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def topics_key(topics: Sequence[TopicRule]) -> str:
    """Names the compiled form of `topics` with this code and word normalisation."""
    digest = hashlib.sha256(f"{FORMAT}\n{_code_edition()}\n{keys_edition()}\n".encode())
    for topic in topics:
        digest.update(json.dumps(dataclasses.asdict(topic), ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


@functools.cache
def _code_edition() -> str:
    """The version and the matching code's source: what compiling does."""
    digest = hashlib.sha256(vedette.__version__.encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _dumps(compiled: Compiled) -> bytes:
    bare = dataclasses.replace(  # without the topics: _loads puts them back
        compiled, plans=tuple(dataclasses.replace(plan, topic=cast(TopicRule, None))
                              for plan in compiled.plans))
    return pickle.dumps(bare, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes, topics: Sequence[TopicRule]) -> Compiled:
    bare = _Unpickler(io.BytesIO(data)).load()
    if not isinstance(bare, Compiled) or len(bare.plans) != len(topics):
        raise ValueError("not the compiled form of these topics")
    return dataclasses.replace(
        bare, plans=tuple(dataclasses.replace(plan, topic=topic)
                          for plan, topic in zip(bare.plans, topics, strict=True)))


class _Unpickler(pickle.Unpickler):
    """Builds our plain data classes and the built-in containers, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of compiled topics")
