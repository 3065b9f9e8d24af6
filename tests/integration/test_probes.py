"""Active probes against loopback servers the tests start themselves. No other network: a guard on
socket.getaddrinfo answers `localhost` and loopback literals, says NXDOMAIN for `.invalid`
(RFC 6761: such names never resolve), and fails the test on any other name."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ottwatch.domain.models import SignalClass
from ottwatch.domain.status import State
from ottwatch.sources import fetch as fetch_mod
from ottwatch.sources import probes
from ottwatch.sources.fetch import Fetcher, FetchResult
from ottwatch.sources.probes import (
    DnsProbeSource,
    HttpProbeSource,
    TcpProbeSource,
    dns_probe,
    http_probe,
    tcp_probe,
)
from ottwatch.sources.registry import ProbeContext
from pydantic import ValidationError

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
_real_getaddrinfo = socket.getaddrinfo
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every lookup in this file goes through here; anything non-loopback is a test bug (reported at
    teardown too, since a probe turns a resolver's exception into an observation)."""
    asked: list[str] = []
    violations: list[str] = []

    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        asked.append(name)
        if name.rstrip(".").lower().endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if name.lower() not in _LOOPBACK_NAMES:
            violations.append(name)
            raise AssertionError(f"test tried to resolve a non-loopback name: {name!r}")
        return _real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    yield asked
    assert not violations, f"non-loopback lookups: {violations}"


# -- loopback servers ---------------------------------------------------------------------------------


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address) -> None:
        pass


