"""Integration tier: the real handlers and repositories against moto in-process.

moto runs as a ThreadedMotoServer inside the test process (one per session, reset before each test)
rather than `mock_aws`: under `mock_aws`, moto 5.2 answers botocore 1.44's DynamoDB Streams calls with
"Not yet implemented", while its server dispatches them correctly. It is also what `ottwatch serve` runs.
"""

from __future__ import annotations

import logging
import urllib.request
from dataclasses import dataclass

import pytest
from moto.server import ThreadedMotoServer
from ottwatch import aws, config
from ottwatch.handlers import api, collect, ingest, publish
from ottwatch.local.resources import LocalResources, create_resources
from ottwatch.store.dynamo import DynamoRepository

REGION = "eu-south-1"


def forget_cached_clients() -> None:
    config.settings.cache_clear()
    aws.reset_clients()
    for handler in (api, collect, ingest, publish):
        handler.reset()


@dataclass
class Aws:
    resources: LocalResources
    repo: DynamoRepository

    def client(self, name: str):
        return aws.client(name)


@pytest.fixture(scope="session")
def moto_endpoint():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_stack(monkeypatch, moto_endpoint):
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=10)
    forget_cached_clients()
    resources = create_resources(aws.client("dynamodb"), aws.client("sns"), aws.client("sqs"))
    monkeypatch.setenv(config.ENV_TABLE, resources.table_name)
    monkeypatch.setenv(config.ENV_IDEMPOTENCY_TABLE, resources.idempotency_table_name)
    monkeypatch.setenv(config.ENV_TOPIC_ARN, resources.topic_arn)
    monkeypatch.setenv(config.ENV_COUNTRY, "IT")
    monkeypatch.setenv(config.ENV_ALLOW_LOOPBACK, "1")
    forget_cached_clients()
    yield Aws(resources, DynamoRepository(resources.table_name, aws.client("dynamodb")))
    forget_cached_clients()
