"""The one way ottwatch declares a Lambda function: shared code asset, explicit role, own log group."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..asset import RUNTIME_PYTHON_VERSION, lambda_code

# The newest GA Python runtime this aws-cdk-lib knows (cdk-nag L1 wants the latest of the family). The asset
# is staged for the same CPython and for x86_64: change the three together.
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.X86_64
if RUNTIME.name != f"python{RUNTIME_PYTHON_VERSION}":
    raise RuntimeError(f"{RUNTIME.name} does not match the staged asset (python{RUNTIME_PYTHON_VERSION})")

SERVICE_NAME = "ottwatch"
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class OttwatchFunction(Construct):
    """A function running ``handler`` from the ottwatch package.

    Its role is its own and starts empty: no AWS managed policy (AWSLambdaBasicExecutionRole would allow
    writing to every log group); the only built-in permission is writing to this function's log group.
    Callers add exactly what the handler touches with ``grant*`` on ``self.role``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: str,
        description: str,
        timeout: Duration,
        memory_size: int,
        environment: Mapping[str, str],
        **function_props,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"ottwatch {handler}",
        )
        self.log_group = logs.LogGroup(
            self, "LogGroup", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=lambda_code(),
            handler=handler,
            description=description,
            role=self.role,
            log_group=self.log_group,
            timeout=timeout,
            memory_size=memory_size,
            environment={
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": SERVICE_NAME,
                **environment,
            },
            **function_props,
        )
