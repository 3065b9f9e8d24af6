"""OttwatchStack: the whole deployment, one construct per capability."""

from __future__ import annotations

import os
import re

from aws_cdk import App, CfnOutput, Environment, Stack
from constructs import Construct

from .components import (
    ApiFirewall,
    Collector,
    CrowdApi,
    NotificationTopic,
    Publisher,
    ReportIngest,
    StatusApi,
    StatusTable,
)
from .nag import add_checks

STACK_NAME = "OttwatchStack"

DEFAULT_COUNTRY = "IT"
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def _flag(value: object, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _key_hashes(value: object) -> tuple[str, ...]:
    """Context ``operatorKeyHashes``: comma-separated string (or a list) of SHA-256 hex digests."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    hashes = tuple(dict.fromkeys(str(h).strip().lower() for h in items if str(h).strip()))
    bad = [h for h in hashes if not _SHA256_HEX.match(h)]
    if bad:
        raise ValueError(f"context 'operatorKeyHashes' takes SHA-256 hex digests, got {bad!r}")
    return hashes


class OttwatchStack(Stack):
    """Context (``cdk.json`` or ``-c``):

    * ``country``: ISO 3166 alpha-2 of the operator's market (default IT), OTTWATCH_COUNTRY on the functions.
    * ``apiGatewayAccountLoggingRole``: declare the region's API Gateway CloudWatch logging role (default
      true); set false where the account's landing zone already manages that account setting.
    * ``operatorKeyHashes``: comma-separated SHA-256 hex digests of the operator API keys the function accepts
      on POST /v1/operator/volumes (default empty: the route refuses every key). The key itself is generated
      by API Gateway on the first deploy (output OperatorApiKeyId); hash it and deploy again.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        country = str(self.node.try_get_context("country") or DEFAULT_COUNTRY).upper()
        if not _COUNTRY.match(country):
            raise ValueError(f"context 'country' must be an ISO 3166 alpha-2 code, got {country!r}")
        manage_logging_role = _flag(self.node.try_get_context("apiGatewayAccountLoggingRole"), True)
        operator_key_hashes = _key_hashes(self.node.try_get_context("operatorKeyHashes"))

        self.storage = StatusTable(self, "Storage")
        self.notifications = NotificationTopic(self, "Notifications")
        self.collector = Collector(self, "Collector", table=self.storage.table, country=country)
        self.publisher = Publisher(
            self,
            "Publisher",
            table=self.storage.table,
            idempotency_table=self.storage.idempotency_table,
            topic=self.notifications.topic,
            country=country,
        )
        self.status_api = StatusApi(
            self,
            "StatusApi",
            table=self.storage.table,
            country=country,
            manage_account_logging_role=manage_logging_role,
        )
        self.reports = ReportIngest(self, "Reports", table=self.storage.table)
        self.crowd_api = CrowdApi(
            self,
            "CrowdApi",
            status_api=self.status_api,
            table=self.storage.table,
            reports_queue=self.reports.queue,
            operator_key_hashes=operator_key_hashes,
        )
        self.firewall = ApiFirewall(self, "Firewall", stage=self.status_api.stage)

        CfnOutput(self, "ApiUrl", value=self.status_api.api.url, description="Base URL of the status API")
        CfnOutput(self, "TableName", value=self.storage.table.table_name)
        CfnOutput(self, "TopicArn", value=self.notifications.topic.topic_arn,
                  description="Subscribe here (filter on the message attributes)")
        CfnOutput(self, "DeadLetterQueueUrl", value=self.publisher.dead_letter_queue.queue_url)
        CfnOutput(self, "ReportsDeadLetterQueueUrl", value=self.reports.dead_letter_queue.queue_url)
        CfnOutput(self, "OperatorApiKeyId", value=self.crowd_api.operator_key.key_id,
                  description="aws apigateway get-api-key --include-value --api-key <this>: the operator's key")


def build_app(**app_props) -> tuple[App, OttwatchStack]:
    """The app as deployed: OttwatchStack with the AwsSolutions checks on. ``app_props`` go to ``App``
    (``outdir``, ``context``); tests add resources to the returned stack before ``app.synth()``."""
    app = App(**app_props)
    stack = OttwatchStack(
        app,
        STACK_NAME,
        description="ottwatch: serverless status aggregator for OTT services",
        # Environment-agnostic unless the cdk CLI resolved a profile (cdk deploy sets these).
        env=Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
        ),
    )
    add_checks(app)
    return app, stack
