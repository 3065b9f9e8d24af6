"""Stream -> publish handler -> SNS -> SQS, on moto: filterable attributes, retries, no duplicates."""

from __future__ import annotations

import json
from datetime import timedelta

from botocore.stub import Stubber
from ottwatch import aws
from ottwatch.domain.fusion import fuse
from ottwatch.domain.models import Observation
from ottwatch.domain.status import State
from ottwatch.domain.transitions import decide
from ottwatch.handlers import publish
from ottwatch.local.streams import StreamPoller

from tests.integration.conftest import REGION


def store(repo, state, at):
    previous = repo.get_status("github")
    obs = Observation(service="github", source="statuspage", state=state, observed_at=at, description="words")
    repo.apply(decide(fuse("github", "GitHub", [obs], at, previous=previous, country="IT"), previous))


def unfiltered_queue(aws_stack) -> str:
    sqs, sns = aws.client("sqs"), aws.client("sns")
    url = sqs.create_queue(QueueName="ops-all")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=aws_stack.resources.topic_arn, Protocol="sqs", Endpoint=arn,
                  Attributes={"RawMessageDelivery": "true"})
    return url


def drain(url: str) -> list[dict]:
    sqs = aws.client("sqs")
    out = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])
        if not msgs:
            return out
        for m in msgs:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            out.append({"body": json.loads(m["Body"]),
                        "attrs": {k: (v["DataType"], v["StringValue"]) for k, v in m["MessageAttributes"].items()}})


def poller(aws_stack) -> StreamPoller:
    return StreamPoller(aws_stack.resources.stream_arn, publish.handler, aws.client("dynamodbstreams"), REGION)


def test_one_message_per_transition_with_filterable_attributes(aws_stack, now):
    everything = unfiltered_queue(aws_stack)
    store(aws_stack.repo, State.OPERATIONAL, now)
    store(aws_stack.repo, State.MAJOR_OUTAGE, now + timedelta(minutes=1))
    store(aws_stack.repo, State.MAJOR_OUTAGE, now + timedelta(minutes=7))  # heartbeat refresh: not news
    assert poller(aws_stack).poll_once() == 5  # 3 STATUS writes and 2 history items; only transitions publish

    messages = drain(everything)
    assert [m["body"]["state"] for m in messages] == ["operational", "major_outage"]
    outage = messages[1]
    assert outage["attrs"] == {
        "service": ("String", "github"), "state": ("String", "major_outage"),
        "previous_state": ("String", "operational"), "severity": ("Number", "4"),
        "country": ("String", "IT"), "event_type": ("String", "status_changed")}
    body = outage["body"]
    assert (body["service"], body["name"], body["previous_state"], body["version"]) == (
        "github", "GitHub", "operational", 2)
    assert body["confidence"] == 0.95 and body["verdict"] == "provider"
    assert body["since"] == (now + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert "GitHub" in body["texts"]["en"] and "non è disponibile" in body["texts"]["it"]

    # The IVR's queue filters out the first status (event_type status_initialised) without code.
    ivr = drain(aws_stack.resources.ivr_queue_url)
    assert [m["body"]["version"] for m in ivr] == [2]


def test_a_replayed_batch_sends_nothing_twice(aws_stack, now):
    everything = unfiltered_queue(aws_stack)
    store(aws_stack.repo, State.OPERATIONAL, now)
    store(aws_stack.repo, State.PARTIAL_OUTAGE, now + timedelta(minutes=1))
    poller(aws_stack).poll_once()
    assert len(drain(everything)) == 2
    publish.reset()  # a new Lambda instance: only the idempotency table remembers
    assert poller(aws_stack).poll_once() == 4  # the stream is read again from its start
    assert drain(everything) == []


def test_a_failed_publish_is_retried_not_dropped(aws_stack, now):
    everything = unfiltered_queue(aws_stack)
    store(aws_stack.repo, State.OPERATIONAL, now)
    store(aws_stack.repo, State.MAJOR_OUTAGE, now + timedelta(minutes=1))
    stream = poller(aws_stack)
    sns = aws.client("sns")
    with Stubber(sns) as stub:
        stub.add_client_error("publish", service_error_code="InternalError", http_status_code=500)
        stub.add_client_error("publish", service_error_code="Throttling", http_status_code=400)
        assert stream.poll_once() == 2  # of 4 records, both transitions reported as batch item failures
    assert drain(everything) == []
    assert stream.poll_once() == 4  # redelivered from the first failed record
    assert [m["body"]["version"] for m in drain(everything)] == [1, 2]
    assert stream.poll_once() == 0
