"""A loopback status page that serves whatever payload it is given (for the demo and the tests).

It answers conditional GETs like a real Statuspage (ETag / If-None-Match -> 304), can be told to fail
with an HTTP status, and counts what it served.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FixtureStatusPage:
    def __init__(self, body: bytes = b"{}", host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._body = body
        self._fail_status: int | None = None
        self.served = {"200": 0, "304": 0, "error": 0}
        page = self

        class _Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                with page._lock:
                    body, fail = page._body, page._fail_status
                if fail:
                    page._count("error")
                    self._reply(fail, b'{"error":"injected failure"}', {})
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    page._count("304")
                    self._reply(304, b"", {"ETag": etag})
                    return
                page._count("200")
                self._reply(200, body, {"ETag": etag, "Content-Type": "application/json"})

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer((host, port), _Request)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="fixture-page", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/v2/summary.json"

    def serve(self, body: bytes) -> None:
        with self._lock:
            self._body, self._fail_status = body, None

    def fail_with(self, status: int) -> None:
        with self._lock:
            self._fail_status = status

    def _count(self, key: str) -> None:
        with self._lock:
            self.served[key] += 1

    def start(self) -> FixtureStatusPage:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
