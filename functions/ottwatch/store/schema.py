"""The DynamoDB table definitions, shared by the code, the local stack and infra/ (one source of truth)."""

from __future__ import annotations

PK = "pk"
SK = "sk"
TTL_ATTRIBUTE = "expires_at"
STATUS_SK = "STATUS"

# Powertools' idempotency table uses its own defaults: key "id", TTL "expiration".
IDEMPOTENCY_PK = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"


def service_pk(service_id: str) -> str:
    return f"SVC#{service_id}"


def main_table_definition(table_name: str) -> dict:
    """CreateTable arguments for the main table (what infra/ declares in CDK, in boto3 terms)."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": PK, "AttributeType": "S"},
            {"AttributeName": SK, "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


def idempotency_table_definition(table_name: str) -> dict:
    return {
        "TableName": table_name,
        "AttributeDefinitions": [{"AttributeName": IDEMPOTENCY_PK, "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": IDEMPOTENCY_PK, "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
