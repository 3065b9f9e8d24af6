"""`ottwatch demo`: one outage, end to end, on the embedded stack, with no network.

A loopback status page replays real GitHub captures (all operational on 2019-12-30; the 2020-04-02 major
outage); the collect handler polls it, the status lands in DynamoDB, the stream poller hands the change to
the publish handler, SNS delivers it to an SQS queue subscribed with an IVR's filter policy, and the HTTP
API serves it. Every step is printed as a timeline.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
import urllib.error
import urllib.request
from importlib import resources
from pathlib import Path

from ottwatch import aws
from ottwatch.local.fixture_server import FixtureStatusPage
from ottwatch.local.resources import IVR_FILTER_POLICY, IVR_QUEUE_NAME
from ottwatch.local.stack import EmbeddedStack

DATA = resources.files("ottwatch.local") / "demo_data"
OPERATIONAL = "github_summary_2019-12-30_none_all-operational.json"
OUTAGE = "github_summary_2020-04-02_major_outage-investigating.json"


class Timeline:
    def __init__(self, out) -> None:
        self.out = out
        self.start = time.monotonic()

    def __call__(self, actor: str, text: str) -> None:
        self.out(f"[+{time.monotonic() - self.start:5.2f}s] {actor:<12} {text}")

    def note(self, text: str) -> None:
        self.out(f"{'':22}{text}")


def run_demo(out=print, port: int = 0) -> int:
    page = FixtureStatusPage((DATA / OPERATIONAL).read_bytes()).start()
    with tempfile.TemporaryDirectory(prefix="ottwatch-demo-") as tmp:
        catalog = Path(tmp) / "catalog.yaml"
        catalog.write_text(
            "services:\n  - id: github\n    name: GitHub\n    category: developer\n    sources:\n"
            f"      - kind: statuspage\n        url: {page.url}\n"
        )
        # No scheduler thread: the demo invokes the same collect handler itself, one phase at a time.
        stack = EmbeddedStack(catalog, port=port, interval=None, stream_interval=0.2).start()
        logging.getLogger("ottwatch").setLevel(logging.WARNING)  # the timeline says it all; warnings still show
        try:
            return _replay(stack, page, Timeline(out))
        finally:
            stack.stop()
            page.stop()


def _replay(stack: EmbeddedStack, page: FixtureStatusPage, say: Timeline) -> int:
    say("stack", f"moto server {stack.moto_endpoint}; API {stack.gateway.url}; status page {page.url}")
    say("sqs", f"queue {IVR_QUEUE_NAME} subscribed to the topic with filter {json.dumps(IVR_FILTER_POLICY)}")
    phases = [
        (OPERATIONAL, "GitHub all operational (real capture, 2019-12-30)"),
        (OUTAGE, "GitHub major outage (real capture, 2020-04-02 20:37 UTC)"),
        (OUTAGE, "unchanged page polled again (conditional GET)"),
        (OPERATIONAL, "GitHub recovers (the 2019-12-30 capture again)"),
    ]
    delivered = []
    for fixture, label in phases:
        page.serve((DATA / fixture).read_bytes())
        say("status page", label)
        before = dict(page.served)
        summary = stack.collect_now()
        answered = "304 Not Modified" if page.served["304"] > before["304"] else "200 OK"
        if summary["transitions"]:
            say("collector", f"page answered {answered}; transition {', '.join(summary['transitions'])}")
        else:
            say("collector", f"page answered {answered}; no change, nothing written, nothing published")
        version = _show_history(stack, say) if summary["transitions"] else 0
        # A service's first status is not news: the IVR's filter policy drops it (event_type status_initialised).
        messages = _drain_queue(stack, expect=1 if summary["transitions"] and version > 1 else 0)
        for message in messages:
            attrs = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
            body = json.loads(message["Body"])
            say("sns->sqs", " ".join(f"{k}={attrs[k]}" for k in sorted(attrs)))
            say.note(f"en: {body['texts']['en']}")
            say.note(f"it: {body['texts']['it']}")
            delivered.append(body)
        if summary["transitions"] and not messages:
            say("sns->sqs", "nothing delivered: the filter policy drops a service's first status (status_initialised)")
        _show_api(stack, say)

    states = [m["state"] for m in delivered]
    ok = states == ["major_outage", "operational"]
    say("done", f"{len(delivered)} messages reached {IVR_QUEUE_NAME}: {' -> '.join(states) or 'none'}"
        + ("" if ok else "  (expected major_outage -> operational)"))
    return 0 if ok else 1


def _show_history(stack: EmbeddedStack, say: Timeline) -> int:
    from ottwatch.handlers.deps import status_repository as repository

    latest = repository().history("github", limit=1)
    if not latest:
        return 0
    h = latest[0]
    say("dynamodb", f"history v{h['version']}: {h.get('previous_state') or 'none'} -> {h['state']} at {h['at']}")
    return h["version"]


def _drain_queue(stack: EmbeddedStack, expect: int, timeout: float = 10.0) -> list[dict]:
    sqs = aws.client("sqs")
    got: list[dict] = []
    deadline = time.monotonic() + (timeout if expect else 1.5)
    while time.monotonic() < deadline and len(got) < max(expect, 1):
        stack.pump_stream()
        resp = sqs.receive_message(QueueUrl=stack.resources.ivr_queue_url, MaxNumberOfMessages=10,
                                   MessageAttributeNames=["All"], WaitTimeSeconds=0)
        for message in resp.get("Messages", []):
            got.append(message)
            sqs.delete_message(QueueUrl=stack.resources.ivr_queue_url, ReceiptHandle=message["ReceiptHandle"])
        if len(got) < max(expect, 1):
            time.sleep(0.2)
    return got


def _show_api(stack: EmbeddedStack, say: Timeline) -> None:
    url = f"{stack.gateway.url}/v1/status/github"
    with urllib.request.urlopen(url, timeout=5) as resp:
        body, etag = json.loads(resp.read()), resp.headers["ETag"]
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            again = resp.status
    except urllib.error.HTTPError as exc:
        again = exc.code
    say("api", f"GET /v1/status/github -> 200 state={body['state']} confidence={body['confidence']} "
               f"verdict={body['verdict']} v{body['version']}; same ETag again -> {again}")
