"""Bounded HTTP GET for polling public status pages.

Every vendor status page is fetched once a minute, so a fetch must be cheap,
polite and, above all, bounded: a broken or hostile endpoint may cost us at most
``total_deadline`` seconds (plus the bounded retry sleeps), ``max_bytes`` of
memory, and it can never make :meth:`Fetcher.fetch` raise.

* Retries are urllib3's ``Retry`` mounted on the session's ``HTTPAdapter`` (no
  home-made loop); ``Retry-After`` is honoured but capped at ``max_retry_after``.
* The body is read with ``read1`` (one socket read per call), so a slow-drip
  server cannot pin a worker inside a single blocking ``read(64 KiB)``; sizes
  are counted *after* decompression, so gzip bombs hit ``max_bytes``.
* Redirects are followed by hand (at most 3) so that every hop is re-checked
  against the address policy: unless ``allow_private`` is set, only http/https
  URLs whose host resolves to public addresses only are fetched.

Errors are short, stable one-line strings (``"HTTP 503"``, ``"timeout after
20s"``, ``"connection refused"`` ...) meant to be logged once per fault; they
never carry a traceback nor any part of a response body.

Importing this module does no network, file or environment access.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import ipaddress
import logging
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator, Sequence
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    InvalidHeader,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.retry import Retry

__all__ = ["FetchRequest", "FetchResult", "Fetcher", "address_kind", "resolve_host"]

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_ALLOWED_SCHEMES = frozenset({"http", "https"})
_BACKOFF_MAX = 2.0  # seconds; exponential backoff never sleeps longer than this
_CHUNK = 64 * 1024
# Per-host connection pools the adapter keeps. requests/urllib3 evict the least
# recently used pool beyond this; with many threads an eviction can close a pool
# another thread is about to use (psf/requests#1871), so keep it well above the
# number of distinct vendor hosts.
_HOST_POOLS = 128
_ACCEPT = "application/json, */*;q=0.5"


@dataclass(frozen=True)
class FetchRequest:
    url: str
    etag: str | None = None  # sent as If-None-Match
    last_modified: str | None = None  # sent as If-Modified-Since


@dataclass(frozen=True)
class FetchResult:
    """Outcome of one fetch.

    ``url`` is the requested URL (not the final one after redirects).
    ``status`` is set only for an HTTP-level outcome (2xx, 304, or an error
    status, whose error then is ``"HTTP <code>"``); it is ``None`` for every
    other fault: refused by policy, DNS, connect/read errors, timeouts, size cap,
    too many redirects.  ``etag``/``last_modified`` come from the 2xx response;
    on 304 and on any error the request's own validators are handed back, so a
    caller can store them unconditionally without losing them.
    """

    url: str
    status: int | None
    body: bytes | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    error: str | None
    elapsed_ms: float
    bytes_received: int

    @property
    def ok(self) -> bool:
        return self.error is None


def resolve_host(host: str, port: int) -> list[str]:
    """All addresses ``host`` resolves to, as strings.

    Module-level on purpose: tests (and callers with their own resolver)
    monkeypatch ``ottwatch.sources.fetch.resolve_host``.  Raises ``OSError``
    (``socket.gaierror``) when the name does not resolve.  Note: getaddrinfo
    has no timeout of its own; it is bounded by the system resolver's.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def _non_public_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why ``ip`` is not a public unicast address, or None when it is."""
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:  # e.g. 100.64.0.0/10 shared (CGNAT) space
        return "non-public"
    return None


def address_kind(addr: str) -> tuple[str | None, str]:
    """The address policy for one resolved address: (why it is not public, or None; the address checked).

    Shared by the fetcher and the DNS/TCP probes so both refuse exactly the same space."""
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return "unparseable", addr
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return _non_public_kind(ip), str(ip)


class _Fail(Exception):
    """Ends a fetch with ``error``; ``status`` only for "HTTP <code>" outcomes."""

    def __init__(self, error: str, *, status: int | None = None, received: int = 0) -> None:
        super().__init__(error)
        self.error, self.status, self.received = error, status, received


