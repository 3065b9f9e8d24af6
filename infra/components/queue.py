"""Queues shared by the constructs: every dead-letter queue is the same, encrypted and TLS-only, kept 14 days."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct


def dead_letter_queue(scope: Construct) -> sqs.Queue:
    """The 'DeadLetterQueue' of `scope`: where messages that failed every retry wait 14 days for an operator."""
    return sqs.Queue(
        scope,
        "DeadLetterQueue",
        enforce_ssl=True,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        retention_period=Duration.days(14),
    )
