"""A loopback HTTP server that turns each request into an API Gateway REST (v1 proxy) event for a handler."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ottwatch.local.context import LocalContext

MAX_BODY_BYTES = 64 * 1024  # API Gateway allows 10 MB; nothing ottwatch accepts comes close


def request_event(method: str, target: str, headers: dict[str, str], body: bytes | None, source_ip: str) -> dict:
    parts = urlsplit(target)
    query = parse_qs(parts.query, keep_blank_values=True)
    text = body.decode("utf-8", errors="replace") if body else None
    return {
        "resource": parts.path,
        "path": parts.path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": parts.path,
            "httpMethod": method,
            "path": parts.path,
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
            "accountId": "000000000000",
            "apiId": "local",
            "protocol": "HTTP/1.1",
        },
        "body": text,
        "isBase64Encoded": False,
    }


class LocalGateway:
    def __init__(self, handler: Callable[[dict, Any], dict], host: str = "127.0.0.1", port: int = 8080) -> None:
        gateway_handler = handler

        class _Request(BaseHTTPRequestHandler):
            server_version = "ottwatch-local-gateway"
            protocol_version = "HTTP/1.1"

            def _dispatch(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    self._send(413, {"Content-Type": "application/json"}, b'{"message":"request body too large"}')
                    return
                body = self.rfile.read(length) if length else None
                event = request_event(self.command, self.path, dict(self.headers.items()), body, self.client_address[0])
                resp = gateway_handler(event, LocalContext())
                headers = dict(resp.get("headers") or {})
                for key, values in (resp.get("multiValueHeaders") or {}).items():
                    headers[key] = ", ".join(values)
                payload = resp.get("body") or ""
                data = base64.b64decode(payload) if resp.get("isBase64Encoded") else payload.encode("utf-8")
                self._send(int(resp["statusCode"]), headers, data)

            def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD" and status != 304:
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass  # the api handler logs each request itself

        self.server = ThreadingHTTPServer((host, port), _Request)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LocalGateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
