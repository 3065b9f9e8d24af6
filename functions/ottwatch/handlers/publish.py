"""DynamoDB stream -> SNS. One message per status transition, idempotent per (service, version).

A record that fails (SNS down, throttled) is reported back as a batch item failure: Lambda (or the local
stream poller) delivers it again, and the idempotency record makes sure a replay never sends twice.
"""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)
from aws_lambda_powertools.utilities.idempotency import (
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.persistence.dynamodb import (
    DynamoDBPersistenceLayer,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from ottwatch import aws
from ottwatch.config import settings
from ottwatch.observability import logger
from ottwatch.publish.message import TransitionMessage
from ottwatch.publish.sns import SnsPublisher
from ottwatch.publish.stream import transition_from_image

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="[service, to_string(version)]", expires_after_seconds=7 * 86400)


@lru_cache(maxsize=1)
def _publish_once():
    """Built on first use: the persistence layer and SNS client must see the runtime's environment."""
    cfg = settings()
    publisher = SnsPublisher(cfg.topic_arn, aws.client("sns"))
    store = DynamoDBPersistenceLayer(table_name=cfg.idempotency_table_name, boto3_client=aws.client("dynamodb"))

    @idempotent_function(data_keyword_argument="message", persistence_store=store, config=IDEMPOTENCY)
    def publish_once(message: TransitionMessage) -> str:
        message_id = publisher.publish(message)
        logger.info("published", extra={"service_id": message.service, "state": message.state,
                                        "version": message.version, "message_id": message_id})
        return message_id

    return publish_once


def record_handler(record: DynamoDBRecord) -> None:
    status = transition_from_image(record)
    if status is None:
        return  # a refresh, a source item, a removal: nothing to announce
    _publish_once()(message=TransitionMessage.from_status(status))


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    IDEMPOTENCY.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


def reset() -> None:
    """Forget the cached publisher (tests and the local stack switch endpoints)."""
    _publish_once.cache_clear()
