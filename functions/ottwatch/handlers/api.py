"""The public status API (API Gateway REST API -> this Lambda). Read-only: one DynamoDB read per request."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from ottwatch import aws
from ottwatch.catalog import SERVICE_ID_PATTERN, Catalog, load_catalog
from ottwatch.config import settings
from ottwatch.handlers.api_models import ErrorOut, StatusList, StatusOut
from ottwatch.observability import logger
from ottwatch.store.dynamo import DynamoRepository

STATUS_CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=30"
SPEC_CACHE_CONTROL = "public, max-age=300"

app = APIGatewayRestResolver(enable_validation=True)


class UnknownService(LookupError):
    def __init__(self, service: str) -> None:
        super().__init__(f"unknown service {service!r}; GET /v1/status lists the services watched")


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    return load_catalog(settings().catalog_path)


@lru_cache(maxsize=1)
def repository() -> DynamoRepository:
    return DynamoRepository(settings().table_name, aws.client("dynamodb"))


def reset() -> None:
    catalog.cache_clear()
    repository.cache_clear()


def _documented(model: type, extra: dict | None = None) -> dict:
    """OpenAPI responses. Routes return a pre-serialised body (for the ETag), so the model is declared here."""
    return {
        200: {"description": "OK", "content": {"application/json": {"model": model}}},
        304: {"description": "Not modified since the ETag sent in If-None-Match"},
        **(extra or {}),
    }


@app.get("/v1/status", summary="Current status of every watched service", responses=_documented(StatusList))
def list_status() -> Response[str]:
    services = catalog().services
    found = repository().get_statuses([s.id for s in services])
    country = settings().country
    body = StatusList(services=[
        StatusOut.from_status(found[s.id]) if s.id in found else StatusOut.never_checked(s.id, s.name, country)
        for s in services
    ])
    return _cached_json(body.model_dump(mode="json"), STATUS_CACHE_CONTROL)


@app.get("/v1/status/<service>", summary="Current status of one service", responses=_documented(
    StatusOut, {404: {"description": "No such service", "content": {"application/json": {"model": ErrorOut}}}}))
def get_status(service: Annotated[str, Path(pattern=SERVICE_ID_PATTERN, description="catalog id")]) -> Response[str]:
    spec = catalog().get(service)
    if spec is None:
        raise UnknownService(service)
    status = repository().get_status(service)
    out = StatusOut.from_status(status) if status else StatusOut.never_checked(spec.id, spec.name, settings().country)
    return _cached_json(out.model_dump(mode="json"), STATUS_CACHE_CONTROL)


@app.get("/v1/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi() -> Response[str]:
    spec = json.loads(app.get_openapi_json_schema(title="ottwatch status API", version="1.0.0"))
    return _cached_json(spec, SPEC_CACHE_CONTROL)


@app.exception_handler(UnknownService)
def _unknown_service(exc: UnknownService) -> Response[str]:
    return _json(404, {"error": "unknown_service", "message": str(exc)})


@app.exception_handler(RequestValidationError)
def _invalid_request(exc: RequestValidationError) -> Response[str]:
    reasons = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg', e.get('type'))}" for e in exc.errors())
    return _json(422, {"error": "invalid_request", "message": reasons})


@app.not_found
def _no_route(_exc: Exception) -> Response[str]:
    return _json(404, {"error": "not_found", "message": f"no route for {app.current_event.path}; see /v1/openapi.json"})


def _cached_json(payload: object, cache_control: str) -> Response[str]:
    """A JSON response with a strong ETag; a matching If-None-Match gets 304 with no body."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if _matches(app.current_event.headers or {}, etag):
        return Response(status_code=304, body="", headers=headers)
    return Response(status_code=200, content_type="application/json; charset=utf-8", body=body, headers=headers)


def _matches(headers: dict, etag: str) -> bool:
    value = next((v for k, v in headers.items() if k.lower() == "if-none-match"), None)
    if not value:
        return False
    candidates = {c.strip().removeprefix("W/") for c in value.split(",")}
    return etag in candidates or "*" in candidates


def _json(status: int, payload: dict) -> Response[str]:
    return Response(status_code=status, content_type="application/json; charset=utf-8", body=json.dumps(payload))


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
