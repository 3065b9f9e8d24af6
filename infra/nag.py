"""cdk-nag 3 wiring: the AwsSolutions pack as a CDK validation plugin, and one way to acknowledge a rule."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_checks(app: App) -> None:
    """Run AwsSolutions on every synth: an unacknowledged error makes ``app.synth()`` raise ValidationFailed
    and writes ``validation-report.json`` into the cloud assembly."""
    Validations.of(app).add_plugins(
        # Copy the acknowledgments into each resource's Metadata (cdk_nag.rules_to_suppress), so a reviewer
        # of the template sees which rules were waived and why.
        AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True)
    )


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one finding (``AwsSolutions-IAM5[Resource::...]`` for one wildcard) on ``scope`` and below."""
    if len(reason) < 20:
        raise ValueError(f"give {rule} a real reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))
