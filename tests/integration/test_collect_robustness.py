"""Misbehaving status pages, through the real fetcher and collector: each makes its source stale
(UNKNOWN with a reason), never operational, and never stops the collection of the others."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
from ottwatch.catalog import parse_catalog
from ottwatch.collector import MAX_BODY_BYTES, Collector
from ottwatch.domain.status import State
from ottwatch.sources.fetch import Fetcher
from ottwatch.store.memory import MemoryRepository

from tests.conftest import GITHUB_OK

FIFTY_MB = 50 * 1024 * 1024


class _Misbehaving(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        route = self.path.strip("/")
        if route == "ok":
            self._send(200, GITHUB_OK.read_bytes())
        elif route == "html":
            self._send(200, b"<!doctype html><title>Maintenance</title><h1>We'll be right back</h1>")
        elif route == "wrong-types":
            self._send(200, b'{"status": "fine", "components": {"a": 1}}')
        elif route == "truncated":
            self._send(200, GITHUB_OK.read_bytes()[:300])
        elif route == "huge":
            self.send_response(200)
            self.send_header("Content-Length", str(FIFTY_MB))
            self.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(FIFTY_MB // len(chunk)):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif route == "huge-chunked":  # no Content-Length: the cap must bite while reading
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(FIFTY_MB // 65536):
                    self.wfile.write(b" " * 65536)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
        elif route == "drip":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"{")
                    self.wfile.flush()
                    time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self._send(503, b"upstream unavailable")

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    httpd.daemon_threads = True
    Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


EXPECTED_ERRORS = {
    "html": "unreadable statuspage payload: not JSON",
    "wrong-types": "unreadable statuspage payload: unexpected Statuspage payload at status",
    "truncated": "unreadable statuspage payload: not JSON",
    "huge": f"body over {MAX_BODY_BYTES} bytes",
    "huge-chunked": f"body over {MAX_BODY_BYTES} bytes",
    "drip": "timeout after 2s",
    "down": "HTTP 503",
}


def test_every_misbehaving_page_is_stale_and_the_good_one_still_counts(server):
    routes = ["ok", *EXPECTED_ERRORS]
    catalog = parse_catalog({"services": [
        {"id": r, "name": r, "sources": [{"kind": "statuspage", "url": f"{server}/{r}"}]} for r in routes]})
    fetcher = Fetcher(allow_private=True, max_bytes=MAX_BODY_BYTES, total_deadline=2, retries=0)
    started = time.monotonic()
    report = Collector(catalog, fetcher, MemoryRepository(), allow_private=True).run_once()
    elapsed = time.monotonic() - started
    states = {s.service: s.state for s in report.statuses}
    assert states == {"ok": State.OPERATIONAL, **{r: State.UNKNOWN for r in EXPECTED_ERRORS}}
    for route, expected in EXPECTED_ERRORS.items():
        assert report.source_errors[f"{route}/statuspage"].startswith(expected), route
    assert elapsed < 6, "a slow or huge page must not hold the collection"
