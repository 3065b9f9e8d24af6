"""cdk-nag 3 is a validation plugin: a failing rule makes synth raise, so a green synth means something
only if the gate is shown to bite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import aws_sqs as sqs
from ottwatch_infra.stack import build_app

# Every acknowledgment in the stack, reviewed. A new one must be added here on purpose.
EXPECTED_ACKNOWLEDGMENTS = {
    "AwsSolutions-APIG4",
    "AwsSolutions-COG4",
    "AwsSolutions-SQS3",
    "AwsSolutions-SMG4",
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:"
    "log-group:API-Gateway-Execution-Logs_*]",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:"
    "log-group:/aws/apigateway/welcome*]",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]",
}


def _violations(outdir: Path) -> list[tuple[str, str, str]]:
    report = json.loads((outdir / "validation-report.json").read_text())
    return [
        (v["ruleName"], v["severity"], c["constructPath"])
        for plugin in report["pluginReports"]
        for v in plugin["violations"]
        for c in v["violatingConstructs"]
    ]


def test_real_stack_passes_aws_solutions(synth):
    # The session fixture's app.synth() would have raised otherwise; the report it wrote is clean.
    assert [v for v in _violations(synth.outdir) if v[1] == "error"] == []
    # Warnings too: APIG3 (no WAF on the stage) is fixed by the web ACL, not acknowledged.
    assert _violations(synth.outdir) == []


def test_gate_fails_synth_on_an_unacknowledged_finding(tmp_path):
    app, stack = build_app(outdir=str(tmp_path), context={"country": "IT"})
    sqs.Queue(stack, "UnsafeQueue")  # no TLS-only policy (SQS4), no dead-letter queue (SQS3)
    # ...and the stage without its web ACL: APIG3, a warning (reported, does not fail the synth by itself).
    assert stack.firewall.node.try_remove_child("Association")

    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()

    errors = {(rule, path) for rule, severity, path in _violations(tmp_path) if severity == "error"}
    assert ("AwsSolutions-SQS4", "OttwatchStack/UnsafeQueue/Resource") in errors
    assert ("AwsSolutions-SQS3", "OttwatchStack/UnsafeQueue/Resource") in errors
    # ...and nothing else in the stack fails.
    assert {path for _, path in errors} == {"OttwatchStack/UnsafeQueue/Resource"}
    warnings = {(rule, path) for rule, severity, path in _violations(tmp_path) if severity == "warning"}
    assert warnings == {("AwsSolutions-APIG3", "OttwatchStack/StatusApi/RestApi/DeploymentStage.live/Resource")}


def test_acknowledgments_are_the_reviewed_set_each_with_a_reason(synth):
    seen = {}
    for resource in synth.template["Resources"].values():
        for ack in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            seen.setdefault(ack["id"], set()).add(ack["reason"])
    assert set(seen) == EXPECTED_ACKNOWLEDGMENTS
    assert all(len(reason) >= 40 for reasons in seen.values() for reason in reasons)


def _acknowledged(synth, rule: str) -> set[str]:
    """Logical ids of the resources carrying an acknowledgment of ``rule``."""
    return {
        logical_id
        for logical_id, resource in synth.template["Resources"].items()
        if any(a["id"] == rule for a in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []))
    }


def test_broad_acknowledgments_stay_narrow(synth):
    """APIG4/COG4 sit on the public GETs and the two POSTs only (never on the CORS preflight, which
    cdk-nag does not flag), SMG4 on the reporter salt only, IAM5[Resource::*] on the publisher only."""
    by_rule: dict[str, set[str]] = {}
    for resource in synth.template["Resources"].values():
        for ack in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            by_rule.setdefault(ack["id"], set()).add(resource["Type"])
    assert by_rule["AwsSolutions-APIG4"] == {"AWS::ApiGateway::Method"}
    assert by_rule["AwsSolutions-COG4"] == {"AWS::ApiGateway::Method"}
    public_methods = {
        synth.logical_id(m)
        for m in [*synth.stack.status_api.methods.values(), synth.stack.crowd_api.report_method,
                  synth.stack.crowd_api.operator_method]
    }
    assert _acknowledged(synth, "AwsSolutions-APIG4") == _acknowledged(synth, "AwsSolutions-COG4") == public_methods
    assert _acknowledged(synth, "AwsSolutions-SMG4") == {synth.logical_id(synth.stack.crowd_api.report_salt)}
    assert by_rule["AwsSolutions-IAM5[Resource::*]"] <= {"AWS::IAM::Role", "AWS::IAM::Policy"}
    role = synth.stack.publisher.handler.role
    publisher_role_and_policy = {
        synth.logical_id(role),
        synth.stack.get_logical_id(role.node.find_child("DefaultPolicy").node.default_child),
    }
    star_holders = {
        logical_id
        for logical_id, resource in synth.template["Resources"].items()
        if any(
            a["id"] == "AwsSolutions-IAM5[Resource::*]"
            for a in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        )
    }
    assert star_holders == publisher_role_and_policy
