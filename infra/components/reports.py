"""ReportIngest: the crowd-reports queue and the function that folds its messages into the counters.

POST /v1/reports only enqueues (the API's role may send to this queue, nothing else of it); the ingest
function takes up to a thousand reports per invocation and writes one ADD per counter item, so a surge of
reports becomes a few DynamoDB writes per batch rather than one per report."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from ottwatch import config

from .function import OttwatchFunction
from .queue import dead_letter_queue
from .table import grant_crowd_items

HANDLER = "ottwatch.handlers.ingest.handler"

TIMEOUT = Duration.seconds(60)
BATCH_SIZE = 1000  # above 10, Lambda requires a batching window
BATCHING_WINDOW = Duration.seconds(5)
# A surge of reports waits in the queue rather than taking the account's Lambda concurrency (1,000 per region
# by default, shared with the API): five batches of a thousand at a time still count several thousand a second.
MAX_CONCURRENCY = 5
# A message is received this many times before it goes to the DLQ: a counter write that keeps failing, or a
# body that is not a report (the function reports both back as batch item failures).
MAX_RECEIVE_COUNT = 5
# Lambda's guidance for SQS sources: visibility timeout >= 6 x function timeout (+ the batching window), so a
# batch being retried after throttling is not handed out again while an invocation still holds it.
VISIBILITY_TIMEOUT = Duration.seconds(6 * TIMEOUT.to_seconds() + BATCHING_WINDOW.to_seconds())


class ReportIngest(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, table: dynamodb.ITable) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue(self)
        self.queue = sqs.Queue(
            self,
            "Queue",
            enforce_ssl=True,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            visibility_timeout=VISIBILITY_TIMEOUT,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letter_queue, max_receive_count=MAX_RECEIVE_COUNT),
        )

        self.handler = OttwatchFunction(
            self,
            "Handler",
            handler=HANDLER,
            description="ottwatch: count crowd reports from the reports queue",
            timeout=TIMEOUT,
            memory_size=512,
            environment={config.ENV_TABLE: table.table_name},
        )
        self.function = self.handler.function
        self.event_source = sources.SqsEventSource(
            self.queue,
            batch_size=BATCH_SIZE,
            max_batching_window=BATCHING_WINDOW,
            report_batch_item_failures=True,
            max_concurrency=MAX_CONCURRENCY,
        )
        # Grants the consume actions (ReceiveMessage, DeleteMessage, ChangeMessageVisibility, ...) on the queue.
        self.function.add_event_source(self.event_source)
        # Counters are only ever ADDed to (store/crowd.py add_reports): UpdateItem on crowd items, nothing else.
        grant_crowd_items(table, self.handler.role, "dynamodb:UpdateItem")
