"""Active probes: reach a service's own endpoints (HTTP front door, DNS name, TCP port) and say what happened.

For services that publish no status page (consumer WhatsApp, Telegram, Netflix) these are one of the few
machine signals. Each probe yields exactly one PROBE observation and never raises. The collector stamps
`service`/`source`, and fusion takes the lower median of a service's probe states (one flaky probe can't
raise an alarm on its own). `discount_blind_probes` turns MAJOR_OUTAGE into UNKNOWN when most probes fail
at once. So a probe reports the *service* being unreachable as MAJOR_OUTAGE, with no `error`: being
unreachable is the signal. `error` (with state UNKNOWN) is kept for faults that say nothing about the
service: the address policy refused the target, the URL is invalid, the probe itself broke.

How outcomes map to states:

http_probe (GET through the shared Fetcher, so it inherits timeouts, retries, the size cap, the redirect
limit and the SSRF policy; the final status after at most 3 redirects counts):
  * expected status (default: anything below 500 except 429), elapsed <= degraded_ms -> OPERATIONAL;
    slower -> DEGRADED_PERFORMANCE. A 4xx counts as "reachable" by default: a front door built for
    browsers and apps often refuses an anonymous bot (web.whatsapp.com may answer 400/403, an API root
    401/404). That is a deliberate answer from a live service, not a failure, and the description says so.
  * body over the Fetcher's size cap -> reachable (the cap is only checked after a 2xx, so the service
    answered); graded by elapsed_ms like any 2xx.
  * HTTP 5xx -> MAJOR_OUTAGE: the service's own front door (or its CDN, failing to reach the origin)
    says it is failing. (The Fetcher has already retried 5xx.)
  * HTTP 429 -> UNKNOWN with error: the probe was rate-limited and can't tell. From a shared cloud
    egress IP at one request a minute, a 429 almost always means our address is being throttled, not
    that the service is down. Calling it degraded or down would raise a false alarm that never clears.
    A service shedding load in a real outage shows up in its other probes (5xx, timeouts).
  * with an explicit `expect_status`, any other non-5xx, non-429 status -> UNKNOWN with error
    "unexpected HTTP 404 (expected 200)". The front door answered, so it is not down, but not with
    what the catalog calls healthy: the catalog has drifted, or a bot wall went up. The log shows it.
  * network faults (name not resolved, refused, connect/read timeout, TLS error, reset ...) ->
    MAJOR_OUTAGE, with the Fetcher's one-line reason in raw_status and description.
  * policy refusal ("not allowed: ..."), "invalid URL", "too many redirects" (point the probe at the
    final URL) and the Fetcher's own "unexpected error" -> UNKNOWN with error: configuration or our bug.

dns_probe / tcp_probe (getaddrinfo in a daemon thread bounded by timeout_s, since getaddrinfo has no
timeout of its own):
  * resolved (and, for TCP, connected), within degraded_ms -> OPERATIONAL; slower -> DEGRADED_PERFORMANCE.
    The TCP latency is the connect time. Resolving and connecting each get timeout_s, so the worst case
    is about 2 x timeout_s.
  * no such name / no address / SERVFAIL / lookup timeout -> MAJOR_OUTAGE (the 2021-10-04
    Facebook/WhatsApp outage was exactly this: the names vanished from DNS).
  * TCP refused / timeout / unreachable -> MAJOR_OUTAGE.
  * unless ctx.allow_private: only non-public addresses -> UNKNOWN, error "not allowed: ...". A name that
    points into private space is not a public service, and we must not probe inside our own network.
    The address policy is the Fetcher's (`fetch._non_public_kind`, resolver `fetch.resolve_host`). Unlike
    the Fetcher, which refuses a URL when *any* address is non-public (urllib3 resolves again and could
    pick any of them), these probes pin the checked address themselves. So a name with some public
    addresses is fine: the TCP probe connects to the first allowed one. It moves on to the next address
    only when the first fails locally (no route to that family, e.g. an AAAA answer on an IPv4-only
    network), never on refused or timeout.

Importing this module does no network, file or environment access.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
import threading
import time
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from ottwatch.domain.models import Observation, SignalClass
from ottwatch.domain.status import State
from ottwatch.sources import fetch
from ottwatch.sources.base import SourceBase, UrlSource
from ottwatch.sources.fetch import FetchRequest

__all__ = [
    "HttpProbeSource",
    "DnsProbeSource",
    "TcpProbeSource",
    "http_probe",
    "dns_probe",
    "tcp_probe",
]

# RFC 1123 labels (letters, digits, hyphens; underscores tolerated), at most 253 characters, optional
# trailing dot. The last label must not be all digits (RFC 3696 section 2). That rules out IP literals and
# the inet_aton forms getaddrinfo would quietly take as addresses ("127.1", "2130706433").
_LABEL = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}\.?$)(?:{_LABEL}\.)*(?!\d+\.?$){_LABEL}\.?$")

_MAX_RESOLVER_THREADS = 64  # lookups still running (hung resolver) before probes refuse to start more
_resolver_slots = threading.BoundedSemaphore(_MAX_RESOLVER_THREADS)

# connect() errors that mean "we cannot use this address from here", not "the service refused us":
# try the next allowed address (typically an IPv6 answer on an IPv4-only network).
_LOCAL_CONNECT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENETUNREACH", "EAFNOSUPPORT", "EADDRNOTAVAIL", "EPROTONOSUPPORT")
    if hasattr(errno, name)
)

Timeout = Annotated[float, Field(gt=0, le=30)]
Millis = Annotated[int, Field(gt=0)]


# -- spec models --------------------------------------------------------------------------------------


def _check_hostname(host: str) -> str:
    if not _HOSTNAME.match(host):
        raise ValueError(f"not a hostname (no scheme, port or path; IDNs in punycode): {host!r}")
    return host.lower()


class HttpProbeSource(UrlSource):
    """GET `url` and grade the answer. `expect_status`: the statuses that count as healthy (final status
    after redirects); empty means anything below 500 except 429 (see the module docstring)."""

    kind: Literal["http_probe"]
    degraded_ms: Millis = 3000
    expect_status: tuple[Annotated[int, Field(ge=100, le=599)], ...] = ()


class DnsProbeSource(SourceBase):
    """Resolve `host` (A and AAAA, through the system resolver)."""

    kind: Literal["dns_probe"]
    host: str
    timeout_s: Timeout = 3.0
    degraded_ms: Millis = 1000

    @field_validator("host")
    @classmethod
    def _hostname(cls, host: str) -> str:
        return _check_hostname(host)

    @property
    def target(self) -> str:
        return self.host


class TcpProbeSource(SourceBase):
    """Resolve `host` and open (then close) a TCP connection to `port`. `host` may be an IP literal."""

    kind: Literal["tcp_probe"]
    host: str
    port: Annotated[int, Field(ge=1, le=65535)]
    timeout_s: Timeout = 3.0
    degraded_ms: Millis = 1000

    @field_validator("host")
    @classmethod
    def _host_or_ip(cls, host: str) -> str:
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            return _check_hostname(host)

    @property
    def target(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


# -- probes -------------------------------------------------------------------------------------------


def http_probe(spec: HttpProbeSource, observed_at: datetime, ctx) -> list[Observation]:
    try:
        return [_http(spec, observed_at, ctx)]
    except Exception as exc:  # noqa: BLE001 - a probe never raises
        return [_failed(observed_at, exc)]


def dns_probe(spec: DnsProbeSource, observed_at: datetime, ctx) -> list[Observation]:
    try:
        return [_dns(spec, observed_at, ctx)]
    except Exception as exc:  # noqa: BLE001 - a probe never raises
        return [_failed(observed_at, exc)]


def tcp_probe(spec: TcpProbeSource, observed_at: datetime, ctx) -> list[Observation]:
    try:
        return [_tcp(spec, observed_at, ctx)]
    except Exception as exc:  # noqa: BLE001 - a probe never raises
        return [_failed(observed_at, exc)]


# -- http ---------------------------------------------------------------------------------------------

_PRECHECK_TIMEOUT_S = 3.0
_CONFIG_FAULTS = ("not allowed", "invalid URL", "too many redirects", "unexpected error")


def _http(spec: HttpProbeSource, observed_at: datetime, ctx) -> Observation:
    host = urlsplit(spec.url).hostname or spec.url
    # The Fetcher enforces its own policy on every hop. If the context is stricter than the fetcher we
    # were handed (production builds both from one flag), the context wins for the URL we were given.
    if not ctx.allow_private and getattr(ctx.fetcher, "allow_private", False):
        refusal = _url_refusal(spec.url)
        if refusal is not None:
            return _obs(observed_at, State.UNKNOWN, refusal, f"{host}: {refusal}", error=refusal)

    result = ctx.fetcher.fetch(FetchRequest(spec.url))
    ms = _ms(result.elapsed_ms)
    error = result.error
    status = result.status

    if error is not None and status is None:
        if error.startswith("body over"):  # only checked after a 2xx: the service answered
            return _http_answered(spec, observed_at, host, None, ms)
        if error.startswith(_CONFIG_FAULTS):
            return _obs(observed_at, State.UNKNOWN, error, f"{host}: {error}", error=error)
        # The service could not be reached: that is the signal, not a fault of ours.
        return _obs(observed_at, State.MAJOR_OUTAGE, error, f"{host} unreachable: {error} (after {ms} ms)")
    if status is None:  # pragma: no cover - a FetchResult without error always carries a status
        return _obs(observed_at, State.UNKNOWN, "no status", f"{host}: no status", error="probe failed: no status")
    return _http_answered(spec, observed_at, host, status, ms)


def _http_answered(spec: HttpProbeSource, observed_at: datetime, host: str, status: int | None,
                   ms: int) -> Observation:
    """The front door answered with `status` (None: a 2xx whose body went over the size cap)."""
    shown = f"HTTP {status}" if status is not None else "HTTP 2xx (body over the size cap)"
    raw = f"{shown} in {ms} ms"
    expected = spec.expect_status
    if status is None:
        healthy = not expected or any(200 <= s < 300 for s in expected)
    else:
        healthy = status in expected if expected else status < 500 and status != 429
    if not healthy:
        if status is not None and status >= 500:
            return _obs(observed_at, State.MAJOR_OUTAGE, raw, f"{host} answered {shown}: the service is failing")
        if status == 429:
            err = "HTTP 429: the probe is rate-limited and cannot tell"
        else:
            err = f"unexpected {shown} (expected {', '.join(map(str, expected))})"
        return _obs(observed_at, State.UNKNOWN, raw, f"{host}: {err}", error=err)

    note = ""
    if status is not None and 400 <= status < 500 and not expected:
        note = " (the service is up; a 4xx refuses the probe, it is not a failure)"
    if ms > spec.degraded_ms:
        return _obs(observed_at, State.DEGRADED_PERFORMANCE, raw,
                    f"{host} answered {shown} in {ms} ms, slower than {spec.degraded_ms} ms{note}")
    return _obs(observed_at, State.OPERATIONAL, raw, f"{host} answered {shown} in {ms} ms{note}")


def _url_refusal(url: str) -> str | None:
    """The Fetcher's rule for a URL's host (every address must be public), or None when allowed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = _resolve(host, port, _PRECHECK_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - the Fetcher will report the lookup failure itself
            return None
    for addr in addresses:
        kind, ip = fetch.address_kind(addr)
        if kind is not None:
            return f"not allowed: {kind} address {ip}"
    return None


# -- dns ----------------------------------------------------------------------------------------------


def _dns(spec: DnsProbeSource, observed_at: datetime, ctx) -> Observation:
    host = spec.host
    start = time.monotonic()
    try:
        addresses = _resolve(host, 0, spec.timeout_s)
    except _ResolverBusy as exc:
        return _obs(observed_at, State.UNKNOWN, str(exc), f"{host}: {exc}", error=f"probe failed: {exc}")
    except (OSError, UnicodeError) as exc:  # gaierror, our TimeoutError: the lookup failed, the signal
        reason = _lookup_failure(exc, spec.timeout_s)
        return _obs(observed_at, State.MAJOR_OUTAGE, reason, f"{host} does not resolve: {reason}")
    ms = _ms((time.monotonic() - start) * 1000.0)

    allowed, refused = _split(addresses, ctx.allow_private)
    if not allowed:
        if refused:
            err = f"not allowed: {host} resolves only to non-public addresses ({refused[0]})"
            return _obs(observed_at, State.UNKNOWN, err, f"{host}: {err}", error=err)
        return _obs(observed_at, State.MAJOR_OUTAGE, "no address", f"{host} does not resolve: no address")

    shown = ", ".join(allowed[:3]) + (f" (+{len(allowed) - 3})" if len(allowed) > 3 else "")
    raw = f"resolved in {ms} ms"
    if ms > spec.degraded_ms:
        return _obs(observed_at, State.DEGRADED_PERFORMANCE, raw,
                    f"{host} resolved to {shown} in {ms} ms, slower than {spec.degraded_ms} ms")
    return _obs(observed_at, State.OPERATIONAL, raw, f"{host} resolved to {shown} in {ms} ms")


# -- tcp ----------------------------------------------------------------------------------------------


def _tcp(spec: TcpProbeSource, observed_at: datetime, ctx) -> Observation:
    target = spec.target
    try:
        addresses = [str(ipaddress.ip_address(spec.host))]
    except ValueError:
        try:
            addresses = _resolve(spec.host, spec.port, spec.timeout_s)
        except _ResolverBusy as exc:
            return _obs(observed_at, State.UNKNOWN, str(exc), f"{target}: {exc}", error=f"probe failed: {exc}")
        except (OSError, UnicodeError) as exc:  # the lookup failed: that is the signal
            reason = _lookup_failure(exc, spec.timeout_s)
            return _obs(observed_at, State.MAJOR_OUTAGE, reason, f"{target} unreachable: {reason}")

    allowed, refused = _split(addresses, ctx.allow_private)
    if not allowed:
        if refused:
            err = (f"not allowed: {refused[0]}" if len(addresses) == 1 and addresses[0] == spec.host
                   else f"not allowed: {spec.host} resolves only to non-public addresses ({refused[0]})")
            return _obs(observed_at, State.UNKNOWN, err, f"{target}: {err}", error=err)
        return _obs(observed_at, State.MAJOR_OUTAGE, "no address", f"{target} unreachable: no address")

    start = time.monotonic()
    deadline = start + spec.timeout_s
    reason = "connection failed"
    connected_to = None
    for address in allowed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            reason = f"connect timeout after {spec.timeout_s:g}s"
            break
        try:
            socket.create_connection((address, spec.port), timeout=remaining).close()
        except OSError as exc:
            reason = _connect_failure(exc, spec.timeout_s)
            if exc.errno in _LOCAL_CONNECT_ERRNOS:
                continue  # this address family is unusable from here; try the next address
            break
        connected_to = address
        break
    ms = _ms((time.monotonic() - start) * 1000.0)

    if connected_to is None:
        return _obs(observed_at, State.MAJOR_OUTAGE, reason, f"{target} unreachable: {reason} (after {ms} ms)")
    raw = f"TCP connect in {ms} ms"
    where = f"{target} ({connected_to})" if connected_to != spec.host else target
    if ms > spec.degraded_ms:
        return _obs(observed_at, State.DEGRADED_PERFORMANCE, raw,
                    f"{where} accepted a connection in {ms} ms, slower than {spec.degraded_ms} ms")
    return _obs(observed_at, State.OPERATIONAL, raw, f"{where} accepted a connection in {ms} ms")


def _connect_failure(exc: OSError, timeout_s: float) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"connect timeout after {timeout_s:g}s"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if exc.errno == errno.ENETUNREACH:
        return "network unreachable"
    if exc.errno == errno.EHOSTUNREACH:
        return "host unreachable"
    if exc.errno is not None and exc.errno in errno.errorcode:
        return f"connection failed ({errno.errorcode[exc.errno]})"
    return "connection failed"


# -- shared -------------------------------------------------------------------------------------------


class _ResolverBusy(Exception):
    """Too many earlier lookups are still hanging: our resolver is stuck, not the service."""


def _resolve(host: str, port: int, timeout_s: float) -> list[str]:
    """`fetch.resolve_host(host, port)` bounded by `timeout_s` (raises TimeoutError), deduplicated.

    The lookup runs in a daemon thread: a hung getaddrinfo can't be cancelled, but it no longer
    holds the probe, and a daemon thread never holds up interpreter exit. At most
    `_MAX_RESOLVER_THREADS` run at once.
    """
    slots = _resolver_slots  # the thread releases the very semaphore it took
    if not slots.acquire(blocking=False):
        raise _ResolverBusy("resolver busy: too many lookups still pending")
    resolver = fetch.resolve_host  # looked up per call: tests (and callers) patch it
    done = threading.Event()
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["addresses"] = resolver(host, port)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting probe
            box["error"] = exc
        finally:
            done.set()
            slots.release()

    try:
        threading.Thread(target=run, name="ottwatch-resolve", daemon=True).start()
    except BaseException:
        slots.release()
        raise
    if not done.wait(timeout_s):
        raise TimeoutError(f"lookup timeout after {timeout_s:g}s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return list(dict.fromkeys(box["addresses"]))  # type: ignore[call-overload]


def _lookup_failure(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, TimeoutError):  # ours (the lookup outlived timeout_s) or a resolver's own
        return f"DNS timeout after {timeout_s:g}s"
    if isinstance(exc, socket.gaierror):
        code = exc.errno
        if code in {getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None)} - {None}:
            return "name not resolved (no such name or no address)"
        if code == getattr(socket, "EAI_AGAIN", None):
            return "name not resolved (temporary DNS failure)"
        if code == getattr(socket, "EAI_FAIL", None):
            return "name not resolved (DNS failure)"
    return "name not resolved"


def _split(addresses: list[str], allow_private: bool) -> tuple[list[str], list[str]]:
    """(addresses we may use, descriptions of the refused ones), in resolver order."""
    if allow_private:
        return list(addresses), []
    allowed, refused = [], []
    for addr in addresses:
        kind, ip = fetch.address_kind(addr)
        if kind is None:
            allowed.append(addr)
        else:
            refused.append(f"{kind} address {ip}")
    return allowed, refused


def _ms(elapsed_ms: float) -> int:
    return max(0, round(elapsed_ms))


def _obs(observed_at: datetime, state: State, raw: str, description: str, error: str | None = None) -> Observation:
    return Observation(
        state=state,
        raw_status=raw,
        description=description,
        observed_at=observed_at,
        signal_class=SignalClass.PROBE,
        components=(),
        error=error,
    )


def _failed(observed_at: datetime, exc: BaseException) -> Observation:
    err = f"probe failed: {type(exc).__name__}"
    return _obs(observed_at, State.UNKNOWN, err, err, error=err)
