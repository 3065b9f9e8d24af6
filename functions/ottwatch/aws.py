"""boto3 clients, created on first use and reused (never at import time, so tests can point them anywhere).

boto3 honours AWS_ENDPOINT_URL, so the local stack needs no code branch: it only sets the environment.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from botocore.config import Config

_lock = threading.Lock()
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)


@lru_cache(maxsize=None)
def client(service: str):
    import boto3  # deferred: handlers that never touch AWS don't pay for it at import

    with _lock:  # boto3's default session is not thread-safe while it creates clients
        return boto3.session.Session().client(service, config=_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between cases)."""
    client.cache_clear()
