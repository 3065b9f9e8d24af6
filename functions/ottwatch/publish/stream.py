"""Which DynamoDB stream records are status transitions."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from ottwatch.domain.models import ServiceStatus
from ottwatch.store.dynamo import status_from_item
from ottwatch.store.schema import SK, STATUS_SK


def transition_from_image(record: DynamoDBRecord) -> ServiceStatus | None:
    """The new status when the record stores a new version of a STATUS item, else None."""
    if record.event_name not in (DynamoDBRecordEventName.INSERT, DynamoDBRecordEventName.MODIFY):
        return None
    new = record.dynamodb.new_image if record.dynamodb else None
    if not new or new.get(SK) != STATUS_SK:
        return None
    old = record.dynamodb.old_image or {}
    if old and int(old.get("version", 0)) >= int(new["version"]):
        return None  # same version rewritten: a heartbeat refresh, not a transition
    return status_from_item(new)
