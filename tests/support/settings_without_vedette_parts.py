"""Scrapy settings that leave out Vedette's item pipelines or its network guard, as a crawl
started without `vedette.settings` would (SCRAPY_SETTINGS_MODULE points here in tests)."""

import os

from vedette.settings import *  # noqa: F403

if os.environ.get("LEAVE_OUT") == "pipelines":
    ITEM_PIPELINES: dict[str, int] = {}
else:
    DOWNLOADER_MIDDLEWARES: dict[str, int] = {}