class Server:
    def __init__(self, route: Callable[[BaseHTTPRequestHandler], None]) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=2)


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler], None]], Server]]:
    servers: list[Server] = []

    def start(route: Callable[[BaseHTTPRequestHandler], None]) -> Server:
        servers.append(Server(route))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def respond(status: int, body: bytes = b"ok", delay: float = 0.0) -> Callable[[BaseHTTPRequestHandler], None]:
    def route(h: BaseHTTPRequestHandler) -> None:
        if delay:
            time.sleep(delay)
        h.send_response(status)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return route


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (bound then closed; the kernel answers RST)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def listener() -> Iterator[int]:
    """A plain listening socket on loopback; the kernel completes handshakes from its backlog."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s.getsockname()[1]


def fetcher(**kw) -> Fetcher:
    opts = {"allow_private": True, "retries": 0, "connect_timeout": 1.0, "read_timeout": 2.0, "total_deadline": 3.0}
    return Fetcher(**(opts | kw))


@pytest.fixture
def ctx() -> Iterator[ProbeContext]:
    with fetcher() as f:
        yield ProbeContext(fetcher=f, allow_private=True)


@pytest.fixture
def strict_ctx() -> Iterator[ProbeContext]:
    """The production setting: neither the context nor the fetcher allows private addresses."""
    with fetcher(allow_private=False) as f:
        yield ProbeContext(fetcher=f, allow_private=False)


def http(url: str, **kw) -> HttpProbeSource:
    return HttpProbeSource(kind="http_probe", url=url, **kw)


def dns(host: str, **kw) -> DnsProbeSource:
    return DnsProbeSource(kind="dns_probe", host=host, **kw)


def tcp(host: str, port: int, **kw) -> TcpProbeSource:
    return TcpProbeSource(kind="tcp_probe", host=host, port=port, **kw)


def one(observations):
    assert len(observations) == 1
    o = observations[0]
    assert o.signal_class is SignalClass.PROBE
    assert o.observed_at == NOW
    assert o.components == ()
    return o


# -- http ---------------------------------------------------------------------------------------------


def test_http_200_fast_is_operational(serve, ctx) -> None:
    server = serve(respond(200))
    o = one(http_probe(http(server.url()), NOW, ctx))
    assert o.state is State.OPERATIONAL
    assert o.error is None
    assert o.raw_status.startswith("HTTP 200 in ") and o.raw_status.endswith(" ms")


def test_http_slow_200_is_degraded(serve, ctx) -> None:
    server = serve(respond(200, delay=0.5))
    o = one(http_probe(http(server.url(), degraded_ms=200), NOW, ctx))
    assert o.state is State.DEGRADED_PERFORMANCE
    assert o.error is None
    assert "slower than 200 ms" in o.description


def test_http_503_is_major_outage(serve, ctx) -> None:
    server = serve(respond(503, b"down"))
    o = one(http_probe(http(server.url()), NOW, ctx))
    assert o.state is State.MAJOR_OUTAGE
    assert o.error is None
    assert o.raw_status.startswith("HTTP 503 in ")


def test_http_4xx_means_the_front_door_is_up(serve, ctx) -> None:
    server = serve(respond(400, b"bots not welcome"))
    o = one(http_probe(http(server.url()), NOW, ctx))
    assert o.state is State.OPERATIONAL
    assert o.error is None
    assert o.raw_status.startswith("HTTP 400 in ")
    assert "4xx" in o.description


def test_http_429_abstains(serve, ctx) -> None:
    server = serve(respond(429, b"slow down"))
    o = one(http_probe(http(server.url()), NOW, ctx))
    assert o.state is State.UNKNOWN
    assert o.error and "429" in o.error


def test_http_expect_status(serve, ctx) -> None:
    server = serve(respond(403, b"no"))
    assert one(http_probe(http(server.url(), expect_status=[403]), NOW, ctx)).state is State.OPERATIONAL
    o = one(http_probe(http(server.url(), expect_status=[200]), NOW, ctx))
    assert o.state is State.UNKNOWN
    assert o.error == "unexpected HTTP 403 (expected 200)"


def test_http_redirect_is_followed_to_the_final_status(serve, ctx) -> None:
    def route(h: BaseHTTPRequestHandler) -> None:
        if h.path == "/":
            h.send_response(302)
            h.send_header("Location", "/home")
            h.send_header("Content-Length", "0")
            h.end_headers()
        else:
            respond(200)(h)

    server = serve(route)
    o = one(http_probe(http(server.url(), expect_status=[200]), NOW, ctx))
    assert o.state is State.OPERATIONAL
    assert o.raw_status.startswith("HTTP 200")


def test_http_body_over_the_cap_still_proves_reachability(serve) -> None:
    server = serve(respond(200, b"x" * 4096))
    with fetcher(max_bytes=1024) as f:
        o = one(http_probe(http(server.url()), NOW, ProbeContext(fetcher=f, allow_private=True)))
    assert o.state is State.OPERATIONAL
    assert o.error is None
    assert "over the size cap" in o.raw_status


def test_http_refused_is_major_outage_not_an_error(closed_port, ctx) -> None:
    o = one(http_probe(http(f"http://127.0.0.1:{closed_port}/"), NOW, ctx))
    assert o.state is State.MAJOR_OUTAGE
    assert o.error is None
    assert o.raw_status == "connection refused"
    assert "refused" in o.description


def test_http_read_timeout_is_major_outage(serve) -> None:
    server = serve(respond(200, delay=1.0))
    with fetcher(read_timeout=0.3) as f:
        o = one(http_probe(http(server.url()), NOW, ProbeContext(fetcher=f, allow_private=True)))
    assert o.state is State.MAJOR_OUTAGE
    assert o.error is None
    assert "timeout" in o.raw_status


def test_http_policy_refusal_is_a_configuration_fault(serve, strict_ctx) -> None:
    server = serve(respond(200))
    o = one(http_probe(http(server.url()), NOW, strict_ctx))
    assert o.state is State.UNKNOWN
    assert o.error and o.error.startswith("not allowed")


def test_http_context_policy_wins_over_a_laxer_fetcher(serve) -> None:
    server = serve(respond(200))
    with fetcher(allow_private=True) as f:
        o = one(http_probe(http(server.url()), NOW, ProbeContext(fetcher=f, allow_private=False)))
    assert o.state is State.UNKNOWN
    assert o.error == "not allowed: loopback address 127.0.0.1"


def test_http_invalid_url_from_the_fetcher_is_a_configuration_fault() -> None:
    class Fake:
        def fetch(self, req):
            return FetchResult(req.url, None, None, None, None, False, "invalid URL", 1.0, 0)

    o = one(http_probe(http("http://example.test/"), NOW, ProbeContext(fetcher=Fake(), allow_private=True)))
    assert o.state is State.UNKNOWN
    assert o.error == "invalid URL"


def test_a_crashing_resolver_is_a_probe_failure_not_an_outage(ctx, monkeypatch) -> None:
    def broken(host, port):
        raise KeyError("bug")

    monkeypatch.setattr(fetch_mod, "resolve_host", broken)
    for o in (one(dns_probe(dns("x.example"), NOW, ctx)), one(tcp_probe(tcp("x.example", 443), NOW, ctx))):
        assert o.state is State.UNKNOWN
        assert o.error == "probe failed: KeyError"


def test_a_crashing_fetcher_does_not_escape() -> None:
    class Broken:
        def fetch(self, req):
            raise RuntimeError("boom")

    o = one(http_probe(http("http://example.test/"), NOW, ProbeContext(fetcher=Broken(), allow_private=True)))
    assert o.state is State.UNKNOWN
    assert o.error == "probe failed: RuntimeError"


# -- dns ----------------------------------------------------------------------------------------------


def test_dns_localhost_resolves(ctx) -> None:
    o = one(dns_probe(dns("localhost"), NOW, ctx))
    assert o.state is State.OPERATIONAL
    assert o.error is None
    assert o.raw_status.startswith("resolved in ")
    assert "127.0.0.1" in o.description or "::1" in o.description


def test_dns_invalid_tld_is_major_outage(ctx, loopback_only) -> None:
    start = time.monotonic()
    o = one(dns_probe(dns("web.whatsapp.invalid"), NOW, ctx))
    assert time.monotonic() - start < 1.0
    assert loopback_only == ["web.whatsapp.invalid"]  # answered by the guard, never by a real resolver
    assert o.state is State.MAJOR_OUTAGE
    assert o.error is None
    assert "not resolved" in o.raw_status


def test_dns_hung_resolver_times_out(ctx, monkeypatch) -> None:
    release = threading.Event()

    def slow(host, *args, **kwargs):
        release.wait(5.0)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    try:
        start = time.monotonic()
        o = one(dns_probe(dns("localhost", timeout_s=0.5), NOW, ctx))
        elapsed = time.monotonic() - start
    finally:
        release.set()
    assert 0.4 < elapsed < 1.0
    assert o.state is State.MAJOR_OUTAGE
    assert o.raw_status == "DNS timeout after 0.5s"
    assert o.error is None


def test_dns_slow_resolution_is_degraded(ctx, monkeypatch) -> None:
    def slowish(host, port):
        time.sleep(0.2)
        return ["93.184.216.34"]

    monkeypatch.setattr(fetch_mod, "resolve_host", slowish)
    o = one(dns_probe(dns("www.example.com", degraded_ms=50), NOW, ctx))
    assert o.state is State.DEGRADED_PERFORMANCE
    assert "93.184.216.34" in o.description


def test_dns_private_answer_is_not_allowed(strict_ctx) -> None:
    o = one(dns_probe(dns("localhost"), NOW, strict_ctx))
    assert o.state is State.UNKNOWN
    assert o.error and o.error.startswith("not allowed")


def test_dns_mixed_answer_keeps_the_public_addresses(strict_ctx, monkeypatch) -> None:
    monkeypatch.setattr(fetch_mod, "resolve_host", lambda host, port: ["10.0.0.1", "::ffff:127.0.0.1", "1.1.1.1"])
    o = one(dns_probe(dns("one.example"), NOW, strict_ctx))
    assert o.state is State.OPERATIONAL
    assert "1.1.1.1" in o.description and "10.0.0.1" not in o.description


def test_dns_resolver_busy_abstains(ctx, monkeypatch) -> None:
    monkeypatch.setattr(probes, "_resolver_slots", threading.BoundedSemaphore(1))
    probes._resolver_slots.acquire()
    o = one(dns_probe(dns("localhost"), NOW, ctx))
    assert o.state is State.UNKNOWN
    assert o.error and o.error.startswith("probe failed: resolver busy")


# -- tcp ----------------------------------------------------------------------------------------------


def test_tcp_listening_port_is_operational(listener, ctx) -> None:
    o = one(tcp_probe(tcp("127.0.0.1", listener), NOW, ctx))
    assert o.state is State.OPERATIONAL
    assert o.error is None
    assert o.raw_status.startswith("TCP connect in ")


def test_tcp_resolves_through_the_patchable_resolver(listener, ctx, monkeypatch) -> None:
    asked: list[tuple[str, int]] = []

    def resolver(host, port):
        asked.append((host, port))
        return ["127.0.0.1"]

    monkeypatch.setattr(fetch_mod, "resolve_host", resolver)
    o = one(tcp_probe(tcp("chat.example", listener), NOW, ctx))
    assert asked == [("chat.example", listener)]
    assert o.state is State.OPERATIONAL
    assert "127.0.0.1" in o.description


def test_tcp_closed_port_is_major_outage(closed_port, ctx) -> None:
    o = one(tcp_probe(tcp("localhost", closed_port), NOW, ctx))
    assert o.state is State.MAJOR_OUTAGE
    assert o.error is None
    assert o.raw_status == "connection refused"


def test_tcp_private_address_is_not_allowed(listener, strict_ctx) -> None:
    o = one(tcp_probe(tcp("127.0.0.1", listener), NOW, strict_ctx))
    assert o.state is State.UNKNOWN
    assert o.error == "not allowed: loopback address 127.0.0.1"
    o = one(tcp_probe(tcp("localhost", listener), NOW, strict_ctx))
    assert o.state is State.UNKNOWN
    assert o.error and o.error.startswith("not allowed: localhost resolves only to non-public")


def test_tcp_unresolvable_name_is_major_outage(ctx) -> None:
    o = one(tcp_probe(tcp("g.whatsapp.invalid", 443), NOW, ctx))
    assert o.state is State.MAJOR_OUTAGE
    assert o.error is None


def test_tcp_skips_an_address_family_it_cannot_use(listener, ctx, monkeypatch) -> None:
    monkeypatch.setattr(fetch_mod, "resolve_host", lambda host, port: ["2001:db8::1", "127.0.0.1"])
    real = socket.create_connection

    def no_ipv6(address, timeout=None, *args, **kwargs):
        if ":" in address[0]:
            raise OSError(probes.errno.ENETUNREACH, "Network is unreachable")
        return real(address, timeout, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", no_ipv6)
    o = one(tcp_probe(tcp("dual.example", listener), NOW, ctx))
    assert o.state is State.OPERATIONAL


# -- specs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: dns("http://x"),
        lambda: dns("x:443"),
        lambda: dns("a/b"),
        lambda: dns("-bad.example"),
        lambda: dns("127.0.0.1"),
        lambda: dns("127.1"),
        lambda: dns(""),
        lambda: dns("a" * 64 + ".example"),
        lambda: tcp("http://x", 443),
        lambda: tcp("example.com", 0),
        lambda: tcp("example.com", 70000),
        lambda: tcp("example.com", 443, degraded_ms=0),
        lambda: tcp("example.com", 443, timeout_s=0),
        lambda: dns("example.com", degraded_ms=0),
        lambda: http("https://example.com/", degraded_ms=0),
        lambda: http("ftp://example.com/"),
        lambda: http("https://example.com/", expect_status=[42]),
        lambda: HttpProbeSource(kind="http_probe", url="https://example.com/", bogus=1),
    ],
)
def test_bad_specs_are_rejected(build) -> None:
    with pytest.raises(ValidationError):
        build()


def test_good_specs_and_targets() -> None:
    assert dns("WEB.WhatsApp.com.").target == "web.whatsapp.com."
    assert tcp("g.whatsapp.net", 443).target == "g.whatsapp.net:443"
    assert tcp("::1", 5222).target == "[::1]:5222"
    assert http("https://web.whatsapp.com/").target == "https://web.whatsapp.com/"
    assert http("https://x.example/", expect_status=[200, 204]).expect_status == (200, 204)
