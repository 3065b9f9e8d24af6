"""Problem reports and operator volumes through the real API handler, queue and ingest handler, on moto."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import Stubber
from ottwatch import aws, config
from ottwatch.domain.reports import NETWORK_CAP, bucket_start
from ottwatch.handlers import api, ingest
from ottwatch.local.context import LocalContext
from ottwatch.local.gateway import request_event
from ottwatch.local.queues import QueuePoller
from ottwatch.store.crowd import CrowdRepository

from tests.integration.conftest import REGION, forget_cached_clients

OPERATOR_KEY = "test-operator-key-please-rotate"


@pytest.fixture
def crowd(aws_stack, monkeypatch):
    sqs = aws.client("sqs")
    dlq = sqs.create_queue(QueueName="reports-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="reports", Attributes={
        "VisibilityTimeout": "1", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
    })["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv(config.ENV_REPORTS_QUEUE_URL, url)
    monkeypatch.setenv(config.ENV_REPORT_SALT, "a-test-salt")
    monkeypatch.setenv(config.ENV_OPERATOR_KEY_HASHES, hashlib.sha256(OPERATOR_KEY.encode()).hexdigest())
    forget_cached_clients()
    poller = QueuePoller(url, arn, ingest.handler, aws.client("sqs"), REGION)
    return {"url": url, "dlq": dlq, "poller": poller, "repo": CrowdRepository(aws_stack.resources.table_name,
                                                                              aws.client("dynamodb"))}


def post(path: str, body, ip="198.51.100.23", ua="Mozilla/5.0 (Android 14) WhatsAppFan/1.0", **headers):
    raw = body if isinstance(body, str) else json.dumps(body)
    event = request_event("POST", path, {"Content-Type": "application/json", "User-Agent": ua, **headers},
                          raw.encode(), ip)
    resp = api.handler(event, LocalContext())
    return int(resp["statusCode"]), (json.loads(resp["body"]) if resp.get("body") else {})


def window_now():
    return bucket_start(datetime.now(UTC))


def count(crowd, service="whatsapp", country="IT"):
    now = window_now()
    found = crowd["repo"].windows(service, country, now - timedelta(minutes=15), now)
    return found.get(now)


def test_a_report_is_accepted_and_queued_without_the_address(crowd):
    status, body = post("/v1/reports", {"service": "whatsapp", "problem": "messages_not_sending"})
    assert (status, body) == (202, {"status": "accepted"})
    queued = aws.client("sqs").receive_message(QueueUrl=crowd["url"])["Messages"][0]["Body"]
    assert "198.51.100" not in queued and "Mozilla" not in queued
    message = json.loads(queued)
    assert (message["service"], message["country"], message["problem"]) == ("whatsapp", "IT", "messages_not_sending")
    assert len(message["reporter"]) == 16 and len(message["network"]) == 16


def test_one_person_counts_once_and_cannot_tell(crowd):
    answers = {json.dumps(post("/v1/reports", {"service": "whatsapp", "problem": "login"})) for _ in range(5)}
    assert answers == {json.dumps([202, {"status": "accepted"}])}  # duplicates look exactly like the first
    crowd["poller"].poll_once()
    window = count(crowd)
    assert (window.reporters, window.raw, window.problems) == (1, 5, {"login": 5})


def test_one_network_counts_at_most_a_few_reporters(crowd):
    for i in range(20):  # a script rotating user agents behind one address
        post("/v1/reports", {"service": "whatsapp", "problem": "other"}, ua=f"bot/{i}")
    for i in range(4):  # four real households elsewhere
        post("/v1/reports", {"service": "whatsapp", "problem": "no_connection"}, ip=f"203.0.{113 + i}.9")
    crowd["poller"].poll_once()
    assert count(crowd).reporters == NETWORK_CAP + 4


def test_country_comes_from_the_body_then_the_viewer_then_the_market(crowd):
    post("/v1/reports", {"service": "whatsapp", "problem": "login", "country": "ES"})
    post("/v1/reports", {"service": "whatsapp", "problem": "login"}, **{"CloudFront-Viewer-Country": "fr"})
    crowd["poller"].poll_once()
    assert count(crowd, country="ES").reporters == 1
    assert count(crowd, country="FR").reporters == 1
    assert count(crowd, country="IT") is None


@pytest.mark.parametrize("body, status, reason", [
    ({"service": "whatsapp", "problem": "it is slow"}, 422, "body.problem"),
    ({"service": "whatsapp"}, 422, "body.problem"),
    ({"service": "whatsapp", "problem": "login", "country": "Italy"}, 422, "body.country"),
    ({"service": "whatsapp", "problem": "login", "comment": "<script>"}, 422, "body.comment"),
    ({"service": "myspace", "problem": "login"}, 404, "unknown service 'myspace'"),
    ("{not json", 422, "body"),
])
def test_bad_reports_get_a_reason_and_queue_nothing(crowd, body, status, reason):
    got, answer = post("/v1/reports", body)
    assert got == status and reason in answer["message"]
    assert aws.client("sqs").receive_message(QueueUrl=crowd["url"]).get("Messages") is None


def test_reports_fail_closed_without_a_salt(crowd, monkeypatch):
    monkeypatch.delenv(config.ENV_REPORT_SALT)
    forget_cached_clients()
    status, body = post("/v1/reports", {"service": "whatsapp", "problem": "login"})
    assert status == 503 and "salt" in body["message"]


def test_a_failed_counter_write_is_retried_and_counts_once(crowd):
    post("/v1/reports", {"service": "whatsapp", "problem": "login"})
    post("/v1/reports", {"service": "telegram", "problem": "login"})
    dynamodb = aws.client("dynamodb")
    with Stubber(dynamodb) as stub:
        stub.add_client_error("update_item", "ProvisionedThroughputExceededException", http_status_code=400)
        stub.add_response("update_item", {})
        # Whichever group hits the error is given back; the other one lands (through the stub).
        assert crowd["poller"].poll_once() == 1
    time.sleep(1.1)  # the visibility timeout
    assert crowd["poller"].poll_once() == 1  # the failed one, redelivered
    time.sleep(1.1)
    assert crowd["poller"].poll_once() == 0


def test_a_message_that_is_not_a_report_goes_to_the_dead_letter_queue(crowd):
    aws.client("sqs").send_message(QueueUrl=crowd["url"], MessageBody='{"hello": "world"}')
    for _ in range(4):
        crowd["poller"].poll_once()
        time.sleep(1.1)
    dead = aws.client("sqs").receive_message(QueueUrl=crowd["dlq"]).get("Messages", [])
    assert [m["Body"] for m in dead] == ['{"hello": "world"}']


def volume(count=420, minutes_ago=30, **extra):
    start = window_now() - timedelta(minutes=minutes_ago)
    return {"service": "whatsapp", "interval_start": start.isoformat(), "count": count, **extra}


def test_operator_volumes_need_the_key(crowd):
    body = {"volumes": [volume()]}
    assert post("/v1/operator/volumes", body)[0] == 401
    assert post("/v1/operator/volumes", body, **{"X-Api-Key": "guess"})[0] == 401
    status, answer = post("/v1/operator/volumes", body, **{"X-Api-Key": OPERATOR_KEY})
    assert (status, answer) == (202, {"status": "stored", "volumes": 1})


def test_operator_volumes_are_stored_and_a_correction_replaces(crowd):
    key = {"X-Api-Key": OPERATOR_KEY}
    post("/v1/operator/volumes", {"volumes": [volume(400), volume(90, channel="tickets")]}, **key)
    post("/v1/operator/volumes", {"volumes": [volume(420)]}, **key)  # the call centre corrects its figure
    start = window_now() - timedelta(minutes=30)
    assert crowd["repo"].operator_volumes("whatsapp", "IT", start, start) == {start: 510}
    status, body = post("/v1/operator/volumes", {"volumes": [volume(-5)]}, **key)
    assert status == 422 and "count" in body["message"]


def test_counted_reports_reach_the_detector_and_its_state_is_kept(crowd):
    from ottwatch.crowd_signal import CrowdSignals

    post("/v1/reports", {"service": "whatsapp", "problem": "login"})
    crowd["poller"].poll_once()
    signals = CrowdSignals(crowd["repo"], "IT")
    now = datetime.now(UTC) + timedelta(minutes=16)  # the window with the report has closed
    [observation] = signals.observe("whatsapp", now)
    assert observation.source == "crowd_reports" and observation.signal_class == "crowd"
    state, last, version = crowd["repo"].get_detector("whatsapp", "IT", "reports")
    assert state and version == 1 and last == window_now()
    assert signals.observe("telegram", now) == []  # nobody reported telegram: no crowd evidence
