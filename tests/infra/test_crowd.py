"""The crowd-reports pipeline as synthesized: reports queue and ingest, the write routes, the WAF web ACL."""

from __future__ import annotations

import json

import pytest
from ottwatch.domain.reports import ReportIn
from ottwatch.handlers.crowd_routes import OperatorVolumes
from ottwatch.store.crowd import crowd_pk
from ottwatch_infra.components import reports
from ottwatch_infra.components.table import CROWD_PK_PREFIX
from pydantic import ValidationError

CROWD_ITEMS_ONLY = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{CROWD_PK_PREFIX}*"]}}
DYNAMODB_WRITE = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _getatt(logical_id: str, attr: str = "Arn") -> dict:
    return {"Fn::GetAtt": [logical_id, attr]}


def _props(synth, construct) -> dict:
    return synth.template["Resources"][synth.logical_id(construct)]["Properties"]


def _denies_insecure_transport(synth, queue) -> bool:
    queue_id = synth.logical_id(queue)
    policies = [
        p["Properties"]["PolicyDocument"]
        for p in synth.resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
    ]
    return bool(policies) and all(
        any(
            st["Effect"] == "Deny" and st.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for st in doc["Statement"]
        )
        for doc in policies
    )


def test_crowd_key_prefix_is_the_codes():
    assert crowd_pk("whatsapp", "IT").startswith(CROWD_PK_PREFIX)


# --- reports queue and ingest ----------------------------------------------------------------------------------


