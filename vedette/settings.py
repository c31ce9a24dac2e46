"""Scrapy settings for Vedette's spiders (scrapy.cfg points here).

Values the user can change live in the config's `settings:` section and are applied per
crawl by `vedette.crawling.settings_for`; these are the defaults and the fixed choices.
"""

from __future__ import annotations

BOT_NAME = "vedette"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

USER_AGENT = "vedette"
ROBOTSTXT_OBEY = True

# Politeness: adapt to each site's latency, a few requests per host at a time.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.25
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# One item per article page: a hundred parallel output workers per response (the default)
# only costs the reactor task churn.
CONCURRENT_ITEMS = 8

# Hostile or broken servers: bounded time and size for every response, decompressed size
# included (HttpCompressionMiddleware enforces DOWNLOAD_MAXSIZE after decompression).
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 15
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_TIMES = 1
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    # Before everything else, so a refused request costs nothing.
    "spiders.middlewares.NetworkGuardMiddleware": 50,
}
ITEM_PIPELINES = {
    "pipelines.clean.CleanPipeline": 100,
    "pipelines.dedup.DedupPipeline": 200,
    "pipelines.match.MatchPipeline": 300,
    "pipelines.store.StorePipeline": 400,
}

# No listening sockets, no stray files.
TELNETCONSOLE_ENABLED = False
HTTPCACHE_ENABLED = False
LOG_LEVEL = "INFO"
