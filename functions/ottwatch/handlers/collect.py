"""Scheduled every minute: fetch every source in the catalog, fuse, store transitions."""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools.utilities.typing import LambdaContext

from ottwatch import aws
from ottwatch.catalog import load_catalog
from ottwatch.collector import MAX_BODY_BYTES, Collector
from ottwatch.config import settings
from ottwatch.crowd_signal import CrowdSignals
from ottwatch.observability import logger
from ottwatch.sources.fetch import Fetcher
from ottwatch.store.crowd import CrowdRepository
from ottwatch.store.dynamo import DynamoRepository


@lru_cache(maxsize=1)
def collector() -> Collector:
    """Kept for the life of the process: the fetcher's connection pool outlives one invocation."""
    cfg = settings()
    dynamodb = aws.client("dynamodb")
    return Collector(
        catalog=load_catalog(cfg.catalog_path),
        fetcher=Fetcher(allow_private=cfg.allow_loopback, max_bytes=MAX_BODY_BYTES),
        repo=DynamoRepository(cfg.table_name, dynamodb),
        country=cfg.country,
        allow_private=cfg.allow_loopback,
        crowd=CrowdSignals(CrowdRepository(cfg.table_name, dynamodb), cfg.country),
    )


def reset() -> None:
    collector.cache_clear()


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    report = collector().run_once()
    summary = {
        "services": len(report.statuses),
        "transitions": [f"{s.service}:{s.state}" for s in report.transitions],
        "failing_sources": len(report.source_errors),
    }
    logger.info("collection done", extra=summary)
    return summary
