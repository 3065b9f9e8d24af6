"""Publisher: turns STATUS changes on the table's stream into SNS messages (idempotent per service and
version), reporting per-record failures; records that keep failing go to an SQS dead-letter queue."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from constructs import Construct
from ottwatch import config
from ottwatch.store import schema

from ..nag import acknowledge
from .function import OttwatchFunction
from .queue import dead_letter_queue

HANDLER = "ottwatch.handlers.publish.handler"

# Only the current-status items reach the function (history, observations and counters change far more
# often and are not published). Filtered by Lambda, so they cost no invocation.
STATUS_ONLY = lambda_.FilterCriteria.filter(
    {"dynamodb": {"Keys": {schema.SK: {"S": lambda_.FilterRule.is_equal(schema.STATUS_SK)}}}}
)


class Publisher(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        idempotency_table: dynamodb.ITable,
        topic: sns.ITopic,
        country: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue(self)
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter destination (on-failure destination of the publisher's "
            "DynamoDB stream event source mapping); a DLQ of a DLQ adds nothing.",
        )

        self.handler = OttwatchFunction(
            self,
            "Handler",
            handler=HANDLER,
            description="ottwatch: publish status transitions from the table stream to SNS",
            timeout=Duration.seconds(30),
            memory_size=256,
            environment={
                config.ENV_TABLE: table.table_name,
                config.ENV_IDEMPOTENCY_TABLE: idempotency_table.table_name,
                config.ENV_TOPIC_ARN: topic.topic_arn,
                config.ENV_COUNTRY: country,
            },
        )
        self.function = self.handler.function

        self.event_source = sources.DynamoEventSource(
            table,
            starting_position=lambda_.StartingPosition.LATEST,
            batch_size=10,
            bisect_batch_on_error=True,
            retry_attempts=5,
            # A transition not published within an hour goes to the DLQ rather than out as news.
            max_record_age=Duration.hours(1),
            report_batch_item_failures=True,
            on_failure=sources.SqsDlq(self.dead_letter_queue),
            parallelization_factor=1,  # keeps per-service order
            filters=[STATUS_ONLY],
        )
        # Grants the stream read actions (and sqs:SendMessage on the DLQ) to the function's role.
        self.function.add_event_source(self.event_source)
        idempotency_table.grant_read_write_data(self.handler.role)
        topic.grant_publish(self.handler.role)

        acknowledge(
            self.handler.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only dynamodb:ListStreams (added by grantStreamRead for the event source mapping) is on '*': "
            "that action supports no resource-level permissions. Every other statement names the table "
            "stream, the idempotency table, the topic or the DLQ.",
        )

