"""OttwatchStack as synthesized (cdk-nag on): what each capability declares and what each role may do."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from aws_cdk.assertions import Match
from ottwatch import config
from ottwatch.store import schema
from ottwatch_infra.asset import RUNTIME_PYTHON_VERSION
from ottwatch_infra.stack import build_app

HANDLERS = {
    "collector": "ottwatch.handlers.collect.handler",
    "publisher": "ottwatch.handlers.publish.handler",
    "status_api": "ottwatch.handlers.api.handler",
    "reports": "ottwatch.handlers.ingest.handler",
}
DYNAMODB_READ = {
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
}
DYNAMODB_WRITE = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}
# AWS allows this action only on Resource "*" (no resource-level permissions); CDK's grantStreamRead adds it.
ONLY_ON_STAR = {"dynamodb:ListStreams"}
# Writers of crowd items may touch no other item of the table.
CROWD_ITEMS_ONLY = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["RPT#*"]}}


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _actions(statements, prefix: str = "") -> set[str]:
    return {a for st in statements for a in _list(st["Action"]) if a.startswith(prefix)}


def _resources_for(statements, prefix: str) -> list:
    return [
        r
        for st in statements
        if any(a.startswith(prefix) for a in _list(st["Action"]))
        for r in _list(st["Resource"])
    ]


def _getatt(logical_id: str, attr: str = "Arn") -> dict:
    return {"Fn::GetAtt": [logical_id, attr]}


def _function(synth, name: str):
    return getattr(synth.stack, name).function


def _function_props(synth, name: str) -> dict:
    return synth.template["Resources"][synth.logical_id(_function(synth, name))]["Properties"]


def _role(synth, name: str):
    return getattr(synth.stack, name).handler.role


# --- storage -------------------------------------------------------------------------------------------------


def test_main_table_keys_stream_ttl_pitr_and_retention(synth, template):
    table_id = synth.logical_id(synth.stack.storage.table)
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "KeySchema": [
                    {"AttributeName": schema.PK, "KeyType": "HASH"},
                    {"AttributeName": schema.SK, "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": Match.array_with(
                    [
                        {"AttributeName": schema.PK, "AttributeType": "S"},
                        {"AttributeName": schema.SK, "AttributeType": "S"},
                    ]
                ),
                "BillingMode": "PAY_PER_REQUEST",
                "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                "TimeToLiveSpecification": {"AttributeName": schema.TTL_ATTRIBUTE, "Enabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    assert schema.TTL_ATTRIBUTE == "expires_at"
    props = synth.template["Resources"][table_id]["Properties"]
    assert props["TimeToLiveSpecification"]["AttributeName"] == "expires_at"


def test_main_table_matches_the_codes_own_definition(synth):
    """infra and functions/ottwatch/store/schema.py describe the same table."""
    props = synth.template["Resources"][synth.logical_id(synth.stack.storage.table)]["Properties"]
    expected = schema.main_table_definition("x")
    assert props["KeySchema"] == expected["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
    assert props["BillingMode"] == expected["BillingMode"]
    assert props["StreamSpecification"]["StreamViewType"] == expected["StreamSpecification"]["StreamViewType"]


def test_idempotency_table(synth):
    props = synth.template["Resources"][synth.logical_id(synth.stack.storage.idempotency_table)]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": schema.IDEMPOTENCY_PK, "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {
        "AttributeName": schema.IDEMPOTENCY_TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "StreamSpecification" not in props


# --- notifications -------------------------------------------------------------------------------------------


def _denies_insecure_transport(policy_document: dict) -> bool:
    return any(
        st["Effect"] == "Deny" and st.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for st in policy_document["Statement"]
    )


def test_topic_is_tls_only_encrypted_and_named(synth):
    topic_id = synth.logical_id(synth.stack.notifications.topic)
    props = synth.template["Resources"][topic_id]["Properties"]
    assert props["DisplayName"]
    assert props["KmsMasterKeyId"]
    policies = [
        p["Properties"]
        for p in synth.resources("AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id} in p["Properties"]["Topics"]
    ]
    assert policies and all(_denies_insecure_transport(p["PolicyDocument"]) for p in policies)


# --- collector -----------------------------------------------------------------------------------------------


def test_collector_runs_every_minute_and_never_replays_stale_polls(synth):
    fn_id = synth.logical_id(_function(synth, "collector"))
    rules = [
        r["Properties"]
        for r in synth.resources("AWS::Events::Rule").values()
        if any(t["Arn"] == _getatt(fn_id) for t in r["Properties"].get("Targets", []))
    ]
    assert len(rules) == 1
    assert rules[0]["ScheduleExpression"] == "rate(1 minute)"
    (target,) = rules[0]["Targets"]
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 60

    # Lambda's own async retries would otherwise replay a failed poll for up to 6 hours.
    (invoke_config,) = [
        c["Properties"]
        for c in synth.resources("AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": fn_id}
    ]
    assert invoke_config["MaximumEventAgeInSeconds"] <= 60
    assert invoke_config["MaximumRetryAttempts"] == 0

    timeout = _function_props(synth, "collector")["Timeout"]
    assert 30 <= timeout < 60, "a poll must finish before the next one starts"


def test_collector_reads_and_writes_the_main_table_only(synth):
    statements = _role_statements(synth, "collector")
    table_arn = _getatt(synth.logical_id(synth.stack.storage.table))
    assert DYNAMODB_WRITE <= _actions(statements, "dynamodb:")
    assert all(r == table_arn for r in _resources_for(statements, "dynamodb:"))
    assert not _actions(statements, "sns:")
    assert not _actions(statements, "sqs:")


# --- publisher -----------------------------------------------------------------------------------------------


def test_publisher_event_source_mapping(synth):
    fn_id = synth.logical_id(_function(synth, "publisher"))
    table_id = synth.logical_id(synth.stack.storage.table)
    dlq_id = synth.logical_id(synth.stack.publisher.dead_letter_queue)
    (esm,) = [
        m["Properties"]
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": fn_id}
    ]
    assert esm["EventSourceArn"] == _getatt(table_id, "StreamArn")
    assert esm["StartingPosition"] in {"LATEST", "TRIM_HORIZON"}
    assert esm["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert esm["BisectBatchOnFunctionError"] is True
    assert 0 <= esm["MaximumRetryAttempts"] <= 10
    assert 1 <= esm["BatchSize"] <= 100
    assert esm["DestinationConfig"] == {"OnFailure": {"Destination": _getatt(dlq_id)}}
    (only_filter,) = esm["FilterCriteria"]["Filters"]
    assert json.loads(only_filter["Pattern"]) == {
        "dynamodb": {"Keys": {schema.SK: {"S": [schema.STATUS_SK]}}}
    }


def test_publisher_dead_letter_queue_is_tls_only(synth):
    dlq_id = synth.logical_id(synth.stack.publisher.dead_letter_queue)
    policies = [
        p["Properties"]
        for p in synth.resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": dlq_id} in p["Properties"]["Queues"]
    ]
    assert policies and all(_denies_insecure_transport(p["PolicyDocument"]) for p in policies)


def test_publisher_permissions(synth):
    statements = _role_statements(synth, "publisher")
    topic_id = synth.logical_id(synth.stack.notifications.topic)
    table_id = synth.logical_id(synth.stack.storage.table)
    idem_id = synth.logical_id(synth.stack.storage.idempotency_table)
    dlq_id = synth.logical_id(synth.stack.publisher.dead_letter_queue)

    assert _actions(statements, "sns:") == {"sns:Publish"}
    assert _resources_for(statements, "sns:") == [{"Ref": topic_id}]

    # Writes only to the idempotency table; the main table only through its stream.
    writes = [st for st in statements if DYNAMODB_WRITE & set(_list(st["Action"]))]
    assert writes and all(_list(st["Resource"]) == [_getatt(idem_id)] for st in writes)
    stream_reads = [st for st in statements if "dynamodb:GetRecords" in _list(st["Action"])]
    assert any(_list(st["Resource"]) == [_getatt(table_id, "StreamArn")] for st in stream_reads)
    assert _getatt(table_id) not in _resources_for(statements, "dynamodb:")

    assert _actions(statements, "sqs:") == {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
    assert set(map(json.dumps, _resources_for(statements, "sqs:"))) == {json.dumps(_getatt(dlq_id))}


# --- status API ----------------------------------------------------------------------------------------------


def _statements_with(statements, action: str) -> list[dict]:
    return [st for st in statements if action in _list(st["Action"])]


def test_api_function_permissions(synth):
    """Reads the table (status); PutItem on crowd items only (operator volumes); sends to the reports queue;
    reads the reporter salt. Nothing else."""
    statements = _role_statements(synth, "status_api")
    table_arn = _getatt(synth.logical_id(synth.stack.storage.table))
    queue_arn = _getatt(synth.logical_id(synth.stack.reports.queue))
    salt_ref = {"Ref": synth.logical_id(synth.stack.crowd_api.report_salt)}

    dynamodb_actions = _actions(statements, "dynamodb:")
    assert {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"} <= dynamodb_actions
    assert dynamodb_actions & DYNAMODB_WRITE == {"dynamodb:PutItem"}
    assert all(r == table_arn for r in _resources_for(statements, "dynamodb:"))
    (put,) = _statements_with(statements, "dynamodb:PutItem")
    assert _list(put["Action"]) == ["dynamodb:PutItem"] and put["Condition"] == CROWD_ITEMS_ONLY
    reads = [st for st in statements if set(_list(st["Action"])) & DYNAMODB_READ]
    assert reads and not any(set(_list(st["Action"])) & DYNAMODB_WRITE for st in reads)

    assert _actions(statements, "sqs:") == {"sqs:SendMessage"}
    assert _resources_for(statements, "sqs:") == [queue_arn]
    assert _actions(statements, "secretsmanager:") == {"secretsmanager:GetSecretValue"}
    assert _resources_for(statements, "secretsmanager:") == [salt_ref]
    assert not _actions(statements, "sns:") and not _actions(statements, "kms:")


def test_api_routes(synth):
    assert set(synth.routes()) == {
        ("GET", "/v1/status"),
        ("GET", "/v1/status/{service}"),
        ("GET", "/v1/openapi.json"),
        ("POST", "/v1/reports"),
        ("OPTIONS", "/v1/reports"),
        ("POST", "/v1/operator/volumes"),
    }


def test_status_routes_are_public_get_lambda_proxy_with_validation(synth):
    api = synth.stack.status_api
    api_fn_arn = _getatt(synth.logical_id(api.function))
    validator_id = synth.logical_id(api.request_validator)
    routes = {path: props for (verb, path), props in synth.routes().items() if verb == "GET"}
    assert set(routes) == {"/v1/status", "/v1/status/{service}", "/v1/openapi.json"}
    for path, props in routes.items():
        assert props["AuthorizationType"] == "NONE", path
        assert not props.get("ApiKeyRequired"), f"{path}: the public status needs no key"
        assert props["RequestValidatorId"] == {"Ref": validator_id}, path
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        assert json.dumps(api_fn_arn) in json.dumps(integration["Uri"])
    assert routes["/v1/status/{service}"]["RequestParameters"] == {"method.request.path.service": True}


def test_api_stage_logging_metrics_and_throttling(synth):
    api = synth.stack.status_api
    access_logs_id = synth.logical_id(api.access_logs)
    (stage,) = synth.resources("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["AccessLogSetting"]["DestinationArn"] == _getatt(access_logs_id)
    assert "$context.requestId" in props["AccessLogSetting"]["Format"]
    (settings,) = props["MethodSettings"]
    assert settings["HttpMethod"] == "*" and settings["ResourcePath"] == "/*"
    assert settings["LoggingLevel"] in {"ERROR", "INFO"}
    assert settings["MetricsEnabled"] is True
    assert settings["DataTraceEnabled"] is False
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0

    validator = synth.template["Resources"][synth.logical_id(api.request_validator)]["Properties"]
    assert validator["ValidateRequestParameters"] is True


def test_api_gateway_logging_role_has_no_managed_policy(synth):
    (account,) = synth.resources("AWS::ApiGateway::Account").values()
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = synth.template["Resources"][role_id]
    assert "ManagedPolicyArns" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    assert _actions(role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]) <= {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "logs:GetLogEvents",
        "logs:FilterLogEvents",
    }
    # Execution logging can only be turned on once the account setting exists.
    (stage_id,) = synth.resources("AWS::ApiGateway::Stage")
    account_id = next(iter(synth.resources("AWS::ApiGateway::Account")))
    assert account_id in synth.template["Resources"][stage_id].get("DependsOn", [])


# --- every function / every role -----------------------------------------------------------------------------


def _role_statements(synth, name: str) -> list[dict]:
    return synth.statements(_role(synth, name))


def test_handlers_are_the_four_entry_points(synth):
    functions = synth.resources("AWS::Lambda::Function")
    assert sorted(f["Properties"]["Handler"] for f in functions.values()) == sorted(HANDLERS.values())
    for name, handler in HANDLERS.items():
        assert _function_props(synth, name)["Handler"] == handler


def test_runtime_architecture_memory_timeout_and_logs(synth):
    functions = synth.resources("AWS::Lambda::Function")
    log_groups = synth.resources("AWS::Logs::LogGroup")
    for logical_id, fn in functions.items():
        props = fn["Properties"]
        match = re.fullmatch(r"python3\.(\d+)", props["Runtime"])
        assert match and int(match.group(1)) >= 12, props["Runtime"]
        assert props["Runtime"] == f"python{RUNTIME_PYTHON_VERSION}", "runtime and staged asset must agree"
        assert props["Architectures"] == ["x86_64"]
        assert isinstance(props["MemorySize"], int) and isinstance(props["Timeout"], int)
        group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert log_groups[group_id]["Properties"]["RetentionInDays"] > 0, logical_id
    assert all("RetentionInDays" in g["Properties"] for g in log_groups.values())


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_environment(synth, name):
    env = _function_props(synth, name)["Environment"]["Variables"]
    table_ref = {"Ref": synth.logical_id(synth.stack.storage.table)}
    assert env["POWERTOOLS_SERVICE_NAME"] == "ottwatch"
    assert env[config.ENV_TABLE] == table_ref
    if name == "reports":
        assert set(env) == {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", config.ENV_TABLE}
    else:
        assert env[config.ENV_COUNTRY] == "IT"
    assert config.ENV_CATALOG not in env, "the bundled catalog is used"
    assert config.ENV_REPORT_SALT not in env, "the salt is read from Secrets Manager, never from the environment"
    crowd_api_env = {config.ENV_REPORTS_QUEUE_URL, config.ENV_REPORT_SALT_SECRET_ARN, config.ENV_OPERATOR_KEY_HASHES}
    if name == "status_api":
        assert env[config.ENV_REPORTS_QUEUE_URL] == {"Ref": synth.logical_id(synth.stack.reports.queue)}
        assert env[config.ENV_REPORT_SALT_SECRET_ARN] == {"Ref": synth.logical_id(synth.stack.crowd_api.report_salt)}
        assert env[config.ENV_OPERATOR_KEY_HASHES] == "", "no operator key accepted until one is configured"
    else:
        assert not crowd_api_env & set(env)
    if name == "publisher":
        assert env[config.ENV_IDEMPOTENCY_TABLE] == {
            "Ref": synth.logical_id(synth.stack.storage.idempotency_table)
        }
        assert env[config.ENV_TOPIC_ARN] == {"Ref": synth.logical_id(synth.stack.notifications.topic)}


def test_no_wildcard_actions_or_resources(synth):
    for logical_id, res in synth.template["Resources"].items():
        docs = []
        if res["Type"] == "AWS::IAM::Policy":
            docs.append(res["Properties"]["PolicyDocument"])
        if res["Type"] == "AWS::IAM::Role":
            docs += [p["PolicyDocument"] for p in res["Properties"].get("Policies", [])]
        for st in (s for d in docs for s in d["Statement"]):
            actions = set(_list(st["Action"]))
            assert not any(a == "*" or a.endswith(":*") for a in actions), (logical_id, st)
            if "*" in _list(st.get("Resource", [])):
                assert actions <= ONLY_ON_STAR, (logical_id, st)


def test_no_aws_managed_policies(synth):
    for logical_id, role in synth.resources("AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id


def test_each_function_has_its_own_role(synth):
    roles = [json.dumps(f["Properties"]["Role"]) for f in synth.resources("AWS::Lambda::Function").values()]
    assert len(roles) == len(set(roles)) == len(HANDLERS)


# --- context -------------------------------------------------------------------------------------------------


OPERATOR_KEY_HASHES = (hashlib.sha256(b"first key").hexdigest(), hashlib.sha256(b"second key").hexdigest())


def test_context_sets_country_operator_keys_and_can_leave_the_account_logging_role_alone(tmp_path):
    app, stack = build_app(
        outdir=str(tmp_path),
        context={
            "country": "fr",
            "apiGatewayAccountLoggingRole": "false",
            "operatorKeyHashes": f" {OPERATOR_KEY_HASHES[0].upper()}, {OPERATOR_KEY_HASHES[1]},",
        },
    )
    template = app.synth().get_stack_artifact(stack.artifact_id).template  # still passes the checks
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    countries = {f["Properties"]["Environment"]["Variables"].get(config.ENV_COUNTRY) for f in functions}
    assert countries == {"FR", None}  # the ingest function has no use for the country
    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Account"]
    api_env = template["Resources"][stack.get_logical_id(stack.status_api.function.node.default_child)]
    assert api_env["Properties"]["Environment"]["Variables"][config.ENV_OPERATOR_KEY_HASHES] == ",".join(
        OPERATOR_KEY_HASHES
    )


def test_country_must_be_iso_alpha2(tmp_path):
    with pytest.raises(ValueError, match="alpha-2"):
        build_app(outdir=str(tmp_path), context={"country": "Italy"})


@pytest.mark.parametrize("value", ["not-a-hash", "ab" * 31, hashlib.sha256(b"k").hexdigest() + ",secret-key"])
def test_operator_key_hashes_must_be_sha256_hex(tmp_path, value):
    """A key pasted instead of its hash would end up in the function's environment: refuse it."""
    with pytest.raises(ValueError, match="operatorKeyHashes"):
        build_app(outdir=str(tmp_path), context={"country": "IT", "operatorKeyHashes": value})
