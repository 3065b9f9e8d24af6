"""Reports queue -> counters. Lambda hands this function up to thousands of reports at once; they are
folded into one ADD per counter item, so DynamoDB sees a few writes per batch, not one per report.

A group that fails to write is reported back (its messages only): SQS delivers them again, and the
set-union counters make the retry harmless. A message that is not a report goes to the DLQ the same way.
"""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from ottwatch import aws
from ottwatch.config import settings
from ottwatch.domain.reports import QueuedReport, aggregate, bucket_start, shard_of
from ottwatch.observability import logger
from ottwatch.store.crowd import CrowdRepository


@lru_cache(maxsize=1)
def repository() -> CrowdRepository:
    return CrowdRepository(settings().table_name, aws.client("dynamodb"))


def reset() -> None:
    repository.cache_clear()


def ingest(records: list[dict], repo: CrowdRepository) -> tuple[list[str], int]:
    """Count a batch; returns (ids of the messages to deliver again, DynamoDB write requests made)."""
    failed: list[str] = []
    reports: list[tuple[str, QueuedReport]] = []
    for record in records:
        try:
            reports.append((record["messageId"], QueuedReport.model_validate_json(record["body"])))
        except ValidationError as exc:
            logger.error("not a report, left for the DLQ", extra={"message_id": record.get("messageId"),
                                                                   "reason": str(exc.errors()[0]["msg"])})
            failed.append(record["messageId"])
    writes = 0
    for group in aggregate([r for _, r in reports]):
        try:
            writes += repo.add_reports(group)
        except (ClientError, BotoCoreError) as exc:
            key = (group.service, group.country, group.bucket, group.shard)
            ids = [mid for mid, r in reports
                   if (r.service, r.country, bucket_start(r.at), shard_of(r.network)) == key]
            logger.warning("counter write failed, batch part retried",
                           extra={"service_id": group.service, "reports": len(ids), "reason": str(exc)[:200]})
            failed += ids
    return failed, writes


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    failed, writes = ingest(event.get("Records", []), repository())
    logger.info("reports counted", extra={"messages": len(event.get("Records", [])), "writes": writes,
                                          "failed": len(failed)})
    return {"batchItemFailures": [{"itemIdentifier": mid} for mid in failed]}
