"""The whole local stack as a user runs it: `ottwatch serve` in its own process, spoken to over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3
import pytest
from ottwatch.local.fixture_server import FixtureStatusPage

from tests.conftest import GITHUB_OK, GITHUB_OUTAGE

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, dict, dict]:
    try:
        request = urllib.request.Request(url, headers=headers or {}, data=data)
        with urllib.request.urlopen(request, timeout=5) as resp:
            raw = resp.read()
            return resp.status, dict(resp.headers), (json.loads(raw) if raw else {})
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, dict(exc.headers), (json.loads(raw) if raw else {})


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def served(tmp_path):
    page = FixtureStatusPage(GITHUB_OK.read_bytes()).start()
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "services:\n"
        f"  - {{id: github, name: GitHub, sources: [{{kind: statuspage, url: '{page.url}'}}]}}\n"
        "  - {id: dead, name: Dead, sources: [{kind: statuspage, url: 'http://127.0.0.1:9/api/v2/summary.json'}]}\n"
    )
    port, moto_port = free_port(), free_port()
    stderr = open(tmp_path / "stderr.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ottwatch.cli", "serve", "--catalog", str(catalog), "--port", str(port),
         "--moto-port", str(moto_port), "--interval", "1"],
        stdout=subprocess.PIPE, stderr=stderr, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    banner = proc.stdout.readline()
    assert "ottwatch serving" in banner, banner
    yield {"api": f"http://127.0.0.1:{port}", "moto": f"http://127.0.0.1:{moto_port}", "page": page,
           "proc": proc, "stderr": stderr}
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    page.stop()
    stderr.close()


def ivr_messages(moto: str) -> list[dict]:
    sqs = boto3.client("sqs", endpoint_url=moto, region_name="eu-south-1",
                       aws_access_key_id="x", aws_secret_access_key="x")
    url = sqs.get_queue_url(QueueName="ottwatch-ivr")["QueueUrl"]
    out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])
    return [{"body": json.loads(m["Body"]), "attrs": {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}}
            for m in out]


def test_an_outage_travels_from_the_page_to_the_api_and_sns(served):
    api, page = served["api"], served["page"]

    def state(service):
        return http_get(f"{api}/v1/status/{service}")[2].get("state")

    wait_for(lambda: state("github") == "operational", 20, "github operational")
    assert state("dead") == "unknown"
    _, _, dead = http_get(f"{api}/v1/status/dead")
    assert "connection refused" in dead["evidence"][0]["error"]

    page.serve(GITHUB_OUTAGE.read_bytes())
    started = time.monotonic()
    wait_for(lambda: state("github") == "major_outage", 20, "github major_outage")
    messages = wait_for(lambda: ivr_messages(served["moto"]), 20, "the IVR queue to receive the outage")
    reached_sns = time.monotonic() - started
    assert len(messages) == 1
    assert messages[0]["attrs"] == {"service": "github", "state": "major_outage", "previous_state": "operational",
                                    "severity": "4", "country": "IT", "event_type": "status_changed"}
    assert messages[0]["body"]["texts"]["en"].startswith("GitHub has been down since")
    assert reached_sns < 1 + 10  # one collection interval + 10 s (DESIGN.md budget)

    status, headers, listing = http_get(f"{api}/v1/status")
    assert status == 200 and [s["service"] for s in listing["services"]] == ["github", "dead"]
    assert http_get(f"{api}/v1/status", {"If-None-Match": headers["ETag"]})[0] == 304
    assert http_get(f"{api}/v1/status/whatsapp")[0] == 404
    assert http_get(f"{api}/v1/openapi.json")[2]["info"]["title"] == "ottwatch status API"


def test_keeps_running_with_unreachable_sources_and_logs_each_once(served):
    api = served["api"]
    wait_for(lambda: http_get(f"{api}/v1/status/github")[2].get("state") == "operational", 20, "first collection")
    time.sleep(3.5)  # several more collections with the dead source still dead
    assert served["proc"].poll() is None
    served["proc"].send_signal(signal.SIGTERM)
    assert served["proc"].wait(timeout=20) == 0
    served["stderr"].seek(0)
    log = served["stderr"].read()
    assert log.count("source failing: dead/statuspage") == 1
    assert "Traceback" not in log


def test_the_banner_can_post_a_problem_report(served):
    api = served["api"]
    preflight = urllib.request.Request(f"{api}/v1/reports", method="OPTIONS", headers={
        "Origin": "https://www.operator.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    with urllib.request.urlopen(preflight, timeout=5) as resp:
        assert resp.status in (200, 204)
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
    origin = {"Content-Type": "application/json", "Origin": "https://www.operator.example"}
    status, headers, body = http_get(f"{api}/v1/reports", origin, b'{"service":"github","problem":"login"}')
    assert (status, body, headers["Access-Control-Allow-Origin"]) == (202, {"status": "accepted"}, "*")
    status, _, body = http_get(f"{api}/v1/reports", origin, b'{"service":"github","problem":"meh"}')
    assert status == 422 and "body.problem" in body["message"]
