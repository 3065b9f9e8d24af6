"""Fetcher against real loopback HTTP servers started by the tests (no other network)."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ottwatch.sources import fetch as fetch_mod
from ottwatch.sources.fetch import Fetcher, FetchRequest, FetchResult

CAP = 64 * 1024


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default 5 makes concurrent clients wait for SYN retransmits

    def handle_error(self, request, client_address) -> None:
        pass  # clients hanging up mid-response is what several tests do on purpose


class Server:
    """A ThreadingHTTPServer on 127.0.0.1:0 whose GETs go to ``route(handler)``.

    Every request is recorded (path and headers) before the route runs.
    """

    def __init__(self, route: Callable[[BaseHTTPRequestHandler], None], protocol: str = "HTTP/1.1") -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = protocol

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with outer._lock:
                    outer.requests.append((self.path, dict(self.headers)))
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def count(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for p, _ in self.requests if path is None or p == path)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=2)


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(route: Callable[[BaseHTTPRequestHandler], None], **kw) -> Server:
        server = Server(route, **kw)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def fetcher() -> Iterator[Callable[..., Fetcher]]:
    made: list[Fetcher] = []

    def make(**kw) -> Fetcher:
        kw.setdefault("allow_private", True)
        kw.setdefault("backoff_factor", 0.01)
        f = Fetcher(**kw)
        made.append(f)
        return f

    yield make
    for f in made:
        f.close()


def reply(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    if status != 304:
        h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if body and status != 304:
        h.wfile.write(body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- success and conditional GET ---------------------------------------------------


def test_200_returns_body_and_validators(serve, fetcher) -> None:
    body = b'{"status": {"indicator": "none"}}'
    srv = serve(lambda h: reply(h, 200, body, {"ETag": '"v1"', "Last-Modified": "Sat, 29 Nov 2025 10:00:00 GMT"}))
    r = fetcher().fetch(FetchRequest(srv.url("/api/v2/summary.json")))
    assert isinstance(r, FetchResult)
    assert r.ok and r.error is None
    assert r.status == 200 and r.body == body and not r.not_modified
    assert r.etag == '"v1"' and r.last_modified == "Sat, 29 Nov 2025 10:00:00 GMT"
    assert r.bytes_received == len(body) and r.elapsed_ms > 0
    _, headers = srv.requests[0]
    assert headers["Accept"] == "application/json, */*;q=0.5"
    assert headers["User-Agent"].startswith("ottwatch/")
    assert "If-None-Match" not in headers and "If-Modified-Since" not in headers


def test_conditional_get_sends_validators_and_304_is_not_modified(serve, fetcher) -> None:
    def route(h):
        if h.headers.get("If-None-Match") == '"v1"':
            reply(h, 304)
        else:
            reply(h, 200, b"{}", {"ETag": '"v1"'})

    srv = serve(route)
    req = FetchRequest(srv.url(), etag='"v1"', last_modified="Sat, 29 Nov 2025 10:00:00 GMT")
    r = fetcher().fetch(req)
    _, headers = srv.requests[0]
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == "Sat, 29 Nov 2025 10:00:00 GMT"
    assert r.status == 304 and r.not_modified and r.ok
    assert r.body is None and r.error is None and r.bytes_received == 0
    assert r.etag == '"v1"' and r.last_modified == "Sat, 29 Nov 2025 10:00:00 GMT"  # kept from the request


def test_gzip_body_is_decoded(serve, fetcher) -> None:
    body = b'{"ok": true}' * 1000
    srv = serve(lambda h: reply(h, 200, gzip.compress(body), {"Content-Encoding": "gzip"}))
    r = fetcher().fetch(FetchRequest(srv.url()))
    assert r.ok and r.body == body and r.bytes_received == len(body)
    assert "gzip" in srv.requests[0][1]["Accept-Encoding"]


# -- retries ----------------------------------------------------------------------


def test_503_twice_then_200_succeeds(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 503, b"busy") if srv.count() <= 2 else reply(h, 200, b"ok"))
    r = fetcher(retries=2).fetch(FetchRequest(srv.url()))
    assert r.ok and r.status == 200 and r.body == b"ok"
    assert srv.count() == 3


def test_503_always_is_http_503_after_all_retries(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 503, b"<html>secret maintenance page</html>"))
    r = fetcher(retries=2).fetch(FetchRequest(srv.url()))
    assert r.error == "HTTP 503" and r.status == 503
    assert r.body is None and not r.ok and not r.not_modified
    assert srv.count() == 3


def test_429_is_retried(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 429) if srv.count() == 1 else reply(h, 200, b"ok"))
    r = fetcher(retries=2).fetch(FetchRequest(srv.url()))
    assert r.ok and srv.count() == 2


def test_huge_retry_after_is_capped(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 503, b"", {"Retry-After": "3600"}))
    t0 = time.monotonic()
    r = fetcher(retries=2, max_retry_after=0.2).fetch(FetchRequest(srv.url()))
    assert time.monotonic() - t0 < 3
    assert r.error == "HTTP 503" and srv.count() == 3


def test_unparseable_retry_after_falls_back_to_backoff(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 503, b"", {"Retry-After": "soon-ish"}))
    r = fetcher(retries=1).fetch(FetchRequest(srv.url()))
    assert r.error == "HTTP 503" and srv.count() == 2


def test_404_is_not_retried(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 404, b"nope"))
    r = fetcher(retries=2).fetch(FetchRequest(srv.url()))
    assert r.error == "HTTP 404" and r.status == 404 and r.body is None
    assert srv.count() == 1


# -- size cap ---------------------------------------------------------------------


def test_declared_oversized_body_is_rejected_before_reading(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 200, b"x" * (CAP + 1)))
    r = fetcher(max_bytes=CAP).fetch(FetchRequest(srv.url()))
    assert r.error == f"body over {CAP} bytes"
    assert r.status is None and r.body is None and r.bytes_received == 0


def test_body_exactly_at_cap_is_fine(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 200, b"x" * CAP))
    r = fetcher(max_bytes=CAP).fetch(FetchRequest(srv.url()))
    assert r.ok and r.bytes_received == CAP


def _endless(h: BaseHTTPRequestHandler, chunked: bool) -> None:
    """Up to 16 MiB with no Content-Length, chunked or close-delimited."""
    h.send_response(200)
    if chunked:
        h.send_header("Transfer-Encoding", "chunked")
    else:
        h.close_connection = True
    h.end_headers()
    block = b"y" * 16384
    for _ in range(1024):
        h.wfile.write(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
    if chunked:
        h.wfile.write(b"0\r\n\r\n")


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
def test_undeclared_oversized_body_stops_at_cap(serve, fetcher, chunked) -> None:
    srv = serve(lambda h: _endless(h, chunked), protocol="HTTP/1.1" if chunked else "HTTP/1.0")
    t0 = time.monotonic()
    r = fetcher(max_bytes=CAP).fetch(FetchRequest(srv.url()))
    assert r.error == f"body over {CAP} bytes" and r.body is None and r.status is None
    assert CAP < r.bytes_received <= CAP + 1
    assert time.monotonic() - t0 < 2


def test_gzip_bomb_hits_the_decompressed_cap(serve, fetcher) -> None:
    bomb = gzip.compress(b"\0" * (32 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < CAP  # small on the wire, 32 MiB decoded
    srv = serve(lambda h: reply(h, 200, bomb, {"Content-Encoding": "gzip"}))
    r = fetcher(max_bytes=CAP).fetch(FetchRequest(srv.url()))
    assert r.error == f"body over {CAP} bytes"
    assert r.bytes_received <= CAP + 1


# -- timeouts ---------------------------------------------------------------------


def _drip(h: BaseHTTPRequestHandler, mode: str) -> None:
    if mode == "late-headers-then-silent":
        time.sleep(0.7)
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.flush()
    for _ in range(50):  # at most 10 s, then give up
        time.sleep(0.2)
        if mode == "drip":
            h.wfile.write(b"z")
            h.wfile.flush()


@pytest.mark.parametrize("mode", ["drip", "silent-after-headers", "late-headers-then-silent"])
def test_total_deadline_bounds_a_slow_body(serve, fetcher, mode) -> None:
    """1 byte every 0.2 s never trips a 10 s read timeout; the 1 s deadline must.

    In the last case the headers take 0.7 s, so a read timeout fixed when the
    request was sent (1 s) would end the fetch at ~1.7 s; the deadline is 1 s.
    """
    srv = serve(lambda h: _drip(h, mode))
    t0 = time.monotonic()
    r = fetcher(total_deadline=1.0, read_timeout=10.0).fetch(FetchRequest(srv.url()))
    took = time.monotonic() - t0
    assert r.error == "timeout after 1s", r
    assert r.status is None and r.body is None
    assert took < 1.5, took
    assert r.bytes_received <= 6


def test_read_timeout_waiting_for_headers(serve, fetcher) -> None:
    srv = serve(lambda h: time.sleep(1.5) or reply(h, 200, b"late"))
    r = fetcher(read_timeout=0.3, retries=0).fetch(FetchRequest(srv.url()))
    assert r.error == "read timeout after 0.3s" and r.status is None


# -- transport errors ---------------------------------------------------------------


def test_connection_refused(fetcher) -> None:
    r = fetcher(retries=1).fetch(FetchRequest(f"http://127.0.0.1:{free_port()}/"))
    assert r.error == "connection refused"
    assert r.status is None and r.body is None and r.bytes_received == 0


def test_unresolvable_name(fetcher, monkeypatch) -> None:
    def no_dns(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(fetch_mod, "resolve_host", no_dns)
    r = fetcher(allow_private=False).fetch(FetchRequest("https://status.vendor.invalid/api"))
    assert r.error == "name not resolved" and r.status is None


# -- concurrency --------------------------------------------------------------------


def test_fetch_all_is_concurrent_and_ordered(serve, fetcher) -> None:
    def route(h):
        time.sleep(0.3)
        reply(h, 200, h.path.encode())

    srv = serve(route)
    reqs = [FetchRequest(srv.url(f"/{i}")) for i in range(20)]
    t0 = time.monotonic()
    results = fetcher(max_workers=20).fetch_all(reqs)
    took = time.monotonic() - t0
    assert took < 2.0, took  # serial would be 6 s
    assert [r.url for r in results] == [q.url for q in reqs]
    assert [r.body for r in results] == [f"/{i}".encode() for i in range(20)]
    assert fetcher().fetch_all([]) == []


def test_fetch_all_mixes_successes_and_failures(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 200, b"ok"))
    reqs = [FetchRequest(srv.url()), FetchRequest("ftp://example.com/"), FetchRequest(srv.url())]
    results = fetcher().fetch_all(reqs)
    assert [r.ok for r in results] == [True, False, True]


# -- redirects and the address policy -------------------------------------------


def test_redirects_are_followed_up_to_three(serve, fetcher) -> None:
    def route(h):
        n = int(h.path.strip("/") or 0)
        if n < 3:
            reply(h, 302, b"", {"Location": f"/{n + 1}"})  # relative Location
        else:
            reply(h, 200, b"final", {"ETag": '"f"'})

    srv = serve(route)
    r = fetcher().fetch(FetchRequest(srv.url("/0"), etag='"old"'))
    assert r.ok and r.body == b"final" and r.etag == '"f"' and r.url == srv.url("/0")
    assert [p for p, _ in srv.requests] == ["/0", "/1", "/2", "/3"]
    assert all(h["If-None-Match"] == '"old"' for _, h in srv.requests)


def test_too_many_redirects(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 301, b"", {"Location": srv.url(f"/{srv.count()}")}))
    r = fetcher().fetch(FetchRequest(srv.url("/0")))
    assert r.error == "too many redirects" and r.status is None
    assert srv.count() == 4  # the first request and 3 followed hops


def test_private_address_refused_without_a_request(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 200, b"ok"))
    r = fetcher(allow_private=False).fetch(FetchRequest(srv.url()))
    assert r.error == "not allowed: loopback address 127.0.0.1"
    assert r.status is None and not r.ok
    assert srv.count() == 0


@pytest.mark.parametrize(
    ("addr", "kind"),
    [
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("::1", "loopback"),
        ("fe80::1%eth0", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
    ],
)
def test_hostnames_resolving_to_non_public_addresses_are_refused(fetcher, monkeypatch, addr, kind) -> None:
    monkeypatch.setattr(fetch_mod, "resolve_host", lambda host, port: ["93.184.216.34", addr])
    r = fetcher(allow_private=False).fetch(FetchRequest("https://status.vendor.example/api/v2/summary.json"))
    assert r.error is not None and r.error.startswith(f"not allowed: {kind} address ")


def test_redirect_from_public_host_to_loopback_is_refused(serve, fetcher, monkeypatch) -> None:
    real_resolve = fetch_mod.resolve_host
    asked: list[str] = []

    def resolve(host, port):  # "localhost" plays a public vendor host
        asked.append(host)
        return ["93.184.216.34"] if host == "localhost" else real_resolve(host, port)

    monkeypatch.setattr(fetch_mod, "resolve_host", resolve)

    def route(h):
        if h.path == "/start":
            reply(h, 302, b"", {"Location": srv.url("/internal", host="127.0.0.1")})
        else:
            reply(h, 200, b"metadata credentials")

    srv = serve(route)
    r = fetcher(allow_private=False).fetch(FetchRequest(srv.url("/start", host="localhost")))
    assert asked == ["localhost"]
    assert r.error == "not allowed: loopback address 127.0.0.1"
    assert r.body is None and r.status is None
    assert [p for p, _ in srv.requests] == ["/start"]  # the private target never saw a request


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://ftp.example.com/status.json"])
def test_non_http_schemes_are_refused(fetcher, url, allow_private) -> None:
    r = fetcher(allow_private=allow_private).fetch(FetchRequest(url))
    assert r.error is not None and r.error.startswith("not allowed: scheme")
    assert r.status is None and r.bytes_received == 0


def test_redirect_to_a_file_url_is_refused(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 302, b"", {"Location": "file:///etc/passwd"}))
    r = fetcher().fetch(FetchRequest(srv.url()))
    assert r.error == "not allowed: scheme 'file'"


@pytest.mark.parametrize("url", ["", "not a url", "http://", "http://[::1/"])
def test_malformed_urls_never_raise(fetcher, url) -> None:
    r = fetcher().fetch(FetchRequest(url))
    assert r.error == "invalid URL" and r.status is None


def test_error_strings_are_one_line_and_body_free(serve, fetcher) -> None:
    srv = serve(lambda h: reply(h, 500, b"Traceback (most recent call last):\n  secret"))
    r = fetcher(retries=0).fetch(FetchRequest(srv.url()))
    assert r.error == "HTTP 500"
    assert "\n" not in r.error and "secret" not in r.error


def _short_body(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "100")
    h.end_headers()
    h.wfile.write(b"only ten..")
    h.close_connection = True


@pytest.mark.parametrize(
    ("route", "error"),
    [
        (lambda h: reply(h, 200, b"this is not gzip", {"Content-Encoding": "gzip"}), "bad content encoding"),
        (_short_body, "incomplete body"),
    ],
    ids=["bad-gzip", "short-body"],
)
def test_broken_bodies_are_errors(serve, fetcher, route, error) -> None:
    srv = serve(route)
    r = fetcher().fetch(FetchRequest(srv.url()))
    assert r.error == error and r.body is None and r.status is None
