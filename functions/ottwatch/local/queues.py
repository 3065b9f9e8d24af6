"""Reads the reports queue and hands batches to the ingest handler, as Lambda's SQS event source would:
messages the handler reports as failed stay on the queue and come back after the visibility timeout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ottwatch.local.context import LocalContext

MAX_BATCH = 1000  # what the AWS deployment's event source mapping hands over at most


class QueuePoller:
    def __init__(self, queue_url: str, queue_arn: str, handler: Callable[[dict, Any], dict], client,
                 region: str) -> None:
        self.queue_url, self.queue_arn = queue_url, queue_arn
        self.handler = handler
        self.client = client
        self.region = region

    def poll_once(self) -> int:
        """Deliver what is waiting, in batches of up to MAX_BATCH; returns how many messages were counted."""
        messages = []
        while len(messages) < MAX_BATCH:
            got = self.client.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                              AttributeNames=["All"]).get("Messages", [])
            if not got:
                break
            messages += got
        if not messages:
            return 0
        result = self.handler({"Records": [self._lambda_record(m) for m in messages]}, LocalContext()) or {}
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self.client.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])])
        return len(done)

    def _lambda_record(self, message: dict) -> dict:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }
