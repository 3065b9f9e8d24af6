"""The public API (API Gateway REST API -> this Lambda): status (one DynamoDB read per request), problem
reports, operator volumes. Domain errors become HTTP answers here, in one place."""

from __future__ import annotations

import json
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from ottwatch.catalog import SERVICE_ID_PATTERN
from ottwatch.config import settings
from ottwatch.handlers import crowd_routes
from ottwatch.handlers.api_models import StatusList, StatusOut
from ottwatch.handlers.deps import Unauthorized, Unavailable, UnknownService, catalog, status_repository
from ottwatch.handlers.deps import reset as reset_deps
from ottwatch.handlers.http import ErrorOut, cached_json, json_response
from ottwatch.observability import logger

STATUS_CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=30"
SPEC_CACHE_CONTROL = "public, max-age=300"

# The banner posts reports from the operator's own site: any origin, never with credentials.
app = APIGatewayRestResolver(enable_validation=True, cors=CORSConfig(allow_origin="*", max_age=600))
app.include_router(crowd_routes.router)


def reset() -> None:
    reset_deps()


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
    found = status_repository().get_statuses([s.id for s in services])
    country = settings().country
    body = StatusList(services=[
        StatusOut.from_status(found[s.id]) if s.id in found else StatusOut.never_checked(s.id, s.name, country)
        for s in services
    ])
    return cached_json(app.current_event.headers or {}, body.model_dump(mode="json"), STATUS_CACHE_CONTROL)


@app.get("/v1/status/<service>", summary="Current status of one service", responses=_documented(
    StatusOut, {404: {"description": "No such service", "content": {"application/json": {"model": ErrorOut}}}}))
def get_status(service: Annotated[str, Path(pattern=SERVICE_ID_PATTERN, description="catalog id")]) -> Response[str]:
    spec = catalog().get(service)
    if spec is None:
        raise UnknownService(service)
    status = status_repository().get_status(service)
    out = StatusOut.from_status(status) if status else StatusOut.never_checked(spec.id, spec.name, settings().country)
    return cached_json(app.current_event.headers or {}, out.model_dump(mode="json"), STATUS_CACHE_CONTROL)


@app.get("/v1/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi() -> Response[str]:
    spec = json.loads(app.get_openapi_json_schema(title="ottwatch status API", version="1.0.0"))
    return cached_json(app.current_event.headers or {}, spec, SPEC_CACHE_CONTROL)


@app.exception_handler(UnknownService)
def _unknown_service(exc: UnknownService) -> Response[str]:
    return json_response(404, {"error": "unknown_service", "message": str(exc)})


@app.exception_handler(Unauthorized)
def _unauthorized(exc: Unauthorized) -> Response[str]:
    return json_response(401, {"error": "unauthorized", "message": str(exc)}, {"WWW-Authenticate": "ApiKey"})


@app.exception_handler(Unavailable)
def _unavailable(exc: Unavailable) -> Response[str]:
    logger.error("route not configured", extra={"reason": str(exc)})
    return json_response(503, {"error": "unavailable", "message": str(exc)})


@app.exception_handler(RequestValidationError)
def _invalid_request(exc: RequestValidationError) -> Response[str]:
    reasons = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg', e.get('type'))}" for e in exc.errors())
    return json_response(422, {"error": "invalid_request", "message": reasons})


@app.not_found
def _no_route(_exc: Exception) -> Response[str]:
    return json_response(404, {"error": "not_found", "message": f"no route for {app.current_event.path}; see /v1/openapi.json"})


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
