"""StatusTable: the main DynamoDB table (fused status, history, observations, report counters) and
Powertools' idempotency table. Key names come from ottwatch.store.schema, the code's own definition."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct
from ottwatch.store import schema

_PITR = dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)

# Every crowd item (report counters, operator volumes, detector state) has a partition key starting with this
# (ottwatch.store.crowd.crowd_pk): the writers of crowd items get no other part of the table.
CROWD_PK_PREFIX = "RPT#"


def grant_crowd_items(table: dynamodb.ITable, role: iam.IRole, *actions: str) -> iam.PolicyStatement:
    """Allow ``actions`` on ``table`` only for items whose partition key starts with CROWD_PK_PREFIX.

    ``dynamodb:LeadingKeys`` holds the partition key of the item(s) a request names; ForAllValues makes every
    one of them match. (ForAllValues is also true for an empty set, so this is for item actions only, which
    always name a key: PutItem, UpdateItem, DeleteItem, GetItem.)"""
    statement = iam.PolicyStatement(
        actions=list(actions),
        resources=[table.table_arn],
        conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{CROWD_PK_PREFIX}*"]}},
    )
    role.add_to_principal_policy(statement)
    return statement


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
