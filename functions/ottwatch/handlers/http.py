"""JSON responses, ETags and the error body every route shares."""

from __future__ import annotations

import hashlib
import json

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel


class ErrorOut(BaseModel):
    error: str
    message: str


def json_response(status: int, payload: object, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(status_code=status, content_type="application/json; charset=utf-8",
                    body=json.dumps(payload, ensure_ascii=False), headers=headers or {})


def cached_json(request_headers: dict, payload: object, cache_control: str) -> Response[str]:
    """A JSON response with a strong ETag; a matching If-None-Match gets 304 with no body."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if _matches(request_headers, etag):
        return Response(status_code=304, body="", headers=headers)
    return Response(status_code=200, content_type="application/json; charset=utf-8", body=body, headers=headers)


def _matches(headers: dict, etag: str) -> bool:
    value = next((v for k, v in headers.items() if k.lower() == "if-none-match"), None)
    if not value:
        return False
    candidates = {c.strip().removeprefix("W/") for c in value.split(",")}
    return etag in candidates or "*" in candidates
