"""Creates the stack's resources on moto's server from the same definitions the code and infra/ use."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ottwatch.store.schema import (
    IDEMPOTENCY_TTL_ATTRIBUTE,
    TTL_ATTRIBUTE,
    idempotency_table_definition,
    main_table_definition,
)

TABLE_NAME = "ottwatch"
IDEMPOTENCY_TABLE_NAME = "ottwatch-idempotency"
TOPIC_NAME = "ottwatch-status"
IVR_QUEUE_NAME = "ottwatch-ivr"
REPORTS_QUEUE_NAME = "ottwatch-reports"
REPORTS_DLQ_NAME = "ottwatch-reports-dlq"
# Short, so a batch the ingest handler gave back is retried soon on the local stack (AWS: 6x the timeout).
REPORTS_VISIBILITY_TIMEOUT = 30
# What an IVR integrator would subscribe with: real changes only, never "we don't know".
IVR_FILTER_POLICY = {"event_type": ["status_changed"], "state": [{"anything-but": ["unknown"]}]}


@dataclass(frozen=True)
class LocalResources:
    table_name: str
    idempotency_table_name: str
    stream_arn: str
    topic_arn: str
    ivr_queue_url: str
    reports_queue_url: str
    reports_dlq_url: str


def create_resources(dynamodb, sns, sqs) -> LocalResources:
    table = dynamodb.create_table(**main_table_definition(TABLE_NAME))["TableDescription"]
    dynamodb.update_time_to_live(TableName=TABLE_NAME, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": TTL_ATTRIBUTE})
    dynamodb.create_table(**idempotency_table_definition(IDEMPOTENCY_TABLE_NAME))
    dynamodb.update_time_to_live(TableName=IDEMPOTENCY_TABLE_NAME, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": IDEMPOTENCY_TTL_ATTRIBUTE})
    topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=IVR_QUEUE_NAME)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={
        "RawMessageDelivery": "true", "FilterPolicy": json.dumps(IVR_FILTER_POLICY)})
    dlq_url = sqs.create_queue(QueueName=REPORTS_DLQ_NAME)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    reports_url = sqs.create_queue(QueueName=REPORTS_QUEUE_NAME, Attributes={
        "VisibilityTimeout": str(REPORTS_VISIBILITY_TIMEOUT),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
    })["QueueUrl"]
    return LocalResources(TABLE_NAME, IDEMPOTENCY_TABLE_NAME, table["LatestStreamArn"], topic_arn, queue_url,
                          reports_url, dlq_url)
