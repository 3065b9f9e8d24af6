"""Collector: polls the public status pages of the catalog every minute and writes the main table."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct
from ottwatch import config

from .function import OttwatchFunction

HANDLER = "ottwatch.handlers.collect.handler"
POLL_INTERVAL = Duration.minutes(1)
# A poll that could not run within a minute is superseded by the next one: never replay it later.
MAX_EVENT_AGE = Duration.seconds(60)


class Collector(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, table: dynamodb.ITable, country: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.handler = OttwatchFunction(
            self,
            "Handler",
            handler=HANDLER,
            description="ottwatch: poll the status sources, fuse, write changes",
            # Below the 60 s interval so two polls do not overlap; sources are fetched concurrently with
            # their own per-request timeouts.
            timeout=Duration.seconds(50),
            memory_size=512,
            environment={config.ENV_TABLE: table.table_name, config.ENV_COUNTRY: country},
            # Lambda's own async retries (2, over up to 6 h by default) would replay a stale poll.
            retry_attempts=0,
            max_event_age=MAX_EVENT_AGE,
        )
        self.function = self.handler.function
        table.grant_read_write_data(self.handler.role)

        self.rule = events.Rule(
            self,
            "Schedule",
            description="ottwatch: collect every minute",
            schedule=events.Schedule.rate(POLL_INTERVAL),
        )
        self.rule.add_target(
            targets.LambdaFunction(
                self.function,
                # EventBridge retries delivery (throttling) only within the same minute.
                max_event_age=MAX_EVENT_AGE,
                retry_attempts=2,
            )
        )