def test_reports_queue_and_dlq(synth):
    pipeline = synth.stack.reports
    queue, dlq = _props(synth, pipeline.queue), _props(synth, pipeline.dead_letter_queue)
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": _getatt(synth.logical_id(pipeline.dead_letter_queue)),
        "maxReceiveCount": 5,
    }
    assert queue["SqsManagedSseEnabled"] is True and dlq["SqsManagedSseEnabled"] is True
    assert "FifoQueue" not in queue
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert _denies_insecure_transport(synth, pipeline.queue)
    assert _denies_insecure_transport(synth, pipeline.dead_letter_queue)

    ingest_timeout = _props(synth, pipeline.function)["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * ingest_timeout


def test_ingest_event_source_mapping(synth):
    pipeline = synth.stack.reports
    fn_id = synth.logical_id(pipeline.function)
    (esm,) = [
        m["Properties"]
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": fn_id}
    ]
    assert esm["EventSourceArn"] == _getatt(synth.logical_id(pipeline.queue))
    assert esm["BatchSize"] == 1000
    assert esm["MaximumBatchingWindowInSeconds"] == 5
    assert esm["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 2 <= esm["ScalingConfig"]["MaximumConcurrency"] <= 10
    assert _props(synth, pipeline.function)["Handler"] == reports.HANDLER == "ottwatch.handlers.ingest.handler"


def test_ingest_role_only_adds_to_crowd_items_and_consumes_its_queue(synth):
    statements = synth.statements(synth.stack.reports.handler.role)
    table_arn = _getatt(synth.logical_id(synth.stack.storage.table))
    dynamodb = [st for st in statements if any(a.startswith("dynamodb:") for a in _list(st["Action"]))]
    assert dynamodb == [
        {"Action": "dynamodb:UpdateItem", "Condition": CROWD_ITEMS_ONLY, "Effect": "Allow", "Resource": table_arn}
    ]
    sqs_statements = [st for st in statements if any(a.startswith("sqs:") for a in _list(st["Action"]))]
    assert {a for st in sqs_statements for a in _list(st["Action"])} >= {"sqs:ReceiveMessage", "sqs:DeleteMessage"}
    assert "sqs:SendMessage" not in {a for st in sqs_statements for a in _list(st["Action"])}
    assert all(st["Resource"] == _getatt(synth.logical_id(synth.stack.reports.queue)) for st in sqs_statements)
    services = {a.split(":")[0] for st in statements for a in _list(st["Action"])}
    assert services == {"logs", "sqs", "dynamodb"}


def test_only_the_crowd_writers_are_restricted_and_the_collector_keeps_its_grant(synth):
    """Every table write outside the collector (which owns status and detector state) carries the condition."""
    table_arn = _getatt(synth.logical_id(synth.stack.storage.table))
    for name in ("status_api", "reports"):
        for st in synth.statements(getattr(synth.stack, name).handler.role):
            if set(_list(st["Action"])) & DYNAMODB_WRITE and table_arn in _list(st["Resource"]):
                assert st["Condition"] == CROWD_ITEMS_ONLY, (name, st)
    collector = synth.statements(synth.stack.collector.handler.role)
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:GetItem"} <= {
        a for st in collector for a in _list(st["Action"])
    }


# --- reporter salt ---------------------------------------------------------------------------------------------


def test_reporter_salt_secret(synth):
    secret_id = synth.logical_id(synth.stack.crowd_api.report_salt)
    secret = synth.template["Resources"][secret_id]
    assert secret["Properties"]["GenerateSecretString"] == {"ExcludePunctuation": True, "PasswordLength": 64}
    assert "SecretString" not in secret["Properties"]
    assert secret["DeletionPolicy"] == "Retain" and secret["UpdateReplacePolicy"] == "Retain"
    # Only the API function may read it.
    readers = [
        logical_id
        for logical_id, policy in synth.resources("AWS::IAM::Policy").items()
        if any(
            {"Ref": secret_id} in _list(st["Resource"])
            for st in policy["Properties"]["PolicyDocument"]["Statement"]
        )
    ]
    api_policy = synth.stack.status_api.handler.role.node.find_child("DefaultPolicy").node.default_child
    assert readers == [synth.stack.get_logical_id(api_policy)]


# --- write routes ----------------------------------------------------------------------------------------------


def _model_schema(synth, method_props: dict) -> dict:
    models = method_props["RequestModels"]
    assert set(models) == {"application/json", "$default"}, "validated whatever the Content-Type"
    (model_ref,) = {json.dumps(m) for m in models.values()}
    return synth.template["Resources"][json.loads(model_ref)["Ref"]]["Properties"]["Schema"]


def test_report_route_is_public_validated_lambda_proxy(synth):
    routes = synth.routes()
    post = routes[("POST", "/v1/reports")]
    api = synth.stack.status_api
    assert post["AuthorizationType"] == "NONE" and not post.get("ApiKeyRequired")
    assert post["RequestValidatorId"] == {"Ref": synth.logical_id(api.request_validator)}
    validator = synth.template["Resources"][synth.logical_id(api.request_validator)]["Properties"]
    assert validator["ValidateRequestBody"] is True
    assert post["Integration"]["Type"] == "AWS_PROXY"
    assert json.dumps(_getatt(synth.logical_id(api.function))) in json.dumps(post["Integration"]["Uri"])
    schema = _model_schema(synth, post)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"service", "problem"}
    assert schema["properties"]["country"]["pattern"] == "^[A-Z]{2}$"
    assert schema["properties"]["problem"]["enum"] == [
        "no_connection", "messages_not_sending", "login", "app_crash", "other"
    ]


