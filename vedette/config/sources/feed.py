"""`type: feed`: an RSS or Atom (or JSON) feed; its spider is spiders/feed.py."""

from __future__ import annotations

from typing import Literal

from vedette.config.sources.base import SourceBase


class FeedSource(SourceBase):
    """An RSS 0.9x/1.0/2.0, Atom or JSON feed."""

    type: Literal["feed"]
