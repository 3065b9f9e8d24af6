"""Problem reports under surge, through the real path on moto: API handler -> SQS -> ingest handler -> DynamoDB.

Measures, in one run: accepted reports per second through the API handler (onto SQS) and through the
ingest handler (into DynamoDB, in batches of up to 1000 as the AWS event source delivers them), and DynamoDB
write requests per accepted report (target <= 0.05), next to what writing each report would cost (1.0).
moto's SQS slows down sharply as a queue grows (a few thousand messages: seconds per receive), so a
collector thread keeps the queue short while reports arrive and the counting phase then hands the
collected messages to the ingest handler in Lambda's SQS event shape — the handlers are the real ones. The surge mixes real households (several devices behind one address), repeat reporters and a
script rotating user agents behind one address, as during the 25 Oct 2022 WhatsApp outage in Italy.

Usage: .venv/bin/python bench/ingest_surge.py [--reports 10000] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from moto.server import ThreadedMotoServer
from ottwatch import aws, config


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update({"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "x",
                       "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "eu-south-1",
                       "POWERTOOLS_LOG_LEVEL": "WARNING"})

    from ottwatch.handlers import api, ingest
    from ottwatch.local.context import LocalContext
    from ottwatch.local.gateway import request_event
    from ottwatch.local.queues import MAX_BATCH, QueuePoller
    from ottwatch.local.resources import create_resources

    resources = create_resources(aws.client("dynamodb"), aws.client("sns"), aws.client("sqs"))
    os.environ.update({config.ENV_TABLE: resources.table_name, config.ENV_REPORTS_QUEUE_URL: resources.reports_queue_url,
                       config.ENV_REPORT_SALT: "bench-salt", config.ENV_COUNTRY: "IT"})
    config.settings.cache_clear()
    sqs = aws.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=resources.reports_queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    poller = QueuePoller(resources.reports_queue_url, arn, ingest.handler, sqs, "eu-south-1")

    writes = {"n": 0}
    lock = threading.Lock()

    def count_write(model, **_):
        if model.name in {"PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems", "DeleteItem"}:
            with lock:
                writes["n"] += 1

    aws.client("dynamodb").meta.events.register("before-call.dynamodb", count_write)

    rng = random.Random(2022)
    households = [f"79.{rng.randrange(1, 255)}.{rng.randrange(0, 255)}.{rng.randrange(1, 255)}" for _ in range(3000)]
    requests = []
    for i in range(args.reports):
        kind = rng.random()
        if kind < 0.05:  # a script behind one address, new user agent every time
            ip, ua = "192.0.2.66", f"curl/{i}"
        elif kind < 0.25:  # someone pressing the button again
            ip, ua = households[rng.randrange(200)], "Mozilla/5.0 (iPhone) Safari"
        else:
            ip, ua = rng.choice(households), rng.choice(["Mozilla/5.0 (Android 14)", "Mozilla/5.0 (iPhone) Safari",
                                                          "Mozilla/5.0 (Windows NT 10.0) Chrome"])
        body = json.dumps({"service": "whatsapp", "problem": rng.choice(["messages_not_sending"] * 7 + ["login", "no_connection", "other"])})
        requests.append(request_event("POST", "/v1/reports", {"Content-Type": "application/json", "User-Agent": ua},
                                      body.encode(), ip))

    accepted = {"n": 0}

    def submit(event):
        resp = api.handler(event, LocalContext())
        if resp["statusCode"] == 202:
            with lock:
                accepted["n"] += 1

    collected: list[dict] = []
    submitting = threading.Event()
    submitting.set()

    def keep_queue_short():
        while True:
            got = sqs.receive_message(QueueUrl=resources.reports_queue_url, MaxNumberOfMessages=10,
                                      AttributeNames=["All"]).get("Messages", [])
            if got:
                sqs.delete_message_batch(QueueUrl=resources.reports_queue_url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
                collected.extend(got)
            elif not submitting.is_set():
                return

    start = time.perf_counter()
    collector = threading.Thread(target=keep_queue_short)
    collector.start()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(submit, requests))
    submitted = time.perf_counter() - start
    submitting.clear()
    collector.join()

    counted, batches, failed = 0, 0, 0
    count_start = time.perf_counter()
    for first in range(0, len(collected), MAX_BATCH):
        batch = collected[first : first + MAX_BATCH]
        result = ingest.handler({"Records": [poller._lambda_record(m) for m in batch]}, LocalContext())
        failed += len(result["batchItemFailures"])
        counted += len(batch) - len(result["batchItemFailures"])
        batches += 1
    drained = time.perf_counter() - count_start
    elapsed = submitted + drained
    server.stop()

    from ottwatch.domain.reports import NETWORK_CAP

    print(f"{args.reports} reports for whatsapp/IT in one surge, {args.threads} submitting threads, moto server on loopback")
    print(f"  accepted (202)                      {accepted['n']:>8}")
    print(f"  counted by the ingest handler       {counted:>8}")
    print(f"  submit phase (API handler -> SQS)   {submitted:8.2f} s   {accepted['n']/submitted:8.0f} reports/s")
    print(f"  count phase ({batches} ingest batches)      {drained:8.2f} s   {counted/drained:8.0f} reports/s")
    print(f"  both phases, one after the other    {elapsed:8.2f} s   {accepted['n']/elapsed:8.0f} reports/s sustained")
    print(f"  given back by ingest (retried)      {failed:>8}")
    print(f"  DynamoDB write requests             {writes['n']:>8}")
    print(f"  writes per accepted report          {writes['n']/accepted['n']:8.4f}   (target <= 0.05; one write per "
          f"report would be 1.0, so {accepted['n']/max(writes['n'],1):.0f}x fewer)")
    print(f"  (network cap {NETWORK_CAP} reporters per /24 per window; ingest batches of up to {MAX_BATCH})")


if __name__ == "__main__":
    main()
