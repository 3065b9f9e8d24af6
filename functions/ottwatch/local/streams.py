"""Reads the table's DynamoDB stream and feeds it to the publish handler, as Lambda's event source would.

Like Lambda with ReportBatchItemFailures: on a partial failure the shard is re-read from the first
failed record on the next poll, so nothing is dropped and the idempotent publisher sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ottwatch.local.context import LocalContext


class StreamPoller:
    def __init__(self, stream_arn: str, handler: Callable[[dict, Any], dict], client, region: str) -> None:
        self.stream_arn = stream_arn
        self.handler = handler
        self.client = client
        self.region = region
        self._iterators: dict[str, str] = {}

    def poll_once(self) -> int:
        """Deliver what is new on every shard; returns how many records were delivered."""
        delivered = 0
        shards = self.client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            shard_id = shard["ShardId"]
            iterator = self._iterators.get(shard_id) or self.client.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            resp = self.client.get_records(ShardIterator=iterator, Limit=100)
            records = resp["Records"]
            if not records:
                self._iterators[shard_id] = resp.get("NextShardIterator") or iterator
                continue
            result = self.handler({"Records": [self._lambda_record(r) for r in records]}, LocalContext()) or {}
            failures = result.get("batchItemFailures") or []
            delivered += len(records) - len(failures)
            if failures:
                first = min(int(f["itemIdentifier"]) for f in failures)
                self._iterators[shard_id] = self.client.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER",
                    SequenceNumber=str(first))["ShardIterator"]
            else:
                self._iterators[shard_id] = resp.get("NextShardIterator") or iterator
        return delivered

    def _lambda_record(self, record: dict) -> dict:
        """A boto3 stream record in the shape Lambda hands to a function."""
        body = dict(record)
        dynamodb = dict(body.get("dynamodb", {}))
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = created.timestamp()
        body["dynamodb"] = dynamodb
        body.setdefault("awsRegion", self.region)
        body.setdefault("eventSource", "aws:dynamodb")
        body["eventSourceARN"] = self.stream_arn
        return body
