"""Scrapy item pipelines: clean → dedup → match → store."""

from pipelines.clean import CleanPipeline
from pipelines.dedup import DedupPipeline
from pipelines.match import MatchPipeline
from pipelines.store import StorePipeline

__all__ = ["CleanPipeline", "DedupPipeline", "MatchPipeline", "StorePipeline"]
