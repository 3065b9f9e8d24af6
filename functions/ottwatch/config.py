"""Runtime settings, read from the environment when first asked for (never at import time).

The same names are set by infra/ on the Lambda functions and by `ottwatch serve` locally.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ENV_TABLE = "OTTWATCH_TABLE"
ENV_IDEMPOTENCY_TABLE = "OTTWATCH_IDEMPOTENCY_TABLE"
ENV_TOPIC_ARN = "OTTWATCH_TOPIC_ARN"
ENV_CATALOG = "OTTWATCH_CATALOG"
ENV_COUNTRY = "OTTWATCH_COUNTRY"
ENV_ALLOW_LOOPBACK = "OTTWATCH_ALLOW_LOOPBACK"
ENV_REPORTS_QUEUE_URL = "OTTWATCH_REPORTS_QUEUE_URL"
# The key of reporter hashes: the value itself (local runs, tests) or a Secrets Manager secret's ARN (AWS).
ENV_REPORT_SALT = "OTTWATCH_REPORT_SALT"
ENV_REPORT_SALT_SECRET_ARN = "OTTWATCH_REPORT_SALT_SECRET_ARN"
# SHA-256 hex digests of the operator API keys, comma-separated: hashes, so the environment holds no secret.
ENV_OPERATOR_KEY_HASHES = "OTTWATCH_OPERATOR_KEY_HASHES"

BUNDLED_CATALOG = Path(__file__).with_name("catalog.yaml")


@dataclass(frozen=True)
class Settings:
    table_name: str
    idempotency_table_name: str
    topic_arn: str
    catalog_path: Path
    # ISO 3166 alpha-2 of the operator's market; a global status is published with this country.
    country: str
    # Loopback/private source URLs are refused unless a local or test run enables them.
    allow_loopback: bool
    reports_queue_url: str
    report_salt: str
    report_salt_secret_arn: str
    operator_key_hashes: frozenset[str]


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get(ENV_TABLE, "ottwatch"),
        idempotency_table_name=env.get(ENV_IDEMPOTENCY_TABLE, "ottwatch-idempotency"),
        topic_arn=env.get(ENV_TOPIC_ARN, ""),
        catalog_path=Path(env.get(ENV_CATALOG) or BUNDLED_CATALOG),
        country=env.get(ENV_COUNTRY, "IT").upper(),
        allow_loopback=env.get(ENV_ALLOW_LOOPBACK, "").lower() in {"1", "true", "yes"},
        reports_queue_url=env.get(ENV_REPORTS_QUEUE_URL, ""),
        report_salt=env.get(ENV_REPORT_SALT, ""),
        report_salt_secret_arn=env.get(ENV_REPORT_SALT_SECRET_ARN, ""),
        operator_key_hashes=frozenset(h.strip().lower() for h in env.get(ENV_OPERATOR_KEY_HASHES, "").split(",")
                                      if h.strip()),
    )
