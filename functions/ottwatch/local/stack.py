"""`ottwatch serve`: moto's server, the resources, the gateway, the scheduler and the stream poller.

Nothing here changes how the handlers work: the stack only sets the environment (AWS_ENDPOINT_URL and the
OTTWATCH_* names) exactly as Lambda's configuration would, then calls the same handler functions.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
from pathlib import Path

from ottwatch import aws, config
from ottwatch.local.context import LocalContext
from ottwatch.local.gateway import LocalGateway
from ottwatch.local.queues import QueuePoller
from ottwatch.local.resources import LocalResources, create_resources
from ottwatch.local.streams import StreamPoller

logger = logging.getLogger("ottwatch.local")

REGION = "eu-south-1"  # Milan: where an Italian operator would deploy


class EmbeddedStack:
    def __init__(self, catalog: Path | str, *, host: str = "127.0.0.1", port: int = 8080, moto_port: int = 0,
                 interval: float | None = 60.0, stream_interval: float = 1.0, country: str = "IT",
                 allow_loopback: bool = True, operator_key: str | None = None) -> None:
        self.catalog = Path(catalog)
        self.host, self.port, self.moto_port = host, port, moto_port
        self.interval = interval
        self.stream_interval = stream_interval
        self.country = country
        self.allow_loopback = allow_loopback
        self.resources: LocalResources | None = None
        self.gateway: LocalGateway | None = None
        self.poller: StreamPoller | None = None
        self.reports: QueuePoller | None = None
        # The key an operator sends as X-Api-Key to POST /v1/operator/volumes on this stack.
        self.operator_key = operator_key or os.environ.get("OTTWATCH_OPERATOR_KEY") or secrets.token_urlsafe(24)
        self.moto_endpoint = ""
        self._moto = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._collect_lock = threading.Lock()
        self._last_failure: str | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> EmbeddedStack:
        from moto.server import (
            ThreadedMotoServer,  # dev-only dependency, imported only here
        )

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.moto_endpoint = f"http://{host}:{port}"
        os.environ.update({
            "AWS_ENDPOINT_URL": self.moto_endpoint,
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",  # moto accepts any
            "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        })
        os.environ.pop("AWS_PROFILE", None)
        _forget_cached_clients()
        self.resources = create_resources(aws.client("dynamodb"), aws.client("sns"), aws.client("sqs"))
        os.environ.update({
            config.ENV_TABLE: self.resources.table_name,
            config.ENV_IDEMPOTENCY_TABLE: self.resources.idempotency_table_name,
            config.ENV_TOPIC_ARN: self.resources.topic_arn,
            config.ENV_CATALOG: str(self.catalog.resolve()),
            config.ENV_COUNTRY: self.country,
            config.ENV_ALLOW_LOOPBACK: "1" if self.allow_loopback else "",
            config.ENV_REPORTS_QUEUE_URL: self.resources.reports_queue_url,
            # A fresh key per run: reporter hashes from one run mean nothing in the next, as in AWS by day.
            config.ENV_REPORT_SALT: secrets.token_hex(32),
            config.ENV_OPERATOR_KEY_HASHES: hashlib.sha256(self.operator_key.encode()).hexdigest(),
        })
        _forget_cached_clients()

        from ottwatch.handlers import api, ingest, publish

        self.gateway = LocalGateway(api.handler, self.host, self.port).start()
        self.poller = StreamPoller(self.resources.stream_arn, publish.handler, aws.client("dynamodbstreams"), REGION)
        sqs = aws.client("sqs")
        reports_arn = sqs.get_queue_attributes(QueueUrl=self.resources.reports_queue_url,
                                               AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.reports = QueuePoller(self.resources.reports_queue_url, reports_arn, ingest.handler, sqs, REGION)
        self._spawn("stream-poller", self._poll_stream_forever)
        self._spawn("reports-poller", self._poll_reports_forever)
        if self.interval:
            self._spawn("scheduler", self._collect_forever)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)
        if self.gateway:
            self.gateway.stop()
        if self._moto:
            self._moto.stop()

    def wait(self) -> None:
        """Block until stopped (Ctrl-C)."""
        self._stop.wait()

    # -- work -----------------------------------------------------------------------------------
    def collect_now(self) -> dict:
        """One run of the collect handler, exactly as the 1-minute schedule would invoke it."""
        from ottwatch.handlers import collect

        with self._collect_lock:
            return collect.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LocalContext())

    def pump_stream(self) -> int:
        assert self.poller is not None
        return self.poller.poll_once()

    def pump_reports(self) -> int:
        assert self.reports is not None
        return self.reports.poll_once()

    def _poll_reports_forever(self) -> None:
        while not self._stop.is_set():
            self._guard("reports poll", self.pump_reports)
            self._stop.wait(self.stream_interval)

    def _spawn(self, name: str, target) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _collect_forever(self) -> None:
        while not self._stop.is_set():
            self._guard("collection", self.collect_now)
            self._stop.wait(self.interval)

    def _poll_stream_forever(self) -> None:
        while not self._stop.is_set():
            self._guard("stream poll", self.pump_stream)
            self._stop.wait(self.stream_interval)

    def _guard(self, what: str, work) -> None:
        """Keep the loop alive; a failure that repeats is logged once, not once a minute."""
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - a background loop must survive anything
            message = f"{what} failed: {type(exc).__name__}: {exc}"
            if message != self._last_failure:
                logger.exception(message)
            self._last_failure = message


def _forget_cached_clients() -> None:
    from ottwatch.handlers import api, collect, ingest, publish

    config.settings.cache_clear()
    aws.reset_clients()
    for handler in (api, collect, ingest, publish):
        handler.reset()