class _CappedRetry(Retry):
    """urllib3 ``Retry`` whose Retry-After sleep is capped at ``max_retry_after``.

    urllib3 honours Retry-After up to 6 hours by default; a status poller that
    runs every minute must not sleep through several runs.  An unparseable
    header falls back to the normal exponential backoff instead of raising.
    (Recent urllib3 also takes an integer ``retry_after_max``; overriding
    ``get_retry_after`` works on every 2.x and accepts fractional caps.)
    """

    def __init__(self, *args, max_retry_after: float = 5.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_retry_after = max_retry_after

    def new(self, **kw):  # keep the cap on the copies urllib3 makes per attempt
        kw.setdefault("max_retry_after", self.max_retry_after)
        return super().new(**kw)

    def get_retry_after(self, response) -> float | None:
        try:
            seconds = super().get_retry_after(response)
        except InvalidHeader:
            return None
        if seconds is None:
            return None
        return max(0.0, min(float(seconds), self.max_retry_after))


class _BlockAllCookies(http.cookiejar.CookiePolicy):
    """Status pages need no cookies; keeping none also stops one vendor's
    cookies reaching another and keeps the shared session's jar immutable
    across worker threads."""

    netscape = True
    rfc2965 = False
    hide_cookie2 = False

    def set_ok(self, cookie, request) -> bool:
        return False

    def return_ok(self, cookie, request) -> bool:
        return False

    def domain_return_ok(self, domain, request) -> bool:
        return False

    def path_return_ok(self, path, request) -> bool:
        return False


def _fmt_s(seconds: float) -> str:
    return f"{seconds:g}s"


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """exc and whatever it wraps (requests/urllib3 nest errors in args, .reason,
    __cause__ and __context__)."""
    seen: set[int] = set()
    stack = [exc]
    while stack and len(seen) < 32:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for nxt in (getattr(e, "reason", None), e.__cause__, e.__context__, *getattr(e, "args", ())):
            if isinstance(nxt, BaseException):
                stack.append(nxt)


class Fetcher:
    """Polls URLs with bounded time, size and retries. Reusable and thread-safe.

    One ``requests.Session`` is shared by all worker threads of
    :meth:`fetch_all`.  requests does not promise Session thread-safety in
    general, but what we use of it is safe to share: every request passes its
    own headers/timeout, cookies are disabled, redirects are done by hand
    (no session redirect state), and the connection pools behind the shared
    ``HTTPAdapter`` (urllib3 ``PoolManager``) are thread-safe.  The pools hold
    ``max_workers`` connections per host so no worker waits for one.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        total_deadline: float = 20.0,
        max_bytes: int = 2 * 1024 * 1024,
        retries: int = 2,
        backoff_factor: float = 0.3,
        max_retry_after: float = 5.0,
        max_workers: int = 32,
        allow_private: bool = False,
        user_agent: str = "ottwatch/0.1 (+status aggregator)",
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be >= 1")
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_deadline = total_deadline
        self.max_bytes = max_bytes
        self.max_workers = max_workers
        self.allow_private = allow_private

        retry = _CappedRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff_factor,
            backoff_max=_BACKOFF_MAX,
            status_forcelist=_RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,  # hand back the last 5xx/429 instead of raising
            max_retry_after=max_retry_after,
        )
        adapter = HTTPAdapter(pool_connections=_HOST_POOLS, pool_maxsize=max_workers, max_retries=retry)
        session = requests.Session()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update({"User-Agent": user_agent, "Accept": _ACCEPT, "Accept-Encoding": "gzip"})
        session.cookies.set_policy(_BlockAllCookies())
        self._session = session
        # urllib3 warns on every retry; for a dead source that is two lines a minute forever. The collector
        # reports each source's failure itself, once per distinct error.
        logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)

    # -- public -----------------------------------------------------------------

    def fetch(self, req: FetchRequest) -> FetchResult:
        """GET ``req.url``. Never raises for network, HTTP, size or policy faults."""
        start = time.monotonic()
        status: int | None = None
        body: bytes | None = None
        etag, last_modified = req.etag, req.last_modified
        error: str | None = None
        received = 0
        try:
            status, body, etag, last_modified, received = self._fetch(req, start)
        except _Fail as e:
            error, status, received = e.error, e.status, e.received
        except Exception as e:  # noqa: BLE001 - the contract is "never raises"
            error = self._describe(e, start)
            if error.startswith("unexpected error"):
                log.warning("fetch %s: %s", req.url, error, exc_info=True)
        return FetchResult(
            url=req.url,
            status=status,
            body=body,
            etag=etag,
            last_modified=last_modified,
            not_modified=status == 304 and error is None,
            error=error,
            elapsed_ms=(time.monotonic() - start) * 1000.0,
            bytes_received=received,
        )

    def fetch_all(self, reqs: Sequence[FetchRequest]) -> list[FetchResult]:
        """Fetch concurrently (up to ``max_workers`` at once); results in input order."""
        reqs = list(reqs)
        if not reqs:
            return []
        workers = min(self.max_workers, len(reqs))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ottwatch-fetch") as pool:
            return list(pool.map(self.fetch, reqs))

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- internals --------------------------------------------------------------

    def _fetch(self, req: FetchRequest, start: float) -> tuple[int, bytes | None, str | None, str | None, int]:
        deadline = start + self.total_deadline
        headers: dict[str, str] = {}
        if req.etag:
            headers["If-None-Match"] = req.etag
        if req.last_modified:
            headers["If-Modified-Since"] = req.last_modified

        url = req.url
        for hop in range(MAX_REDIRECTS + 1):
            self._check_url(url)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Fail(f"timeout after {_fmt_s(self.total_deadline)}")
            resp = self._session.get(
                url,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=(self.connect_timeout, min(self.read_timeout, remaining)),
            )
            try:
                code = resp.status_code
                if code in _REDIRECT_STATUSES and resp.headers.get("Location"):
                    if hop == MAX_REDIRECTS:
                        raise _Fail("too many redirects")
                    # get_redirect_target undoes requests' latin-1 header decoding.
                    url = urljoin(resp.url, self._session.get_redirect_target(resp))
                    continue
                if code == 304:
                    return (
                        304,
                        None,
                        resp.headers.get("ETag") or req.etag,
                        resp.headers.get("Last-Modified") or req.last_modified,
                        0,
                    )
                if not 200 <= code < 300:
                    raise _Fail(f"HTTP {code}", status=code)
                body = self._read_body(resp, start)
                return code, body, resp.headers.get("ETag"), resp.headers.get("Last-Modified"), len(body)
            finally:
                # Fully read bodies have already gone back to the pool; anything
                # left unread (redirect, error status, abort) closes the connection.
                resp.close()
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_url(self, url: str) -> None:
        """Raise _Fail unless policy allows fetching ``url``.

        Known gap (DNS rebinding): we resolve here and urllib3 resolves again
        when it connects, so a hostile DNS server answering differently the
        second time could still steer us to a private address. Closing it would
        mean pinning the checked IP into the connection (custom adapter with
        server_hostname/SNI handling); for polling a fixed list of vendor status
        pages the check below is defence in depth, not a sandbox.
        """
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            host = parts.hostname
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise _Fail("invalid URL") from None
        if scheme not in _ALLOWED_SCHEMES:
            raise _Fail(f"not allowed: scheme {scheme!r}" if scheme else "invalid URL")
        if not host:
            raise _Fail("invalid URL")
        if self.allow_private:
            return
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                addresses = resolve_host(host, port)
            except (OSError, UnicodeError):
                raise _Fail("name not resolved") from None
        if not addresses:
            raise _Fail("name not resolved")
        for addr in addresses:
            kind, ip = address_kind(addr)
            if kind is not None:
                raise _Fail(f"not allowed: {kind} address {ip}" if kind != "unparseable"
                            else f"not allowed: unparseable address {addr!r}")

    def _read_body(self, resp: requests.Response, start: float) -> bytes:
        """Read the decoded body, stopping at max_bytes or at the deadline."""
        deadline = start + self.total_deadline
        limit = self.max_bytes
        over = f"body over {limit} bytes"
        declared = resp.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > limit:
            raise _Fail(over)

        raw = resp.raw
        buf = bytearray()
        # read1 returns after one socket read, so the deadline is checked even
        # when bytes trickle in; stream()/iter_content block until 64 KiB or
        # EOF. read1 is recent urllib3 2.x; older 2.x falls back to stream().
        read1 = getattr(raw, "read1", None)
        chunks = None if read1 is not None else raw.stream(_CHUNK, decode_content=True)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Fail(f"timeout after {_fmt_s(self.total_deadline)}", received=len(buf))
            # Never ask for more than one byte past the cap.
            want = min(_CHUNK, limit - len(buf) + 1)
            try:
                if read1 is not None:
                    # A stalled socket must not outlive the deadline either.
                    _set_read_timeout(raw, min(self.read_timeout, remaining))
                    chunk = read1(want, decode_content=True)
                else:
                    chunk = next(chunks, b"")
            except Exception as e:  # noqa: BLE001 - mapped to a short reason
                raise _Fail(self._describe(e, start), received=len(buf)) from None
            if not chunk:
                return bytes(buf)
            buf += chunk
            if len(buf) > limit:
                raise _Fail(over, received=len(buf))

    def _describe(self, exc: BaseException, start: float) -> str:
        """A short, stable, body-free reason for a transport exception."""
        chain = list(_exception_chain(exc))

        def has(*types: type) -> bool:
            return any(isinstance(e, types) for e in chain)

        rx = requests.exceptions
        if has(rx.InvalidURL, rx.MissingSchema, rx.InvalidSchema, LocationParseError):
            return "invalid URL"
        if has(NameResolutionError, socket.gaierror):
            return "name not resolved"
        if has(ConnectionRefusedError):
            return "connection refused"
        if has(NewConnectionError):  # NB: subclass of ConnectTimeoutError
            return "connection failed"
        if has(rx.ConnectTimeout, ConnectTimeoutError):
            return f"connect timeout after {_fmt_s(self.connect_timeout)}"
        if has(rx.ReadTimeout, ReadTimeoutError, TimeoutError):
            # The socket timeout was cut to the time left, so a timeout at
            # (or a hair before, clock granularity) the deadline is the deadline.
            if time.monotonic() - start >= self.total_deadline - 0.05:
                return f"timeout after {_fmt_s(self.total_deadline)}"
            return f"read timeout after {_fmt_s(self.read_timeout)}"
        for e in chain:
            if isinstance(e, ssl.SSLCertVerificationError):
                return f"TLS certificate error: {e.verify_message}" if e.verify_message else "TLS certificate error"
        if has(rx.SSLError, ssl.SSLError, SSLError):
            return "TLS error"
        if has(ConnectionResetError):
            return "connection reset"
        if has(http.client.RemoteDisconnected):
            return "connection closed by server"
        if has(rx.ContentDecodingError, DecodeError):
            return "bad content encoding"
        if has(http.client.IncompleteRead):
            return "incomplete body"
        if has(rx.ChunkedEncodingError, ProtocolError):
            return "connection broken"
        if has(rx.RetryError):
            return "retries exhausted"
        if has(rx.ConnectionError, ConnectionError):
            return "connection error"
        return f"unexpected error: {type(exc).__name__}"


def _set_read_timeout(raw, seconds: float) -> None:
    """Best effort: shrink the socket timeout of the live connection so one
    blocking recv cannot run past the deadline. urllib3 resets the timeout when
    the connection is reused. Without a reachable socket (e.g. the server said
    Connection: close, so http.client dropped its reference) the deadline is
    still enforced between reads, late by at most one read timeout."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        try:
            sock.settimeout(max(seconds, 0.001))
        except OSError:
            pass
