"""POST /v1/reports (the public, from the banner) and POST /v1/operator/volumes (the operator, with a key)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ottwatch import aws
from ottwatch.config import settings
from ottwatch.domain.reports import COUNTRY_PATTERN, QueuedReport, ReportIn, identify
from ottwatch.handlers.deps import Unauthorized, Unavailable, UnknownService, catalog, crowd_repository, report_salt
from ottwatch.handlers.http import ErrorOut, json_response

router = Router()

ACCEPTED = {"status": "accepted"}
# What any valid report gets back, duplicate or not: nothing that tells a script whether it counted.
NO_STORE = {"Cache-Control": "no-store"}


def _errors(*codes: int) -> dict:
    described = {400: "Malformed request", 401: "Missing or wrong API key", 404: "No such service",
                 422: "Invalid request", 503: "Not configured in this deployment"}
    return {c: {"description": described[c], "content": {"application/json": {"model": ErrorOut}}} for c in codes}


@router.post("/v1/reports", summary="Report a problem with a service (one per person per service per 15 min)",
             responses={202: {"description": "Accepted (whether or not it will count)"}, **_errors(404, 422, 503)})
def post_report(report: ReportIn) -> Response[str]:
    if catalog().get(report.service) is None:
        raise UnknownService(report.service)
    event = router.current_event
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    country = (report.country or headers.get("cloudfront-viewer-country") or settings().country).upper()
    now = datetime.now(UTC)
    identity = event.request_context.identity
    reporter, network = identify(report_salt(), now, identity.source_ip or "", headers.get("user-agent", ""))
    queued = QueuedReport(service=report.service, country=country, problem=report.problem,
                          reporter=reporter, network=network, at=now)
    queue_url = settings().reports_queue_url
    if not queue_url:
        raise Unavailable("problem reports are not configured here (no reports queue)")
    aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=queued.model_dump_json())
    return json_response(202, ACCEPTED, NO_STORE)


class OperatorVolume(BaseModel):
    """The operator's own count of calls or tickets about one service in one interval."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    country: Annotated[str | None, Field(pattern=COUNTRY_PATTERN)] = None
    interval_start: AwareDatetime
    interval_minutes: Annotated[int, Field(ge=5, le=60)] = 15
    channel: Literal["calls", "tickets"] = "calls"
    count: Annotated[int, Field(ge=0, le=10_000_000)]


class OperatorVolumes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    volumes: Annotated[list[OperatorVolume], Field(min_length=1, max_length=500)]


@router.post("/v1/operator/volumes", summary="Push the operator's call or ticket counts per service (API key)",
             responses={202: {"description": "Stored"}, **_errors(401, 404, 422)})
def post_operator_volumes(body: OperatorVolumes) -> Response[str]:
    _authenticate()
    known = catalog()
    for volume in body.volumes:
        if known.get(volume.service) is None:
            raise UnknownService(volume.service)
    repo, now, market = crowd_repository(), datetime.now(UTC), settings().country
    for v in body.volumes:
        repo.put_operator_volume(v.service, v.country or market, v.interval_start.astimezone(UTC),
                                 v.interval_minutes, v.channel, v.count, now)
    return json_response(202, {"status": "stored", "volumes": len(body.volumes)}, NO_STORE)


def _authenticate() -> None:
    """The X-Api-Key must hash to a configured digest. In AWS, API Gateway checks its usage-plan key first;
    this check stands on its own so the route is never open when the gateway is misconfigured."""
    allowed = settings().operator_key_hashes
    key = next((v for k, v in (router.current_event.headers or {}).items() if k.lower() == "x-api-key"), "")
    digest = hashlib.sha256(key.encode()).hexdigest()
    if not key or not any(hmac.compare_digest(digest, h) for h in allowed):
        raise Unauthorized("a valid X-Api-Key is required")
