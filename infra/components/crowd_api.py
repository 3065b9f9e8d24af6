"""CrowdApi: the write routes of the public API, added to StatusApi's REST API and function.

* ``POST /v1/reports``: anyone (the "report a problem" button of the banner on the operator's site; CORS any
  origin, no credentials). The function hashes the reporter with a key from Secrets Manager and enqueues the
  report for ReportIngest; it never writes the table for a report.
* ``POST /v1/operator/volumes``: the operator's systems push their call/ticket counts with an API key (a
  usage plan throttles and caps it); the function also checks the key against SHA-256 hashes (context
  ``operatorKeyHashes``) and writes the volumes as crowd items.

Both bodies are checked against JSON schema models at the gateway, so junk never invokes the function. The
schemas are built from the code's own patterns and enums (ottwatch.catalog, ottwatch.domain.reports).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from ottwatch import config
from ottwatch.catalog import SERVICE_ID_PATTERN
from ottwatch.domain.reports import COUNTRY_PATTERN, Problem

from ..nag import acknowledge
from .api import StatusApi
from .table import grant_crowd_items

REPORTS_PATH = "v1/reports"
OPERATOR_VOLUMES_PATH = "v1/operator/volumes"

# Per API key (the operator's): generous for a push every 15 minutes of up to 500 volumes per request.
OPERATOR_RATE = 5
OPERATOR_BURST = 10
OPERATOR_DAILY_QUOTA = 10_000

# The banner's preflight answer is cached by browsers this long (the function's own CORS max_age).
CORS_MAX_AGE = Duration.minutes(10)

# The reporter-hash key: long and alphanumeric (it is HMAC key material, never typed or shown).
SALT_LENGTH = 64

PUBLIC_REPORTS = (
    "POST /v1/reports is public by design: anonymous visitors of the operator's site report problems from "
    "the banner. It accepts only a schema-validated body (service, country, problem enum; no free text), "
    "only enqueues, and is abuse-limited by the WAF rate rules (per IP on this path and overall), the stage "
    "throttle, and the counting itself (reporters hashed per network, each network capped per window)."
)
OPERATOR_API_KEY = (
    "POST /v1/operator/volumes is called by the operator's back office, a machine client with no user pool: "
    "the method requires an API key of the operator's usage plan (throttled, daily quota) and the function "
    "rejects any key whose SHA-256 is not in OTTWATCH_OPERATOR_KEY_HASHES, so the key is checked twice."
)
SALT_NOT_ROTATED = (
    "The secret is the HMAC key of reporter hashes, not a credential. The code already derives a new key "
    "every day (HMAC of this secret and the date), so hashes never join across days; rotating the secret "
    "itself mid-day would split that day's reporter counts (the same person counted twice)."
)

_STRING, _NULL = apigw.JsonSchemaType.STRING, apigw.JsonSchemaType.NULL
_INTEGER, _OBJECT, _ARRAY = apigw.JsonSchemaType.INTEGER, apigw.JsonSchemaType.OBJECT, apigw.JsonSchemaType.ARRAY


def _service() -> apigw.JsonSchema:
    return apigw.JsonSchema(type=_STRING, pattern=SERVICE_ID_PATTERN)


def _country() -> apigw.JsonSchema:
    # Optional and nullable in the code's models (absent or null: the viewer's country / the operator's market).
    return apigw.JsonSchema(type=[_STRING, _NULL], pattern=COUNTRY_PATTERN)


# ottwatch.domain.reports.ReportIn
REPORT_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    title="ReportIn",
    type=_OBJECT,
    required=["service", "problem"],
    additional_properties=False,
    properties={
        "service": _service(),
        "country": _country(),
        "problem": apigw.JsonSchema(type=_STRING, enum=[p.value for p in Problem]),
    },
)

# ottwatch.handlers.crowd_routes.OperatorVolumes
OPERATOR_VOLUMES_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    title="OperatorVolumes",
    type=_OBJECT,
    required=["volumes"],
    additional_properties=False,
    properties={
        "volumes": apigw.JsonSchema(
            type=_ARRAY,
            min_items=1,
            max_items=500,
            items=apigw.JsonSchema(
                type=_OBJECT,
                required=["service", "interval_start", "count"],
                additional_properties=False,
                properties={
                    "service": _service(),
                    "country": _country(),
                    # An ISO 8601 date-time with an offset: the function checks the value itself.
                    "interval_start": apigw.JsonSchema(type=_STRING, min_length=1, max_length=64),
                    "interval_minutes": apigw.JsonSchema(type=_INTEGER, minimum=5, maximum=60),
                    "channel": apigw.JsonSchema(type=_STRING, enum=["calls", "tickets"]),
                    "count": apigw.JsonSchema(type=_INTEGER, minimum=0, maximum=10_000_000),
                },
            ),
        )
    },
)


class CrowdApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        status_api: StatusApi,
        table: dynamodb.ITable,
        reports_queue: sqs.IQueue,
        operator_key_hashes: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        api, role, function = status_api.api, status_api.handler.role, status_api.function

        self.report_salt = secretsmanager.Secret(
            self,
            "ReportSalt",
            description="ottwatch: key of the reporter hashes of POST /v1/reports",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=SALT_LENGTH
            ),
            # A new salt makes every reporter hash of the day new: keep it if the stack is replaced.
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(self.report_salt, "AwsSolutions-SMG4", SALT_NOT_ROTATED)

        function.add_environment(config.ENV_REPORTS_QUEUE_URL, reports_queue.queue_url)
        function.add_environment(config.ENV_REPORT_SALT_SECRET_ARN, self.report_salt.secret_arn)
        function.add_environment(config.ENV_OPERATOR_KEY_HASHES, ",".join(operator_key_hashes))

        # Exactly the calls crowd_routes.py makes (grant_send_messages/grant_read would add more actions).
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[reports_queue.queue_arn])
        )
        role.add_to_principal_policy(  # Powertools parameters.get_secret; the AWS managed key needs no grant
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.report_salt.secret_arn])
        )
        # Operator volumes are PutItem'd (a corrected figure replaces the previous one), on crowd items only.
        grant_crowd_items(table, role, "dynamodb:PutItem")

        # -- POST /v1/reports --------------------------------------------------------------------------------
        self.report_model = api.add_model(
            "ReportModel", content_type="application/json", description="POST /v1/reports body", schema=REPORT_SCHEMA
        )
        reports = api.root.resource_for_path(REPORTS_PATH)
        # OPTIONS answered by API Gateway itself (mock integration): no invocation for a preflight.
        self.preflight = reports.add_cors_preflight(
            allow_origins=["*"],
            allow_methods=["POST"],
            allow_headers=["Content-Type"],
            allow_credentials=False,
            max_age=CORS_MAX_AGE,
        )
        self.report_method = reports.add_method(
            "POST",
            status_api.integration,
            authorization_type=apigw.AuthorizationType.NONE,
            request_validator=status_api.request_validator,
            # $default: a banner posting text/plain (to skip the preflight) is validated all the same.
            request_models={"application/json": self.report_model, "$default": self.report_model},
        )
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(self.report_method, rule, PUBLIC_REPORTS)
        # Errors API Gateway answers itself (body rejected by the model, throttled) carry the CORS header too,
        # or the banner could not read them.
        for response_type, name in ((apigw.ResponseType.DEFAULT_4_XX, "Default4xx"),
                                    (apigw.ResponseType.DEFAULT_5_XX, "Default5xx")):
            api.add_gateway_response(
                name, type=response_type, response_headers={"Access-Control-Allow-Origin": "'*'"}
            )

        # -- POST /v1/operator/volumes -----------------------------------------------------------------------
        self.operator_model = api.add_model(
            "OperatorVolumesModel",
            content_type="application/json",
            description="POST /v1/operator/volumes body",
            schema=OPERATOR_VOLUMES_SCHEMA,
        )
        self.operator_method = api.root.resource_for_path(OPERATOR_VOLUMES_PATH).add_method(
            "POST",
            status_api.integration,
            authorization_type=apigw.AuthorizationType.NONE,
            api_key_required=True,
            request_validator=status_api.request_validator,
            request_models={"application/json": self.operator_model, "$default": self.operator_model},
        )
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(self.operator_method, rule, OPERATOR_API_KEY)

        # The key's value is generated by API Gateway (never in code or template): read it with
        # `aws apigateway get-api-key --api-key <OperatorApiKeyId output> --include-value`, hand it to the
        # operator, and deploy its SHA-256 in context operatorKeyHashes.
        self.operator_key = apigw.ApiKey(
            self, "OperatorKey", description="ottwatch: the operator's key for POST /v1/operator/volumes"
        )
        self.usage_plan = api.add_usage_plan(
            "OperatorPlan",
            description="ottwatch: operator volume pushes",
            throttle=apigw.ThrottleSettings(rate_limit=OPERATOR_RATE, burst_limit=OPERATOR_BURST),
            quota=apigw.QuotaSettings(limit=OPERATOR_DAILY_QUOTA, period=apigw.Period.DAY),
            api_stages=[apigw.UsagePlanPerApiStage(api=api, stage=status_api.stage)],
        )
        self.usage_plan.add_api_key(self.operator_key)
