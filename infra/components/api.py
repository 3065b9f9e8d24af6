"""StatusApi: the public REST API (API Gateway, Lambda proxy): the read-only status routes over the main table.
CrowdApi (crowd_api.py) adds the write routes to the same API and function; ApiFirewall puts WAF in front."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct
from ottwatch import config

from ..nag import acknowledge
from .function import LOG_RETENTION, OttwatchFunction

HANDLER = "ottwatch.handlers.api.handler"
STAGE_NAME = "live"  # the version is in the path (/v1/...), not in the stage

# (path under the root, path parameters) — every route is a GET through the same Lambda proxy integration.
ROUTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("v1/status", ()),
    ("v1/status/{service}", ("service",)),
    ("v1/openapi.json", ()),
)

# Stage-wide throttle, well under the account's regional quota (shared by every API of the account; 2,500
# rps in some regions): the banner's read path belongs behind a cache/CDN, not on this quota.
THROTTLE_RATE = 100
THROTTLE_BURST = 200

PUBLIC_READ_ONLY = (
    "The status API is public and read-only by design: operators' web sites embed the status banner for "
    "anonymous visitors. It serves public status only, mutates nothing, and is throttled at the stage."
)


class StatusApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        country: str,
        manage_account_logging_role: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.handler = OttwatchFunction(
            self,
            "Handler",
            handler=HANDLER,
            description="ottwatch: public status API (/v1)",
            timeout=Duration.seconds(10),
            memory_size=512,
            environment={config.ENV_TABLE: table.table_name, config.ENV_COUNTRY: country},
        )
        self.function = self.handler.function
        table.grant_read_data(self.handler.role)

        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        self.api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name="ottwatch",
            description="ottwatch: status of OTT services, problem reports, operator volumes",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The account-level logging role is declared below without an AWS managed policy.
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
                # Execution logs for errors only, never request/response bodies.
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
            ),
        )
        self.stage = self.api.deployment_stage
        self.request_validator = self.api.add_request_validator(
            "RequestValidator",
            request_validator_name="ottwatch-basic",
            # Required path parameters and, on the write routes (CrowdApi), the JSON body against its model
            # are checked before the function runs.
            validate_request_parameters=True,
            validate_request_body=True,
        )
        self.integration = apigw.LambdaIntegration(
            self.function,
            proxy=True,
            allow_test_invoke=False,
            # One invoke permission for the API rather than one per method: every method calls this function.
            scope_permission_to_method=False,
        )
        self.methods: dict[str, apigw.Method] = {}
        for path, params in ROUTES:
            resource = self.api.root.resource_for_path(path)
            self.methods[path] = resource.add_method(
                "GET",
                self.integration,
                authorization_type=apigw.AuthorizationType.NONE,
                request_validator=self.request_validator,
                request_parameters={f"method.request.path.{p}": True for p in params} or None,
            )

        for method in self.methods.values():
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledge(method, rule, PUBLIC_READ_ONLY)

        if manage_account_logging_role:
            self._account_logging_role()

    def _account_logging_role(self) -> None:
        """API Gateway writes execution logs with the one CloudWatch role set in its account settings (one per
        region). CDK's ``cloud_watch_role`` uses the AWS managed AmazonAPIGatewayPushToCloudWatchLogs policy
        (every log group); this role may only touch API Gateway's own execution log groups."""
        stack = Stack.of(self)

        def log_group_arn(name: str) -> str:
            return stack.format_arn(
                service="logs",
                resource="log-group",
                resource_name=name,
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )

        execution_logs, welcome_logs, all_log_groups = (
            "API-Gateway-Execution-Logs_*",
            "/aws/apigateway/welcome*",
            "*",
        )
        role = iam.Role(
            self,
            "AccountLoggingRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway account setting: push execution logs to CloudWatch Logs",
            inline_policies={
                "ExecutionLogs": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=[
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:DescribeLogStreams",
                                "logs:PutLogEvents",
                                "logs:GetLogEvents",
                                "logs:FilterLogEvents",
                            ],
                            resources=[log_group_arn(execution_logs), log_group_arn(welcome_logs)],
                        ),
                        iam.PolicyStatement(
                            actions=["logs:DescribeLogGroups"], resources=[log_group_arn(all_log_groups)]
                        ),
                    ]
                )
            },
        )
        # Other APIs of the account may rely on this setting: keep it if the stack goes.
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=role.role_arn)
        account.apply_removal_policy(RemovalPolicy.RETAIN)
        # The stage turns execution logging on, which API Gateway refuses until the account has the role.
        self.stage.node.add_dependency(account)

        for pattern, why in (
            (execution_logs, "API Gateway names its execution log groups API-Gateway-Execution-Logs_{api-id}/{stage}"),
            (welcome_logs, "API Gateway writes a test entry to /aws/apigateway/welcome when the role is set"),
            (all_log_groups, "logs:DescribeLogGroups is a list action over the account's log groups"),
        ):
            acknowledge(
                role,
                # cdk-nag names a finding by the ARN with pseudo parameters written <AWS::Name>.
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:"
                f"log-group:{pattern}]",
                f"{why}; this is the region's account-level API Gateway logging role, limited to this account "
                "and region and to the logs actions API Gateway uses.",
            )

        self.account_logging_role = role
