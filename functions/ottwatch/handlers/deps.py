"""What the API's routes use, created on first use and kept for the life of the Lambda instance."""

from __future__ import annotations

from functools import lru_cache

from ottwatch import aws
from ottwatch.catalog import Catalog, load_catalog
from ottwatch.config import settings
from ottwatch.store.crowd import CrowdRepository
from ottwatch.store.dynamo import DynamoRepository


class UnknownService(LookupError):
    def __init__(self, service: str) -> None:
        super().__init__(f"unknown service {service!r}; GET /v1/status lists the services watched")


class Unauthorized(PermissionError):
    pass


class Unavailable(RuntimeError):
    """A part of the API is not configured in this deployment (its message says which)."""


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    return load_catalog(settings().catalog_path)


@lru_cache(maxsize=1)
def status_repository() -> DynamoRepository:
    return DynamoRepository(settings().table_name, aws.client("dynamodb"))


@lru_cache(maxsize=1)
def crowd_repository() -> CrowdRepository:
    return CrowdRepository(settings().table_name, aws.client("dynamodb"))


@lru_cache(maxsize=1)
def report_salt() -> bytes:
    """The key reporter hashes are made with: from Secrets Manager in AWS, from the environment locally."""
    cfg = settings()
    if cfg.report_salt_secret_arn:
        from aws_lambda_powertools.utilities import parameters

        return parameters.get_secret(cfg.report_salt_secret_arn).encode()
    if cfg.report_salt:
        return cfg.report_salt.encode()
    raise Unavailable("problem reports are not configured here (no reporter salt)")


def reset() -> None:
    for cached in (catalog, status_repository, crowd_repository, report_salt):
        cached.cache_clear()
