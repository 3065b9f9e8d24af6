"""collect and api handlers end to end on moto: a loopback status page in, HTTP answers out."""

from __future__ import annotations

import json

import pytest
from ottwatch import aws, config
from ottwatch.handlers import api, collect
from ottwatch.local.context import LocalContext
from ottwatch.local.fixture_server import FixtureStatusPage
from ottwatch.local.gateway import request_event

from tests.conftest import GITHUB_OK, GITHUB_OUTAGE
from tests.integration.conftest import forget_cached_clients


@pytest.fixture
def page():
    server = FixtureStatusPage(GITHUB_OK.read_bytes()).start()
    yield server
    server.stop()


@pytest.fixture
def stack(aws_stack, page, tmp_path, monkeypatch):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "services:\n"
        f"  - {{id: github, name: GitHub, sources: [{{kind: statuspage, url: '{page.url}'}}]}}\n"
        "  - {id: dead, name: Dead Page, sources: [{kind: statuspage, url: 'http://127.0.0.1:9/summary.json'}]}\n"
        "  - {id: later, name: Not Yet Checked}\n"
    )
    monkeypatch.setenv(config.ENV_CATALOG, str(catalog))
    forget_cached_clients()
    return aws_stack


def get(path: str, **headers) -> tuple[int, dict, dict]:
    resp = api.handler(request_event("GET", path, {"Host": "api", **headers}, None, "203.0.113.7"), LocalContext())
    flat = {k: ", ".join(v) for k, v in (resp.get("multiValueHeaders") or {}).items()} | (resp.get("headers") or {})
    return int(resp["statusCode"]), flat, (json.loads(resp["body"]) if resp["body"] else {})


def collect_once() -> dict:
    return collect.handler({"source": "aws.events"}, LocalContext())


def count_dynamodb_calls():
    calls = []
    aws.client("dynamodb").meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    return calls


def test_collect_then_serve(stack, page):
    summary = collect_once()
    assert summary == {"services": 3, "transitions": ["github:operational", "dead:unknown", "later:unknown"],
                       "failing_sources": 1}
    page.serve(GITHUB_OUTAGE.read_bytes())
    assert collect_once()["transitions"] == ["github:major_outage"]
    assert collect_once()["transitions"] == []
    assert page.served == {"200": 2, "304": 1, "error": 0}

    status, headers, body = get("/v1/status/github")
    assert status == 200
    assert (body["state"], body["previous_state"], body["verdict"], body["version"]) == (
        "major_outage", "operational", "provider", 2)
    assert headers["Cache-Control"].startswith("public, max-age=")

    _, _, dead = get("/v1/status/dead")
    assert dead["state"] == "unknown" and dead["confidence"] == 0
    assert "connection refused" in dead["evidence"][0]["error"]


def test_a_service_never_collected_is_unknown_not_operational(stack):
    status, _, body = get("/v1/status/later")
    assert status == 200
    assert (body["state"], body["since"], body["version"], body["verdict"]) == ("unknown", None, 0, "unknown")


def test_list_is_one_dynamodb_read_and_supports_304(stack):
    collect_once()
    calls = count_dynamodb_calls()
    status, headers, body = get("/v1/status")
    assert status == 200 and calls == ["BatchGetItem"]
    assert [s["service"] for s in body["services"]] == ["github", "dead", "later"]
    assert [s["state"] for s in body["services"]] == ["operational", "unknown", "unknown"]

    status, again, body = get("/v1/status", **{"If-None-Match": headers["ETag"]})
    assert (status, body, again["ETag"]) == (304, {}, headers["ETag"])
    assert get("/v1/status", **{"If-None-Match": '"stale"'})[0] == 200


def test_one_service_is_one_read(stack):
    collect_once()
    calls = count_dynamodb_calls()
    assert get("/v1/status/github")[0] == 200
    assert calls == ["GetItem"]


def test_bad_requests_get_a_reason(stack):
    status, _, body = get("/v1/status/netflix")
    assert status == 404 and body["error"] == "unknown_service" and "'netflix'" in body["message"]
    status, _, body = get("/v1/status/NOT%20AN%20ID")
    assert status == 422 and body["error"] == "invalid_request" and "path.service" in body["message"]
    status, _, body = get("/v2/status")
    assert status == 404 and "no route" in body["message"]


def test_openapi_document_describes_the_routes(stack):
    status, _, spec = get("/v1/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/v1/status", "/v1/status/{service}", "/v1/reports", "/v1/operator/volumes"}
    one = spec["paths"]["/v1/status/{service}"]["get"]
    assert one["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/StatusOut")
    assert "404" in one["responses"]
    states = spec["components"]["schemas"]["State"]["enum"]
    assert states == ["operational", "under_maintenance", "degraded_performance", "partial_outage",
                      "major_outage", "unknown"]
