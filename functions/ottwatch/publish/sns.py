"""Sending transition messages to SNS."""

from __future__ import annotations

from ottwatch.publish.message import TransitionMessage


class SnsPublisher:
    def __init__(self, topic_arn: str, client) -> None:
        if not topic_arn:
            raise ValueError("no SNS topic configured (OTTWATCH_TOPIC_ARN is empty)")
        self.topic_arn = topic_arn
        self.client = client

    def publish(self, message: TransitionMessage) -> str:
        """Send one message; botocore's retries cover throttling, any other failure raises (and is retried)."""
        resp = self.client.publish(
            TopicArn=self.topic_arn,
            Message=message.body(),
            Subject=f"ottwatch: {message.name} {message.state.value}"[:100],
            MessageAttributes=message.attributes(),
        )
        return resp["MessageId"]
