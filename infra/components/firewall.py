"""ApiFirewall: a regional WAF web ACL on the API stage, with per-IP rate limits.

Two rate-based rules, nothing else (cost: the web ACL, two rules and the per-request charge):

* ``ReportsPerIp``: one address may POST /v1/reports at most REPORTS_LIMIT times per window. It costs the
  crowd signal nothing: the counting already takes at most a few reporters per network and window.
* ``AllPerIp``: any request, ALL_LIMIT per window per address: a flood from one address is stopped before
  the stage throttle (shared by every visitor) is spent on it.

The AWS managed common rule set is left out on purpose: the API takes small, schema-validated JSON bodies
and renders nothing, so its XSS/SQLi/LFI signatures guard nothing here, while its SizeRestrictions_BODY rule
(8 KB) would block the operator's larger volume pushes (up to 500 volumes per request).

Requests are counted by source IP: right while clients reach the regional endpoint directly. Behind a CDN,
aggregate on the forwarded IP instead.
"""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

WINDOW_SECONDS = 300  # WAF rate windows: 60, 120, 300 or 600 s
REPORTS_LIMIT = 100  # WAF minimum is 10
ALL_LIMIT = 2000
REPORTS_PATH = "/v1/reports"

_waf = wafv2.CfnWebACL


def _visibility(metric: str) -> _waf.VisibilityConfigProperty:
    return _waf.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _block_429() -> _waf.RuleActionProperty:
    # 429 rather than WAF's default 403: a throttled client should back off, not think it is forbidden.
    return _waf.RuleActionProperty(
        block=_waf.BlockActionProperty(custom_response=_waf.CustomResponseProperty(response_code=429))
    )


def _matches(field: _waf.FieldToMatchProperty, value: str, constraint: str, *transforms: str) -> _waf.StatementProperty:
    return _waf.StatementProperty(
        byte_match_statement=_waf.ByteMatchStatementProperty(
            field_to_match=field,
            positional_constraint=constraint,
            search_string=value,
            text_transformations=[
                _waf.TextTransformationProperty(priority=i, type=t) for i, t in enumerate(transforms or ("NONE",))
            ],
        )
    )


def _rate_rule(name: str, priority: int, limit: int, scope_down: _waf.StatementProperty | None = None):
    return _waf.RuleProperty(
        name=name,
        priority=priority,
        action=_block_429(),
        statement=_waf.StatementProperty(
            rate_based_statement=_waf.RateBasedStatementProperty(
                aggregate_key_type="IP",
                limit=limit,
                evaluation_window_sec=WINDOW_SECONDS,
                scope_down_statement=scope_down,
            )
        ),
        visibility_config=_visibility(f"ottwatch-{name}"),
    )


# POST .../v1/reports. CONTAINS, not EXACTLY: on the execute-api endpoint the path WAF sees starts with the
# stage (/live/v1/reports); on a custom domain it does not. URL-decoded first, so an encoded path matches too.
REPORTS_POST = _waf.StatementProperty(
    and_statement=_waf.AndStatementProperty(
        statements=[
            _matches(_waf.FieldToMatchProperty(uri_path={}), REPORTS_PATH, "CONTAINS", "URL_DECODE"),
            _matches(_waf.FieldToMatchProperty(method={}), "POST", "EXACTLY"),
        ]
    )
)


class ApiFirewall(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: apigw.Stage) -> None:
        super().__init__(scope, construct_id)
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            description="ottwatch: per-IP rate limits on the public API",
            default_action=_waf.DefaultActionProperty(allow=_waf.AllowActionProperty()),
            visibility_config=_visibility("ottwatch-api"),
            rules=[
                _rate_rule("ReportsPerIp", 0, REPORTS_LIMIT, REPORTS_POST),
                _rate_rule("AllPerIp", 1, ALL_LIMIT),
            ],
        )
        # stage_arn holds a Ref to the stage (its name), so the association waits for the stage.
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
        )
