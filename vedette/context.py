"""What a crawl needs from the rest of Vedette: the config, the store, the compiled topics.

Built once per process (or handed in by the runner through the crawler's settings), so
`scrapy crawl feed -a source=NAME` and `vedette crawl` share the same code path.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vedette.config import Config, load_config
from vedette.cpu import CpuPool
from vedette.store import Store

log = logging.getLogger(__name__)

SETTING = "VEDETTE_CONTEXT"
CONFIG_DIR_SETTING = "VEDETTE_CONFIG_DIR"


@dataclass
class CrawlContext:
    config: Config
    store: Store
    cpu: CpuPool
    digests_by_topic: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __deepcopy__(self, memo: dict[int, Any]) -> CrawlContext:
        # Scrapy copies its settings per crawler; the context is a shared resource, not a value.
        return self

    @classmethod
    def build(cls, config: Config, store: Store | None = None) -> CrawlContext:
        digests: dict[str, list[str]] = {}
        for digest in config.digests:
            for topic in config.digest_topics(digest):
                digests.setdefault(topic.id, []).append(digest.name)
        return cls(
            config=config,
            store=store or Store(config.settings.state),
            cpu=CpuPool(config.settings.extraction_workers, config.topics, config.settings.state,
                        config.settings.extraction_timeout.total_seconds()),
            digests_by_topic={k: tuple(v) for k, v in digests.items()},
        )

    @classmethod
    def from_settings(cls, settings: Any) -> CrawlContext:
        """The context the runner put in the settings, else one built from the config folder
        (standalone `scrapy crawl`), cached on the settings object's owner process."""
        context = settings.get(SETTING)
        if isinstance(context, CrawlContext):
            return context
        global _standalone
        if _standalone is None:
            _standalone = cls.build(load_config(settings.get(CONFIG_DIR_SETTING)))
        return _standalone


_standalone: CrawlContext | None = None
