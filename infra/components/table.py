"""StatusTable: the main DynamoDB table (fused status, history, observations, report counters) and
Powertools' idempotency table. Key names come from ottwatch.store.schema, the code's own definition."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct
from ottwatch.store import schema

_PITR = dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)


class StatusTable(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=schema.PK, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=schema.SK, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            # The publisher reads STATUS transitions from the stream (old image = previous state).
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            time_to_live_attribute=schema.TTL_ATTRIBUTE,
            point_in_time_recovery_specification=_PITR,
            # History and uptime live here: never drop it with the stack.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.idempotency_table = dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(
                name=schema.IDEMPOTENCY_PK, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=schema.IDEMPOTENCY_TTL_ATTRIBUTE,
            point_in_time_recovery_specification=_PITR,
            # Only short-lived idempotency records (Powertools expires them): nothing to keep.
            removal_policy=RemovalPolicy.DESTROY,
        )
