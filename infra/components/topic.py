"""NotificationTopic: the SNS topic every status transition is published to (subscribers filter on the
message attributes service/state/previous_state/severity/country/event_type)."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct


class NotificationTopic(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="ottwatch status changes",
            # Topic policy denies any request not made over TLS (aws:SecureTransport = false).
            enforce_ssl=True,
            # Encrypted at rest with the AWS managed key for SNS: no key to run, and same-account publishers
            # need no KMS grant (the key policy allows use through SNS by principals of this account).
            master_key=kms.Alias.from_alias_name(self, "AwsManagedSnsKey", "alias/aws/sns"),
        )