def test_report_preflight_answers_cors_without_the_function(synth):
    options = synth.routes()[("OPTIONS", "/v1/reports")]
    assert options["Integration"]["Type"] == "MOCK"
    assert not options.get("ApiKeyRequired")
    (response,) = options["Integration"]["IntegrationResponses"]
    headers = response["ResponseParameters"]
    assert headers["method.response.header.Access-Control-Allow-Origin"] == "'*'"
    assert "POST" in headers["method.response.header.Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["method.response.header.Access-Control-Allow-Headers"]
    assert "method.response.header.Access-Control-Allow-Credentials" not in headers
    # Errors answered by API Gateway itself (rejected body, throttling) are readable by the banner too.
    gateway_responses = {
        r["Properties"]["ResponseType"]: r["Properties"]["ResponseParameters"]
        for r in synth.resources("AWS::ApiGateway::GatewayResponse").values()
    }
    for response_type in ("DEFAULT_4XX", "DEFAULT_5XX"):
        assert gateway_responses[response_type]["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"


REPORT_BODIES = [
    {"service": "whatsapp", "problem": "messages_not_sending"},
    {"service": "whatsapp", "country": "IT", "problem": "login"},
    {"service": "whatsapp", "country": None, "problem": "other"},
    {"service": "whatsapp", "country": "it", "problem": "login"},
    {"service": "whatsapp", "country": "ITA", "problem": "login"},
    {"service": "WhatsApp", "problem": "login"},
    {"service": "-whatsapp", "problem": "login"},
    {"service": "a" * 64, "problem": "login"},
    {"service": "whatsapp", "problem": "slow"},
    {"service": "whatsapp"},
    {"problem": "login"},
    {"service": "whatsapp", "problem": "login", "comment": "free text"},
    {"service": 7, "problem": "login"},
    [],
    "whatsapp",
]


@pytest.mark.parametrize("body", REPORT_BODIES, ids=range(len(REPORT_BODIES)))
def test_report_model_judges_bodies_like_the_function(synth, body):
    """The gateway's model and the function's pydantic model accept and refuse the same bodies."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = _model_schema(synth, synth.routes()[("POST", "/v1/reports")])
    gateway_accepts = jsonschema.Draft4Validator(schema).is_valid(body)
    try:
        ReportIn.model_validate_json(json.dumps(body))
        function_accepts = True
    except ValidationError:
        function_accepts = False
    assert gateway_accepts == function_accepts


OPERATOR_BODIES = [
    {"volumes": [{"service": "whatsapp", "interval_start": "2022-10-25T06:30:00Z", "count": 1200}]},
    {"volumes": [{"service": "whatsapp", "country": "IT", "interval_start": "2022-10-25T06:30:00+02:00",
                  "interval_minutes": 30, "channel": "tickets", "count": 0}]},
    {"volumes": [{"service": "whatsapp", "country": None, "interval_start": "2022-10-25T06:30:00Z",
                  "count": 10_000_000}] * 500},
]
OPERATOR_JUNK = [
    {"volumes": []},
    {"volumes": [{"service": "whatsapp", "interval_start": "2022-10-25T06:30:00Z", "count": -1}]},
    {"volumes": [{"service": "whatsapp", "interval_start": "2022-10-25T06:30:00Z", "count": 1, "x": 1}]},
    {"volumes": [{"service": "whatsapp", "interval_start": "2022-10-25T06:30:00Z", "count": 1,
                  "channel": "emails"}]},
    {"volumes": [{"service": "whatsapp", "interval_start": "2022-10-25T06:30:00Z", "count": 1,
                  "interval_minutes": 1}]},
    {"volumes": [{"service": "whatsapp", "count": 1}]},
    {"volumes": [{"service": "whatsapp", "interval_start": "2022-10-25T06:30:00Z", "count": 1}] * 501},
    {"volume": []},
]


def test_operator_model_never_refuses_what_the_function_takes_and_refuses_junk(synth):
    jsonschema = pytest.importorskip("jsonschema")
    schema = _model_schema(synth, synth.routes()[("POST", "/v1/operator/volumes")])
    validator = jsonschema.Draft4Validator(schema)
    for body in OPERATOR_BODIES:
        OperatorVolumes.model_validate_json(json.dumps(body))
        assert validator.is_valid(body), body
    for body in OPERATOR_JUNK:
        with pytest.raises(ValidationError):
            OperatorVolumes.model_validate_json(json.dumps(body))
        assert not validator.is_valid(body), body


def test_operator_route_requires_an_api_key_of_a_throttled_usage_plan(synth):
    post = synth.routes()[("POST", "/v1/operator/volumes")]
    assert post["ApiKeyRequired"] is True
    assert post["Integration"]["Type"] == "AWS_PROXY"
    assert post["RequestValidatorId"] == {"Ref": synth.logical_id(synth.stack.status_api.request_validator)}

    api_id = synth.logical_id(synth.stack.status_api.api)
    stage_id = synth.logical_id(synth.stack.status_api.stage)
    (plan_id, plan), = synth.resources("AWS::ApiGateway::UsagePlan").items()
    plan = plan["Properties"]
    assert [(s["ApiId"], s["Stage"]) for s in plan["ApiStages"]] == [({"Ref": api_id}, {"Ref": stage_id})]
    assert 0 < plan["Throttle"]["RateLimit"] <= 10 and 0 < plan["Throttle"]["BurstLimit"] <= 20
    assert plan["Quota"]["Period"] == "DAY" and plan["Quota"]["Limit"] > 0

    (key_id, key), = synth.resources("AWS::ApiGateway::ApiKey").items()
    assert "Value" not in key["Properties"], "API Gateway generates the key: no secret in the template"
    assert key["Properties"].get("Enabled", True) is True
    (plan_key,) = synth.resources("AWS::ApiGateway::UsagePlanKey").values()
    assert plan_key["Properties"] == {"KeyId": {"Ref": key_id}, "KeyType": "API_KEY", "UsagePlanId": {"Ref": plan_id}}
    assert synth.template["Outputs"]["OperatorApiKeyId"]["Value"] == {"Ref": key_id}


def test_only_the_operator_route_needs_a_key(synth):
    keyed = {route for route, props in synth.routes().items() if props.get("ApiKeyRequired")}
    assert keyed == {("POST", "/v1/operator/volumes")}


# --- WAF -------------------------------------------------------------------------------------------------------


def _rate_rules(synth) -> dict[str, dict]:
    (acl,) = synth.resources("AWS::WAFv2::WebACL").values()
    return {r["Name"]: r for r in acl["Properties"]["Rules"]}


def test_web_acl_is_regional_and_on_the_stage(synth):
    acl_id = synth.stack.get_logical_id(synth.stack.firewall.web_acl)  # an L1
    acl = synth.template["Resources"][acl_id]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    (association,) = synth.resources("AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == _getatt(acl_id)
    arn = json.dumps(association["Properties"]["ResourceArn"])
    assert json.dumps({"Ref": synth.logical_id(synth.stack.status_api.api)}) in arn
    assert json.dumps({"Ref": synth.logical_id(synth.stack.status_api.stage)}) in arn
    assert "/stages/" in arn


def test_web_acl_rate_limits_reports_per_ip_and_everything_per_ip(synth):
    rules = _rate_rules(synth)
    assert set(rules) == {"ReportsPerIp", "AllPerIp"}
    for rule in rules.values():
        rate = rule["Statement"]["RateBasedStatement"]
        assert rate["AggregateKeyType"] == "IP"
        assert rate["EvaluationWindowSec"] in {60, 120, 300, 600}
        assert rate["Limit"] >= 10
        assert "Block" in rule["Action"]
        assert rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    assert len({r["Priority"] for r in rules.values()}) == len(rules)

    reports_rate = rules["ReportsPerIp"]["Statement"]["RateBasedStatement"]
    overall_rate = rules["AllPerIp"]["Statement"]["RateBasedStatement"]
    assert "ScopeDownStatement" not in overall_rate
    assert reports_rate["Limit"] < overall_rate["Limit"]
    matches = [s["ByteMatchStatement"] for s in reports_rate["ScopeDownStatement"]["AndStatement"]["Statements"]]
    by_field = {next(iter(m["FieldToMatch"])): m for m in matches}
    assert set(by_field) == {"UriPath", "Method"}
    assert by_field["UriPath"]["SearchString"] == "/v1/reports"
    assert by_field["UriPath"]["PositionalConstraint"] in {"CONTAINS", "ENDS_WITH"}, "stage prefix on execute-api"
    assert (by_field["Method"]["SearchString"], by_field["Method"]["PositionalConstraint"]) == ("POST", "EXACTLY")
